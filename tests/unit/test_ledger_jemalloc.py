"""The jemalloc heap profile reader, on a real profile (tests/data/ledger/)."""

from __future__ import annotations

from pathlib import Path

from harness.ledger.jemalloc import leak_summary, read_profile, split_stack
from harness.ledger.model import allocator_name
from harness.model import Frame

DATA = Path(__file__).resolve().parents[1] / "data" / "ledger"


def test_a_real_profile_has_totals_stacks_and_maps():
    profile = read_profile((DATA / "leak_direct-jeprof.heap").read_bytes())

    assert profile.skipped == 0
    assert profile.total is not None
    assert (profile.total.live_objects, profile.total.live_bytes) == (3, 86032)
    assert (profile.total.objects, profile.total.bytes) == (7, 90664)
    live = sorted(r.live_bytes for r in profile.records if r.live_objects)
    assert live == [16, 4096, 81920]
    assert sum(r.bytes for r in profile.records) == 90664
    paths = {Path(module.path).name for module in profile.modules}
    assert {"leak_direct", "libc.so.6", "libjemalloc.so.2"} <= paths
    program = next(m for m in profile.modules if m.path.endswith("/leak_direct"))
    assert program.start == 0x557ACAAAD000


def test_garbage_and_a_cut_profile_never_raise():
    data = (DATA / "leak_direct-jeprof.heap").read_bytes()

    cut = read_profile(data[:300] + b"\n\xff@ zz\n")
    empty = read_profile(b"")

    assert cut.total is not None and cut.skipped >= 1
    assert empty.total is None and empty.records == ()


def test_the_site_is_the_first_frame_past_jemalloc_and_strdup():
    chain = [
        Frame(0, 1, None, module="/usr/lib/libjemalloc.so.2", module_offset=0x22045),
        Frame(1, 2, "__GI___strdup", module="/usr/lib/libc.so.6"),
        Frame(2, 3, "normalize", "main.c", 13, module="/p/leak_direct"),
        Frame(3, 3, "main", "main.c", 55, module="/p/leak_direct"),
    ]

    allocator, stack = split_stack(chain)

    assert allocator == "strdup"
    assert [frame.function for frame in stack] == ["normalize", "main"]
    assert [frame.index for frame in stack] == [0, 1]


def test_allocator_names_seen_in_stacks():
    assert allocator_name("__interceptor_malloc") == "malloc"
    assert allocator_name("___interceptor_strdup") == "strdup"
    assert allocator_name("__libc_calloc") == "calloc"
    assert allocator_name("operator new(unsigned long)") == "operator new"
    assert allocator_name("normalize") is None and allocator_name(None) is None


def test_the_leak_summary_jemalloc_prints():
    text = "<jemalloc>: Leak approximation summary: ~86032 bytes, ~3 objects, >= 3 contexts\n"

    assert leak_summary(text) == (86032, 3)
    assert leak_summary("nothing") is None


def test_the_commands_method_list_is_the_ledgers():
    from harness.commands import ledger as command
    from harness.ledger import model

    assert command.METHODS == model.METHODS

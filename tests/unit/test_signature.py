"""Signatures: which frames count, how names are normalized, what the id covers."""

from __future__ import annotations

import hashlib
from dataclasses import replace

import pytest

from harness.model import Frame, Report
from harness.triage.cluster import cluster
from harness.triage.signature import (
    IGNORE_FINGERPRINT,
    SIGNATURE_VERSION,
    frame_key,
    is_ignored,
    normalize_function,
    signature,
)
from tests.unit.reportbuilders import leak_report, race_report, report, stack


@pytest.mark.parametrize(
    ("printed", "key"),
    [
        ("parse_header(char const*)", "parse_header"),
        ("std::vector<int, std::allocator<int> >::push_back(int const&)", "std::vector::push_back"),
        ("(anonymous namespace)::Parser::run(int) const", "Parser::run"),
        ("format[abi:cxx11](int)", "format"),
        ("decode.constprop.0", "decode"),
        ("decode.isra.0", "decode"),
        ("decode.part.1", "decode"),
        ("decode.cold", "decode"),
        ("operator new(unsigned long)", "operator new"),
        ("operator new[](unsigned long)", "operator new[]"),
        ("operator delete(void*, unsigned long)", "operator delete"),
        ("operator delete[](void*)", "operator delete[]"),
        ("Foo::operator()(int) const", "Foo::operator()"),
        ("Foo::operator<<(int)", "Foo::operator<<"),
        ("bool operator< <int>(A const&, A const&)", "operator<"),
        ("void run<int>(int)", "run"),
        ("main::{lambda(int)#1}::operator()(int) const", "main::{lambda#1}::operator()"),
        ("main", "main"),
    ],
)
def test_normalize_function(printed: str, key: str) -> None:
    assert normalize_function(printed) == key


@pytest.mark.parametrize("printed", ["??", "0x7f3a2b1c", "<unknown>", ""])
def test_names_that_say_nothing_normalize_to_none(printed: str) -> None:
    assert normalize_function(printed) is None


def test_unsymbolized_frame_is_keyed_by_module_basename_and_offset() -> None:
    frame = Frame(index=0, pc=0x55, module="/opt/app/bin/prog", module_offset=0x1234)
    assert frame_key(frame) == "prog+0x1234"


@pytest.mark.parametrize(
    "frame",
    [
        Frame(0, function="__asan_memcpy"),
        Frame(0, function="__interceptor_strcpy.part.0"),
        Frame(0, function="___interceptor_malloc"),
        Frame(0, function="__sanitizer::StackTrace::Unwind(unsigned int)"),
        Frame(0, module="/usr/lib/x86_64-linux-gnu/libasan.so.8", module_offset=0x74074),
        Frame(0, module="/usr/lib/llvm-14/lib/clang/14/libclang_rt.asan-x86_64.so"),
        Frame(0, function="foo", file="/src/llvm/compiler-rt/lib/asan/asan_rtl.cpp"),
        Frame(0, function="malloc"),
        Frame(0, function="realloc"),
        Frame(0, function="operator new[](unsigned long)"),
        Frame(0, function="operator delete(void*, std::align_val_t)"),
        Frame(0, function="_Znwm"),
        Frame(0, function="strdup"),
        Frame(0, function="posix_memalign"),
        Frame(0, function="memcpy"),
        Frame(0, function="__libc_start_main"),
        Frame(0, function="__libc_start_call_main"),
        Frame(0, function="_start"),
        Frame(0, function="vfprintf", module="/lib/x86_64-linux-gnu/libc.so.6"),
        Frame(0, function="x", module="/usr/lib/x86_64-linux-gnu/libstdc++.so.6"),
        Frame(0, function="std::__1::basic_string<char>::append(char const*)"),
        Frame(0, function="__gnu_cxx::new_allocator<int>::allocate(unsigned long)"),
    ],
)
def test_runtime_allocator_and_libc_frames_are_ignored(frame: Frame) -> None:
    assert is_ignored(frame)


@pytest.mark.parametrize(
    "frame",
    [
        Frame(0, function="parse_header(char*)"),
        Frame(0, function="my_malloc_wrapper"),
        Frame(0, function="std::vector<int>::at(unsigned long)"),
        Frame(0, module="/opt/app/prog", module_offset=0x10),
    ],
)
def test_program_frames_are_kept(frame: Frame) -> None:
    assert not is_ignored(frame)


def test_an_extension_is_keyed_by_its_own_frames_not_the_interpreters() -> None:
    python = report(crash=("unquote", "split", "cfunction_call", "_PyObject_MakeTpCall"))
    wrapper = "v8impl::(anonymous namespace)::FunctionCallbackWrapper::Invoke(v8::X const&)"
    node = report(crash=("unquote", "split", wrapper, ("Builtins_CEntry", "/usr/bin/node")))
    keys = [f.key for f in signature(python).frames]
    assert keys == [f.key for f in signature(node).frames] == ["unquote", "split"]


def test_frames_inlined_from_the_cxx_standard_library_headers_are_ignored() -> None:
    for header in (
        "/usr/include/c++/12/bits/stl_vector.h",
        "/usr/local/include/c++/v1/vector",
        "buildtools/third_party/libc++/trunk/include/memory",
    ):
        assert is_ignored(Frame(0, function="operator[]", file=header))
    assert not is_ignored(Frame(0, function="operator[]", file="src/matrix.h"))


def test_v8_is_a_program_of_its_own_outside_node() -> None:
    lookup = "v8::internal::LookupIterator::GetRootForNonJSReceiver() const"
    assert not is_ignored(Frame(0, function=lookup, file="src/objects/lookup.cc"))
    assert is_ignored(Frame(0, function=lookup, module="/usr/bin/node", module_offset=0x10))


def test_project_globs_are_ignored_too() -> None:
    frame = Frame(0, function="my_malloc_wrapper(unsigned long)")
    assert is_ignored(frame, ("my_*_wrapper",))


def test_signature_keeps_top_three_frames_after_dropping_runtime() -> None:
    rep = report(crash=("__asan_memcpy", "memcpy", "copy_in", "parse", "read_file", "main"))
    sig = signature(rep)
    assert [f.key for f in sig.frames] == ["copy_in", "parse", "read_file"]
    assert sig.title == "heap-buffer-overflow WRITE in copy_in ‹ parse ‹ read_file"


def test_depth_is_configurable() -> None:
    sig = signature(report(crash=("add", "b", "c", "d")), depth=1)
    assert [f.key for f in sig.frames] == ["add"]


def test_project_ignore_changes_the_frames() -> None:
    rep = report(crash=("xmalloc", "make", "main"))
    assert [f.key for f in signature(rep, ["xmalloc"]).frames] == ["make", "main"]


def test_leak_uses_alloc_stack_and_direct_indirect() -> None:
    direct = signature(leak_report("direct"))
    indirect = signature(leak_report("indirect"))
    assert [f.key for f in direct.frames] == ["make_node", "main"]
    assert direct.title == "leak (direct) in make_node ‹ main"
    assert direct.id != indirect.id


def test_file_line_and_addresses_do_not_change_the_id() -> None:
    a = report()
    crash = a.stacks[0]
    moved = tuple(replace(f, line=(f.line or 0) + 40, pc=(f.pc or 0) + 8) for f in crash.frames)
    b = replace(a, stacks=(replace(crash, frames=moved),), address="0x1", tool="memcheck")
    assert signature(a).id == signature(b).id


def test_kind_access_and_frames_change_the_id() -> None:
    base = signature(report()).id
    assert signature(report(access="READ")).id != base
    assert signature(report(kind="stack-buffer-overflow")).id != base
    assert signature(report(crash=("parse_body", "read_file", "main"))).id != base


def test_id_is_short_hex_and_pinned() -> None:
    # Changing this value means every stored id changes: bump SIGNATURE_VERSION.
    sig = signature(report())
    assert SIGNATURE_VERSION == 5
    assert len(sig.id) == 12 and int(sig.id, 16) >= 0
    text = "\x1f".join(
        ["5", "heap-buffer-overflow", "WRITE", "", "parse_header", "read_file", "main"]
    )
    assert sig.id == hashlib.sha256(text.encode()).hexdigest()[:12] == "d642ed72dbf6"


def test_the_ignore_table_is_pinned_to_the_signature_version() -> None:
    # An edit of IGNORE_RULES changes ids: bump SIGNATURE_VERSION, then pin anew.
    assert (SIGNATURE_VERSION, IGNORE_FINGERPRINT) == (5, "5ef7402d63cd")


def test_all_frames_ignored_falls_back_to_raw_top() -> None:
    sig = signature(report(crash=("malloc", "__libc_start_main")))
    assert [f.key for f in sig.frames] == ["malloc", "__libc_start_main"]


def test_bug_key_groups_callers_of_one_crash_site_and_buffer() -> None:
    alloc = ("malloc", "new_buffer", "main")
    one = signature(report(crash=("parse", "from_file", "main"), alloc=alloc))
    two = signature(report(crash=("parse", "from_socket", "main"), alloc=alloc))
    other = signature(report(crash=("parse", "from_file", "main"), alloc=("malloc", "other")))
    assert one.id != two.id
    assert one.bug_key == two.bug_key
    assert other.bug_key != one.bug_key


def test_abort_path_and_module_printed_as_function_are_ignored() -> None:
    rep = report(
        kind="abrt",
        access=None,
        crash=("gsignal", "abort", "libc.so.6", "__assert_fail", "LLVMFuzzerTestOneInput", "main"),
    )
    assert [f.key for f in signature(rep).frames] == ["LLVMFuzzerTestOneInput", "main"]


def test_a_stack_overflow_is_keyed_by_its_recursion_cycle_wherever_it_faults():
    from harness.model import Frame, Source, Stack
    from harness.model import Report as R
    from harness.triage.signature import signature

    def overflow(top: list[str]) -> R:
        names = top + ["print_list"] * 40 + ["main"]
        frames = tuple(Frame(index=i, function=name) for i, name in enumerate(names))
        return R(
            "asan",
            "stack-overflow",
            Source("x.log", 0, 1),
            "stack-overflow",
            stacks=(Stack("crash", frames),),
        )

    in_recursion = signature(overflow(["print_list"]))
    in_printf = signature(overflow(["printf_common", "printf"]))
    in_helper = signature(overflow(["read_atom"]))

    assert in_recursion.id == in_printf.id == in_helper.id
    assert in_recursion.title == "stack-overflow in print_list"


def test_a_frame_with_only_a_source_location_is_keyed_by_its_file_not_its_line():
    from harness.model import Frame
    from harness.triage.signature import frame_key

    here = frame_key(Frame(index=0, file="/src/lib/checksum.c", line=12, column=5))
    moved = frame_key(Frame(index=0, file="/src/lib/checksum.c", line=30, column=5))
    elsewhere = frame_key(Frame(index=0, file="/src/lib/parse.c", line=12, column=5))

    assert here == moved == "<checksum.c>"
    assert elsewhere != here


def test_a_race_keeps_its_id_whichever_access_is_printed_first() -> None:
    # gcc's runtime printed this race's read in main first, clang's the write in the worker
    main_side = ("count_shard", "merge", "main")
    worker_side = ("count_shard", "worker")
    read_first = signature(race_report(main_side, worker_side, access="READ"))
    write_first = signature(race_report(worker_side, main_side, access="WRITE"))

    assert read_first == write_first
    assert read_first.access is None
    assert read_first.title == "data-race in count_shard ‹ merge ‹ main vs count_shard ‹ worker"
    assert [f.key for f in read_first.frames] == ["count_shard", "merge", "main"]


def test_two_races_are_two_findings_even_through_one_access() -> None:
    shared = ("count_shard", "worker")
    races = [
        race_report(shared, ("count_shard", "merge", "main")),
        race_report(shared, ("count_shard", "flush", "main")),
        race_report(("free_list_pop", "worker"), ("free_list_push", "main")),
        race_report(("free_list_push", "main"), ("free_list_pop", "worker"), access="READ"),
    ]
    ids = [signature(race).id for race in races]
    assert ids[0] != ids[1] and ids[2] == ids[3] and len(set(ids)) == 3
    assert sorted(c.finding.count for c in cluster(races)) == [1, 1, 2]
    assert len({signature(race).bug_key for race in races[:2]}) == 1  # one crash site


def test_a_race_with_a_side_not_restored_is_not_a_race_with_itself() -> None:
    both = signature(race_report(("bump", "worker"), ("bump", "worker")))
    lost = signature(race_report(("bump", "worker"), None))
    assert both.id != lost.id
    assert both.title == lost.title == "data-race in bump ‹ worker"


def test_a_lock_cycle_is_keyed_by_every_acquisition_wherever_it_starts() -> None:
    def cycle(*edges: tuple[str, ...], held: bool = False) -> Report:
        stacks = []
        for n, edge in enumerate(edges):
            role = "previous" if stacks else "crash"
            acquired = f"Mutex M{n + 1} acquired here while holding mutex M{n} in main thread:"
            stacks.append(replace(stack(role, "pthread_mutex_lock", *edge), header=acquired))
            if held:  # TSAN_OPTIONS=second_deadlock_stack=1: where the held mutex was taken
                before = f"Mutex M{n} previously acquired by the same thread here:"
                stacks.append(replace(stack("previous", "take", "elsewhere"), header=before))
        return replace(
            report(kind="lock-order-inversion", access=None, tool="tsan"), stacks=tuple(stacks)
        )

    a, b, c = ("lock_ab", "main"), ("lock_bc", "worker"), ("lock_ca", "worker")
    first = signature(cycle(a, b, c))
    assert first.id == signature(cycle(b, c, a)).id == signature(cycle(c, a, b, held=True)).id
    assert first.id != signature(cycle(a, b)).id
    assert (
        first.title
        == "lock-order-inversion in lock_ab ‹ main vs lock_bc ‹ worker vs lock_ca ‹ worker"
    )

"""The massif.out parser and the views built on it, on files valgrind 3.19 wrote.

tests/data/massif/heap_peak-medium.massif.out: samples/heap_peak (gcc 12, -O1 -g)
on inputs/medium.txt, with the options `harness profile` uses.
tests/data/massif/cxx-default-options.massif.out: a small C++ program (vectors,
strings, a map) under Massif's default options (instruction time, one
detailed snapshot in ten, libstdc++ without debug information).
tests/data/massif/strdup-names.massif.out: a C++ program (g++ 12, -O1 -g) whose
copy_name() keeps ten strdup copies of a 19,999-character line (200,000 bytes)
at the peak, with the options `harness profile` uses.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from harness import heap_profile, massif
from harness.massif import MassifError

DATA = Path(__file__).resolve().parents[1] / "data" / "massif"
C_FILE = DATA / "heap_peak-medium.massif.out"
CXX_FILE = DATA / "cxx-default-options.massif.out"
TABLE_BYTES = 256 * 512 * 8  # medium.txt declares a 256 x 512 table of doubles


def test_header_and_every_snapshot_are_read():
    parsed = massif.parse_file(C_FILE)

    assert parsed.desc.startswith("--time-unit=B --detailed-freq=1 --max-snapshots=200")
    assert parsed.cmd.endswith("heap_peak samples/heap_peak/inputs/medium.txt")
    assert parsed.time_unit == "B"
    assert [snapshot.number for snapshot in parsed.snapshots] == list(range(21))
    assert not parsed.truncated
    assert all(snapshot.tree is not None for snapshot in parsed.snapshots)
    times = [snapshot.time for snapshot in parsed.snapshots]
    assert times == sorted(times)


def test_peak_is_the_largest_snapshot_and_load_table_owns_it():
    parsed = massif.parse_file(C_FILE)
    peak = parsed.peak

    assert peak is not None
    assert peak.total == max(snapshot.total for snapshot in parsed.snapshots)
    assert peak.total == peak.heap + peak.heap_extra
    top = peak.tree.children[0]
    assert (top.function, top.file, top.line) == ("load_table", "main.c", 60)
    assert top.bytes == TABLE_BYTES
    assert top.children[0].function == "main"


def test_sites_at_the_peak_carry_share_and_call_path():
    sites = heap_profile.peak_sites(massif.parse_file(C_FILE))

    assert sites[0].function == "load_table"
    assert sites[0].location == "main.c:60"
    assert sites[0].path == ("load_table", "main")
    assert sites[0].share > 99.0
    below = [site for site in sites if site.places is not None]
    assert below and below[0].key == heap_profile.BELOW_THRESHOLD
    assert sum(site.bytes for site in sites) == massif.parse_file(C_FILE).peak.heap


def test_cxx_names_unsymbolized_frames_and_empty_snapshots():
    parsed = massif.parse_file(CXX_FILE)
    peak = parsed.peak
    nodes = peak.tree.children

    assert parsed.time_unit == "i"
    assert any(
        snapshot.tree_kind == "empty" and snapshot.tree is None for snapshot in parsed.snapshots
    )
    assert peak.tree is not None
    unknown = next(node for node in nodes if node.module and node.module.endswith(".so.6.0.30"))
    assert unknown.function is None and unknown.file is None
    assert unknown.address.startswith("0x")
    constructed = next(node for node in nodes if node.function and "_M_construct" in node.function)
    assert constructed.function.endswith("_M_construct(unsigned long, char)")
    assert constructed.function.startswith("std::__cxx11::basic_string<char")
    allocate = next(node for node in nodes if node.function == "allocate")
    assert allocate.location == "new_allocator.h:137"


def test_compare_shows_the_site_that_grew():
    before = massif.parse_file(C_FILE)
    text = C_FILE.read_text(encoding="utf-8")
    grown = text.replace(f"{TABLE_BYTES} 0x", f"{TABLE_BYTES * 4} 0x")
    after = massif.parse_text(grown)

    changes = heap_profile.compare(before, after)

    assert changes[0].key == "load_table ‹ main"
    assert (changes[0].before, changes[0].after) == (TABLE_BYTES, TABLE_BYTES * 4)
    assert changes[0].status == "grew"
    assert heap_profile.compare(after, before)[0].status == "shrank"


def test_json_round_trip_keeps_everything():
    for path in (C_FILE, CXX_FILE):
        parsed = massif.parse_file(path)

        assert massif.from_json(massif.to_json(parsed)) == parsed


def test_a_file_cut_inside_a_tree_keeps_the_complete_snapshots():
    text = C_FILE.read_text(encoding="utf-8")
    cut = text.index(" n1: 1048576 0x") + 5  # in the middle of the peak's tree line

    parsed = massif.parse_text(text[:cut], "cut.out")

    assert parsed.truncated
    complete = massif.parse_file(C_FILE).snapshots
    assert parsed.snapshots == complete[: len(parsed.snapshots)]
    assert 0 < len(parsed.snapshots) < len(complete)


def test_a_file_cut_inside_a_number_drops_that_snapshot():
    text = C_FILE.read_text(encoding="utf-8")
    cut = text.index("mem_heap_B=1048") + len("mem_heap_B=10")

    parsed = massif.parse_text(text[:cut])

    assert parsed.truncated
    assert all(snapshot.heap != 10 for snapshot in parsed.snapshots)


NO_DETAIL = """\
desc: (none)
cmd: ./prog
time_unit: i
#-----------
snapshot=0
#-----------
time=0
mem_heap_B=0
mem_heap_extra_B=0
mem_stacks_B=0
heap_tree=empty
#-----------
snapshot=1
#-----------
time=1500
mem_heap_B=4000
mem_heap_extra_B=16
mem_stacks_B=0
heap_tree=empty
#-----------
snapshot=2
#-----------
time=2200
mem_heap_B=100
mem_heap_extra_B=8
mem_stacks_B=0
heap_tree=empty
"""


def test_no_detailed_snapshot_gives_a_peak_without_sites():
    parsed = massif.parse_text(NO_DETAIL)

    assert parsed.peak is not None and parsed.peak.number == 1
    assert parsed.peak.tree is None
    assert heap_profile.peak_sites(parsed) == ()


@pytest.mark.parametrize(
    ("text", "line", "words"),
    [
        ("", 1, "empty"),
        ("GIF89a\x00\x01garbage\n", 1, "expected 'desc: ...'"),
        ("desc: x\ncmd: y\n", 3, "ends inside its header"),
        ("desc: x\ncmd: y\ntime_unit: B\n", 4, "no snapshot"),
        (NO_DETAIL.replace("time=1500", "time=soon"), 15, "whole number"),
        (NO_DETAIL.replace("heap_tree=empty\n#", "heap_tree=sparse\n#", 1), 11, "heap_tree=sparse"),
        (
            NO_DETAIL.replace("mem_stacks_B=0\nheap_tree=empty\n#-----------\nsnapshot=1", "x", 1),
            10,
            "mem_stacks_B",
        ),
    ],
)
def test_what_is_not_massif_output_is_a_clear_error(text: str, line: int, words: str):
    with pytest.raises(MassifError) as raised:
        massif.parse_text(text, "bad.out")

    assert f"bad.out:{line}:" in str(raised.value)
    assert words in str(raised.value)


def test_a_tree_line_at_the_wrong_depth_names_its_line():
    text = C_FILE.read_text(encoding="utf-8").replace("  n0: 1048576 0x", "   n0: 1048576 0x", 1)

    with pytest.raises(MassifError, match=r"expected an allocation tree line at depth 2"):
        massif.parse_text(text)


def test_sparkline_and_byte_units():
    assert heap_profile.sparkline([0, 10, 5, 10]) == "▁█▄█"
    assert len(heap_profile.sparkline(list(range(500)), width=60)) == 60
    assert heap_profile.sparkline([]) == ""
    assert heap_profile.human_bytes(512) == "512 B"
    assert heap_profile.human_bytes(1536) == "1.50 KiB"
    assert heap_profile.human_bytes(TABLE_BYTES) == "1.00 MiB"


STRDUP_FILE = DATA / "strdup-names.massif.out"
# The C++ runtime's emergency pool, allocated while ld.so runs the constructors:
# no frame of the program's own below it.
STARTUP = """\
desc: --time-unit=B
cmd: ./prog
time_unit: B
#-----------
snapshot=0
#-----------
time=72712
mem_heap_B=72704
mem_heap_extra_B=8
mem_stacks_B=0
heap_tree=peak
n1: 72704 (heap allocation functions) malloc/new/new[], --alloc-fns, etc.
 n1: 72704 0x48F97B9: ??? (in /usr/lib/x86_64-linux-gnu/libstdc++.so.6.0.30)
  n1: 72704 0x4004A1D: call_init (dl-init.c:74)
   n1: 72704 0x4004B03: _dl_init (dl-init.c:121)
    n1: 72704 0x401AB9F: ??? (in /usr/lib/x86_64-linux-gnu/ld-linux-x86-64.so.2)
     n0: 72704 0x1: ???
"""


def test_a_site_in_strdup_is_its_caller_in_the_program():
    sites = heap_profile.peak_sites(massif.parse_file(STRDUP_FILE))

    assert [(s.function, s.location, s.bytes) for s in sites] == [
        ("copy_name()", "names.cpp:5", 200_000)
    ]
    assert sites[0].path == ("copy_name()", "main")


def test_the_projects_ignore_frames_skip_its_own_allocation_wrappers():
    sites = heap_profile.peak_sites(massif.parse_file(STRDUP_FILE), ["copy_*"])

    assert [(s.function, s.bytes, s.path) for s in sites] == [("main", 200_000, ("main",))]


def test_a_library_allocating_for_itself_stays_the_site():
    sites = heap_profile.peak_sites(massif.parse_text(STARTUP))

    assert [(s.function, s.location, s.bytes) for s in sites] == [
        (None, "/usr/lib/x86_64-linux-gnu/libstdc++.so.6.0.30", 72704)
    ]


def test_sites_below_the_threshold_are_one_row_wherever_they_were():
    tree = (
        "n2: 1250 (heap allocation functions) malloc/new/new[], --alloc-fns, etc.\n"
        " n2: 1100 0x48F29A9: strdup (strdup.c:42)\n"
        "  n1: 1000 0x109168: copy_name (x.c:5)\n"
        "   n0: 1000 0x10919E: main (x.c:9)\n"
        "  n0: 100 in 2 places, all below massif's threshold (1.00%)\n"
        " n0: 150 in 3 places, all below massif's threshold (1.00%)\n"
    )
    text = STARTUP.split("n1: 72704 (heap")[0].replace("72704", "1250") + tree

    sites = heap_profile.peak_sites(massif.parse_text(text))

    assert [(s.function, s.bytes, s.places) for s in sites] == [
        ("copy_name", 1000, None),
        (None, 250, 5),
    ]

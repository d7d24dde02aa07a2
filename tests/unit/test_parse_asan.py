"""ASan/LSan reports written out by hand in the runtimes' exact formats.

These cover what the recorded logs cannot easily produce: allocator OOM,
odr-violation, interleaved processes, CRLF, bytes that are not UTF-8, wrapped
frames, runtime failures.
"""

from __future__ import annotations

from harness.parse import parse_bytes, parse_file, parse_text
from harness.parse.asan import kind_of

UAF = """\
=================================================================
==42==ERROR: AddressSanitizer: heap-use-after-free on address 0x602000000011 at pc 0x1 bp 0x2 sp 0x3
READ of size 1 at 0x602000000011 thread T0
    #0 0x55 in use /src/a.c:9:12
    #1 0x56 in main /src/a.c:20:3

0x602000000011 is located 1 bytes inside of 8-byte region [0x602000000010,0x602000000018)
freed by thread T0 here:
    #0 0x57 in free (/tmp/a.out+0xa4ec2)
    #1 0x58 in release /src/a.c:5:5

previously allocated by thread T0 here:
    #0 0x59 in malloc (/tmp/a.out+0xa516e)
    #1 0x5a in make /src/a.c:3:12

SUMMARY: AddressSanitizer: heap-use-after-free /src/a.c:9:12 in use
==42==ABORTING
"""


def test_use_after_free_report() -> None:
    (report,) = parse_text(UAF, "log").reports
    assert (report.kind, report.access, report.access_size, report.thread) == (
        "heap-use-after-free",
        "READ",
        1,
        "T0",
    )
    assert report.address == "0x602000000011" and report.source.pid == 42
    assert [s.role for s in report.stacks] == ["crash", "free", "alloc"]
    assert report.stack("alloc").frames[1].function == "make"
    assert report.summary.startswith("SUMMARY: AddressSanitizer: heap-use-after-free")
    assert not report.truncated
    assert UAF[report.source.offset :].startswith("==42==ERROR")


def test_blank_line_inside_a_stack_does_not_end_it() -> None:
    text = UAF.replace("    #1 0x5a in make", "\n    #1 0x5a in make")
    (report,) = parse_text(text, "log").reports
    assert len(report.stack("alloc").frames) == 2


def test_crlf_and_invalid_utf8() -> None:
    data = ("garbage \xff\xfe\n" + UAF).encode("latin-1").replace(b"\n", b"\r\n")
    (report,) = parse_bytes(data, "log").reports
    assert report.kind == "heap-use-after-free" and not report.truncated
    assert data[report.source.offset :].startswith(b"==42==ERROR")
    assert report.stack("crash").frames[0].line == 9


def test_other_process_lines_are_skipped() -> None:
    lines = UAF.splitlines(keepends=True)
    lines.insert(4, "==77==WARNING: something from another process\n")
    lines.insert(8, "program output line\n")
    (report,) = parse_text("".join(lines), "log").reports
    assert [len(s.frames) for s in report.stacks] == [2, 2, 2]


def test_cut_report_is_truncated() -> None:
    text = UAF[: UAF.index("previously allocated")]
    (report,) = parse_text(text, "log").reports
    assert report.truncated and [s.role for s in report.stacks] == ["crash", "free"]


def test_cut_headline_is_unparsed() -> None:
    result = parse_text("==42==ERROR: AddressSanitizer: heap-use-af", "log")
    assert not result.reports
    assert "unrecognized" in result.unparsed[0].reason


def test_unknown_headline_falls_back_to_summary() -> None:
    text = UAF.replace("heap-use-after-free on address", "brand-new-error at").replace(
        "SUMMARY: AddressSanitizer: heap-use-after-free",
        "SUMMARY: AddressSanitizer: brand-new-error",
    )
    (report,) = parse_text(text, "log").reports
    assert report.kind == "brand-new-error" and report.details["headline"] == "unrecognized"


def test_allocator_out_of_memory() -> None:
    text = (
        "==9==ERROR: AddressSanitizer: out of memory: "
        "allocator is trying to allocate 0x10000 bytes\n"
        "    #0 0x1 in malloc (/a.out+0x1)\n    #1 0x2 in main /a.c:3\n\n"
        "==9==HINT: if you don't care about these errors you may set allocator_may_return_null=1\n"
        "SUMMARY: AddressSanitizer: out-of-memory (/a.out+0x1) in malloc\n==9==ABORTING\n"
    )
    (report,) = parse_text(text, "log").reports
    assert report.kind == "out-of-memory" and len(report.stacks[0].frames) == 2


def test_odr_violation_keeps_both_registrations() -> None:
    text = (
        "==5==ERROR: AddressSanitizer: odr-violation (0x000000601040):\n"
        "  [1] size=4 'x' a.c:1:5\n  [2] size=4 'x' b.c:1:5\n"
        "These globals were registered at these points:\n"
        "  [1]:\n    #0 0x1 in __asan_register_globals (/a.out+0x1)\n    #1 0x2 in init_a a.c:1\n\n"
        "  [2]:\n    #0 0x3 in __asan_register_globals (/a.out+0x1)\n    #1 0x4 in init_b b.c:1\n\n"
        "==5==HINT: if you don't care about these errors you may set detect_odr_violation=0\n"
        "SUMMARY: AddressSanitizer: odr-violation: global 'x' at a.c:1:5\n==5==ABORTING\n"
    )
    (report,) = parse_text(text, "log").reports
    assert report.kind == "odr-violation"
    # The crash stack is the global's first definition; the registrations follow.
    assert [(s.role, s.frames[-1].function) for s in report.stacks] == [
        ("crash", "x"),
        ("alloc", "init_a"),
        ("previous", "init_b"),
    ]
    assert (report.stacks[0].frames[0].file, report.stacks[0].frames[0].line) == ("a.c", 1)


def test_zero_page_segv_is_null_dereference() -> None:
    text = (
        "==3==ERROR: AddressSanitizer: SEGV on unknown address 0x000000000018 "
        "(pc 0x1 bp 0x2 sp 0x3 T0)\n"
        "==3==The signal is caused by a WRITE memory access.\n"
        "==3==Hint: address points to the zero page.\n    #0 0x1 in f /a.c:2:3\n"
        "AddressSanitizer can not provide additional info.\n"
        "SUMMARY: AddressSanitizer: SEGV /a.c:2:3 in f\n"
        "==3==ABORTING\n"
    )
    (report,) = parse_text(text, "log").reports
    assert (report.kind, report.access) == ("null-dereference", "WRITE")


def test_wrapped_frame_line_is_joined() -> None:
    text = UAF.replace(
        "    #1 0x56 in main /src/a.c:20:3",
        "    #1 0x56 in ns::Long<int,\nchar>::run() /src/a.c:20:3",
    )
    (report,) = parse_text(text, "log").reports
    frame = report.stack("crash").frames[1]
    assert (frame.function, frame.line) == ("ns::Long<int,char>::run()", 20)


def test_lsan_fatal_error_is_unparsed() -> None:
    text = "==8==LeakSanitizer has encountered a fatal error.\n==8==HINT: For debugging, try\n"
    result = parse_text(text, "log")
    assert not result.reports and "ptrace" in result.unparsed[0].reason


def test_headerless_leak_block_from_a_cut_log() -> None:
    text = "Indirect leak of 24 byte(s) in 2 object(s) allocated from:\n"
    text += "    #0 0x1 in malloc (/a+0x1)\n\n"
    (report,) = parse_text(text, "log").reports
    assert report.details == {"leak": "indirect", "bytes": 24, "objects": 2}


def test_unreadable_file_is_unparsed(tmp_path) -> None:
    result = parse_file(tmp_path / "missing.log")
    assert not result.reports and "cannot read" in result.unparsed[0].reason


def test_kind_table() -> None:
    assert [kind_of(n) for n in ("SEGV", "heap-buffer-overflow", "rss-limit-exceeded")] == [
        "segv",
        "heap-buffer-overflow",
        "out-of-memory",
    ]

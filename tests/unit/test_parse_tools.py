"""UBSan, TSan, MSan and memcheck reports written out by hand in the tools' formats.

These cover what the recorded logs (tests/data/logs, generate_tools.py) do not:
every UBSan message form, a ThreadSanitizer signal-unsafe call, cut Valgrind
text and XML, a fatal signal of its own, and one log holding every tool.
"""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from harness.parse import parse_text
from harness.parse.tsan import kind_of
from harness.parse.ubsan import check_of, location_frame


@pytest.mark.parametrize(
    ("message", "name", "access"),
    [
        (
            "signed integer overflow: 1 + 2147483647 cannot be represented in type 'int'",
            "signed-integer-overflow",
            None,
        ),
        (
            "unsigned integer overflow: 0 - 1 cannot be represented in type 'unsigned int'",
            "unsigned-integer-overflow",
            None,
        ),
        (
            "negation of -2147483648 cannot be represented in type 'int'; cast to an unsigned type",
            "signed-integer-overflow",
            None,
        ),
        (
            "division of -2147483648 by -1 cannot be represented in type 'int'",
            "signed-integer-overflow",
            None,
        ),
        ("division by zero", "integer-divide-by-zero", None),
        ("shift exponent -1 is negative", "invalid-shift-exponent", None),
        (
            "left shift of 1 by 31 places cannot be represented in type 'int'",
            "invalid-shift-base",
            None,
        ),
        ("index 5 out of bounds for type 'int [4]'", "out-of-bounds-index", None),
        (
            "store to misaligned address 0x01 for type 'int', which requires 4 byte alignment",
            "misaligned-pointer-use",
            "WRITE",
        ),
        (
            "member call on misaligned address 0x01 for type 'S', which requires 8 byte alignment",
            "misaligned-pointer-use",
            None,
        ),
        ("store to null pointer of type 'int'", "null-pointer-use", "WRITE"),
        ("reference binding to null pointer of type 'unsigned char'", "null-pointer-use", None),
        ("upcast of null pointer of type 'Base'", "null-pointer-use", None),
        (
            "member call on address 0x6020 which does not point to an object of type 'Base'",
            "dynamic-type-mismatch",
            None,
        ),
        (
            "load of value 3, which is not a valid value for type 'Color'",
            "invalid-enum-load",
            "READ",
        ),
        (
            "load of value 2, which is not a valid value for type 'bool'",
            "invalid-bool-load",
            "READ",
        ),
        ("applying zero offset to null pointer", "nullptr-with-offset", None),
        (
            "applying non-zero offset to non-null pointer 0x1 produced null pointer",
            "nullptr-after-nonzero-offset",
            None,
        ),
        (
            "pointer index expression with base 0xffffffffffffffff overflowed to 0x0",
            "pointer-overflow",
            None,
        ),
        (
            "execution reached the end of a value-returning function without returning a value",
            "missing-return",
            None,
        ),
        (
            "null pointer returned from function declared to never return null",
            "invalid-null-return",
            None,
        ),
        ("passing zero to ctz(), which is not a valid argument", "invalid-builtin-use", None),
        (
            "assumption of 32 byte alignment for pointer of type 'char *' failed",
            "alignment-assumption",
            None,
        ),
        (
            "call to function f() through pointer to incorrect function type 'void (*)(int)'",
            "function-type-mismatch",
            None,
        ),
        (
            "implicit conversion from type 'int' of value 256 (32-bit, signed) to type"
            " 'unsigned char' changed the value to 0 (8-bit, unsigned)",
            "implicit-signed-integer-truncation",
            None,
        ),
        (
            "implicit conversion from type 'unsigned int' of value 300 (32-bit, unsigned) to"
            " type 'signed char' changed the value to 44 (8-bit, signed)",
            "implicit-signed-integer-truncation-or-sign-change",
            None,
        ),
        (
            "implicit conversion from type 'unsigned int' of value 256 (32-bit, unsigned) to type"
            " 'unsigned char' changed the value to 0 (8-bit, unsigned)",
            "implicit-unsigned-integer-truncation",
            None,
        ),
        (
            "implicit conversion from type 'int' of value -1 (32-bit, signed) to type"
            " 'unsigned int' changed the value to 4294967295 (32-bit, unsigned)",
            "implicit-integer-sign-change",
            None,
        ),
        (
            "control flow integrity check for type 'A' failed during virtual call"
            " (vtable address 0x1)",
            "cfi-vcall",
            None,
        ),
        (
            "control flow integrity check for type 'A' failed during non-virtual call",
            "cfi-nvcall",
            None,
        ),
        ("something new the runtime learned to say", "undefined-behavior", None),
    ],
)
def test_ubsan_messages_name_the_runtime_check(message: str, name: str, access: str | None) -> None:
    assert check_of(message) == (name, access)


def test_summary_name_decides_only_where_the_message_cannot() -> None:
    summary = "SUMMARY: UndefinedBehaviorSanitizer: float-divide-by-zero a.c:1:2 in"
    assert check_of("division by zero", summary) == ("float-divide-by-zero", None)
    summary = "SUMMARY: UndefinedBehaviorSanitizer: invalid-enum-load a.c:1:2 in"
    message = "load of value 7, which is not a valid value for type '_Bool'"
    assert check_of(message, summary) == ("invalid-bool-load", "READ")


def test_location_frames() -> None:
    frame = location_frame("(libfoo.so+0x1a2b)")
    assert (frame.function, frame.module, frame.module_offset) == (None, "libfoo.so", 0x1A2B)
    assert location_frame("<unknown>") is None
    frame = location_frame("src/a.c:12")
    assert (frame.file, frame.line, frame.column) == ("src/a.c", 12, None)


def test_tsan_kind_names() -> None:
    assert kind_of("lock-order-inversion (potential deadlock)") == "lock-order-inversion"
    assert kind_of("use of an invalid mutex (e.g. uninitialized or destroyed)") == (
        "use-of-an-invalid-mutex"
    )


SIGNAL_UNSAFE = """\
==================
WARNING: ThreadSanitizer: signal-unsafe call inside of a signal (pid=9)
    #0 malloc <null> (a.out+0x4b7b1) (BuildId: 0a1b)
    #1 on_signal /src/s.c:7:3 (a.out+0xd0e8a) (BuildId: 0a1b)

SUMMARY: ThreadSanitizer: signal-unsafe call inside of a signal (/tmp/a.out+0x4b7b1) in malloc
==================
"""


def test_tsan_signal_unsafe_call() -> None:
    (report,) = parse_text(SIGNAL_UNSAFE, "log").reports
    assert report.kind == "signal-unsafe-call-inside-of-a-signal"
    assert report.source.pid == 9 and not report.truncated
    first, second = report.stack("crash").frames
    assert (first.function, first.file, first.module) == ("malloc", None, "a.out")
    assert (second.function, second.line, second.build_id) == ("on_signal", 7, "0a1b")
    assert SIGNAL_UNSAFE[report.source.offset :].startswith("WARNING")
    assert report.source.offset + report.source.length == len(SIGNAL_UNSAFE)


MEMCHECK_TEXT = """\
==7== Invalid write of size 1
==7==    at 0x109179: fill (memcheck.c:14)
==7==    by 0x10919C: main (memcheck.c:20)
==7==  Address 0x4a41068 is 0 bytes after a block of size 40 alloc'd
==7==    at 0x48417B4: malloc (in /usr/libexec/valgrind/vgpreload_memcheck-amd64-linux.so)
==7==    by 0x10918C: main (memcheck.c:18)
==7==
==7== Process terminating with default action of signal 6 (SIGABRT)
==7==    at 0x48A2EEC: __pthread_kill_implementation (pthread_kill.c:44)
==7==    by 0x4853FB1: raise (raise.c:26)
==7==
"""


def test_memcheck_text_cut_inside_an_error_is_truncated() -> None:
    cut = MEMCHECK_TEXT[: MEMCHECK_TEXT.index("==7==    by 0x10918C")]
    (report,) = parse_text(cut, "log").reports
    assert (report.kind, report.access, report.truncated) == ("heap-buffer-overflow", "WRITE", True)
    assert report.stack("alloc").frames[0].function == "malloc"


def test_memcheck_fatal_signal_of_its_own_is_a_report() -> None:
    overflow, abort = parse_text(MEMCHECK_TEXT, "log").reports
    assert (overflow.kind, overflow.truncated) == ("heap-buffer-overflow", False)
    assert (abort.kind, abort.details["signal"]) == ("abrt", "SIGABRT")
    assert abort.stack("crash").frames[1].function == "raise"


XML = """\
<?xml version="1.0"?>
<valgrindoutput>
<pid>31</pid>
<error>
  <unique>0x0</unique><tid>1</tid><kind>InvalidRead</kind>
  <what>Invalid read of size 4</what>
  <stack>
    <frame><ip>0x1091A4</ip><obj>/tmp/a.out</obj><fn>peek</fn>
      <dir>/src</dir><file>a.c</file><line>9</line></frame>
    <frame><ip>0x1091C0</ip><obj>/tmp/a.out</obj><fn>main</fn></frame>
  </stack>
  <auxwhat>Address 0x4a4104c is 4 bytes before a block of size 40 alloc'd</auxwhat>
  <stack>
    <frame><ip>0x48417B4</ip><fn>malloc</fn></frame>
    <frame><ip>0x1091B0</ip><fn>main</fn></frame>
  </stack>
</error>
</valgrindoutput>
"""


def test_memcheck_xml_error() -> None:
    (report,) = parse_text(XML, "log").reports
    assert (report.kind, report.access, report.access_size) == ("heap-buffer-overflow", "READ", 4)
    assert report.source.pid == 31 and report.address == "0x4a4104c"
    frame = report.stack("crash").frames[0]
    assert (frame.function, frame.file, frame.line, frame.module) == (
        "peek",
        "/src/a.c",
        9,
        "/tmp/a.out",
    )
    assert [s.role for s in report.stacks] == ["crash", "alloc"]


def test_memcheck_xml_cut_keeps_what_arrived() -> None:
    cut = XML[: XML.index("<frame><ip>0x1091B0")]
    (report,) = parse_text(cut, "log").reports
    assert report.truncated and report.kind == "heap-buffer-overflow"
    assert report.stack("crash").frames[0].function == "peek"


def test_memcheck_xml_cut_before_its_kind_is_unparsed() -> None:
    result = parse_text(XML[: XML.index("<kind>")], "log")
    assert result.reports == ()
    assert "cut short" in result.unparsed[0].reason


UBSAN = """\
a.c:3:5: runtime error: signed integer overflow: 2147483647 + 1 cannot be represented in type 'int'
SUMMARY: UndefinedBehaviorSanitizer: undefined-behavior a.c:3:5 in
"""
MSAN = """\
==5==WARNING: MemorySanitizer: use-of-uninitialized-value
    #0 0x4a in check /src/m.c:12:9
SUMMARY: MemorySanitizer: use-of-uninitialized-value /src/m.c:12:9 in check
Exiting
"""
ASAN = """\
==6==ERROR: AddressSanitizer: heap-use-after-free on address 0x6 at pc 0x1 bp 0x2 sp 0x3
READ of size 1 at 0x6 thread T0
    #0 0x55 in use /src/a.c:9:12
SUMMARY: AddressSanitizer: heap-use-after-free /src/a.c:9:12 in use
==6==ABORTING
"""


def test_one_log_with_every_tool_gives_every_report() -> None:
    text = "start\n" + ASAN + UBSAN + SIGNAL_UNSAFE + MSAN + MEMCHECK_TEXT + XML
    reports = parse_text(text, "log").reports
    assert [r.tool for r in reports] == [
        "asan",
        "ubsan",
        "tsan",
        "msan",
        "memcheck",
        "memcheck",
        "memcheck",
    ]
    assert all(not r.truncated for r in reports)
    offsets = [r.source.offset for r in reports]
    assert offsets == sorted(offsets)


# Pieces of every new grammar; random sequences of them must never make the parser raise.
PIECES = [
    "a.c:1:2: runtime error: ",
    "division by zero",
    "load of null pointer of type 'int'",
    "control flow integrity check for type 'A' failed during ",
    "0x10: note: x",
    "    #0 0x1 in f /a.c:1:2\n",
    "    #1 f a.c:1 (m+0x1) (BuildId: ab)\n",
    "\n",
    "  ^ \n",
    "SUMMARY: UndefinedBehaviorSanitizer: ",
    "==1==WARNING: MemorySanitizer: ",
    "  Uninitialized value was created by an allocation of 'x' in the stack frame of function 'f'",
    "WARNING: ThreadSanitizer: data race (pid=1)\n",
    "  Write of size 4 at 0x1 by thread T1:\n",
    "  Previous read of size 4 at 0x1 by main thread (mutexes: write M0):\n",
    "  Mutex M0 acquired here while holding mutex M1 in main thread:\n",
    "==================\n",
    "==1== Invalid write of size 4\n",
    "==1==    at 0x1: f (a.c:1)\n",
    "==1==    by 0x2: ???\n",
    "==1==  Address 0x0 is not stack'd, malloc'd or (recently) free'd\n",
    "==1== \n",
    "==1== Process terminating with default action of signal 11 (SIGSEGV)\n",
    "==1==  Access not within mapped region at address 0x0\n",
    "<valgrindoutput>",
    "<error>",
    "</error>",
    "<kind>InvalidFree</kind>",
    "<kind>",
    "<stack>",
    "<frame><ip>0xZZ</ip><line>x</line></frame>",
    "<auxwhat>Address 0x1 is free'd</auxwhat>",
    "<fatal_signal><signame>SIGSEGV</signame>",
    "&bogus;",
    "]]>",
    "<!DOCTYPE x>",
]


@settings(deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.sampled_from(PIECES), max_size=40), st.integers(0, 2000))
def test_random_pieces_of_the_tool_grammars_never_raise(pieces: list[str], cut: int) -> None:
    text = "".join(pieces)
    for candidate in (text, text[:cut]):
        result = parse_text(candidate, "log")
        assert all(r.source.length >= 0 for r in result.reports)

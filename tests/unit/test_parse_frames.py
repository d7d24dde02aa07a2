"""The shared frame grammar on every frame shape the runtimes print."""

from __future__ import annotations

import pytest

from harness.parse.frames import FRAME_TAIL, parse_frame_line


@pytest.mark.parametrize(
    ("line", "function", "file", "line_no", "column", "module", "offset"),
    [
        (
            "    #2 0x4c2e0e in interceptor /tmp/test.c:26:3",
            "interceptor",
            "/tmp/test.c",
            26,
            3,
            None,
            None,
        ),
        (
            "    #5 0x561eefdccf4a in interceptor /tmp/test.c:26",
            "interceptor",
            "/tmp/test.c",
            26,
            None,
            None,
            None,
        ),
        (
            "    #0 0x43962a in printf_common(void*, char const*, __va_list_tag*)"
            " (/tmp/test+0x43962a)",
            "printf_common(void*, char const*, __va_list_tag*)",
            None,
            None,
            None,
            "/tmp/test",
            0x43962A,
        ),
        (
            "    #0 0x7f91702c0074  (/usr/lib/x86_64-linux-gnu/libasan.so.4+0x74074)",
            None,
            None,
            None,
            None,
            "/usr/lib/x86_64-linux-gnu/libasan.so.4",
            0x74074,
        ),
        (
            "    #1 0x7f in operator new[](unsigned long) ../asan_new_delete.cpp:102",
            "operator new[](unsigned long)",
            "../asan_new_delete.cpp",
            102,
            None,
            None,
            None,
        ),
        (
            "    #0 0x4cf88d in operator new(unsigned long)",
            "operator new(unsigned long)",
            None,
            None,
            None,
            None,
            None,
        ),
        (
            "    #0 0x000000000000  (<unknown module>)",
            None,
            None,
            None,
            None,
            "<unknown module>",
            None,
        ),
        (
            "    #4 0x7f in std::vector<int, std::allocator<int> >::at(unsigned long) const "
            "/usr/include/c++/12/bits/stl_vector.h:1145:2",
            "std::vector<int, std::allocator<int> >::at(unsigned long) const",
            "/usr/include/c++/12/bits/stl_vector.h",
            1145,
            2,
            None,
            None,
        ),
        ("    #0 foo /tmp/x.c:5:3 (a.out+0x4a1b2c)", "foo", "/tmp/x.c", 5, 3, "a.out", 0x4A1B2C),
        # clang's runtime, for code with a file but no line (module constructors)
        (
            "    #1 0x7f7bc0b5650e in asan.module_ctor odr_lib1.c",
            "asan.module_ctor",
            "odr_lib1.c",
            None,
            None,
            None,
            None,
        ),
        (
            "    #3 0x562bd2 in _GLOBAL__sub_I_init_a.cc /tmp/extcheck/init_a.cc",
            "_GLOBAL__sub_I_init_a.cc",
            "/tmp/extcheck/init_a.cc",
            None,
            None,
            None,
            None,
        ),
        # ThreadSanitizer, clang's static runtime: its object file, no line
        (
            "    #2 __tsan::CallUserSignalHandler(__tsan::ThreadState*, bool, int, void*)"
            " tsan_interceptors_posix.cpp.o (prog+0x57c81) (BuildId: dd50)",
            "__tsan::CallUserSignalHandler(__tsan::ThreadState*, bool, int, void*)",
            "tsan_interceptors_posix.cpp.o",
            None,
            None,
            "prog",
            0x57C81,
        ),
        # the last word of a function with spaces is no file
        ("    #0 0x1 in foo::bar() const", "foo::bar() const", None, None, None, None, None),
        (
            "    #0 0x1 in operator delete(void*, unsigned long)",
            "operator delete(void*, unsigned long)",
            None,
            None,
            None,
            None,
            None,
        ),
        (
            "    #0 0x1 in foo(int) [clone .constprop.0]",
            "foo(int) [clone .constprop.0]",
            None,
            None,
            None,
            None,
            None,
        ),
        (
            "#3 0x0000010b9df0 net::FtpUtil::AbbreviatedMonthToNumber()",
            "net::FtpUtil::AbbreviatedMonthToNumber()",
            None,
            None,
            None,
            None,
            None,
        ),
    ],
)
def test_frame_shapes(line, function, file, line_no, column, module, offset) -> None:
    frame = parse_frame_line(line)
    assert frame is not None
    assert (frame.function, frame.file, frame.line, frame.column) == (
        function,
        file,
        line_no,
        column,
    )
    assert (frame.module, frame.module_offset) == (module, offset)


def test_build_id_and_pc_are_read() -> None:
    frame = parse_frame_line("    #3 0x55d1 in main (/tmp/a.out+0x1234) (BuildId: abcdef0123)")
    assert (frame.index, frame.pc, frame.build_id) == (3, 0x55D1, "abcdef0123")


@pytest.mark.parametrize("line", ["#FailureMessage Object: 0x7f08", "# Fatal error", "hello"])
def test_non_frames_are_refused(line: str) -> None:
    assert parse_frame_line(line) is None


def test_tail_grammar_is_usable_on_its_own() -> None:
    found = FRAME_TAIL.parse_string("in main /src/a.c:3:1")
    assert (found["function"], found["file"], found["line"]) == ("main", "/src/a.c", "3")

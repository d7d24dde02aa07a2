"""The one frame grammar every report family shares.

A frame line is `#N 0xPC TAIL`. The tail says where the frame is and comes in a
handful of shapes, all of which the sanitizers, llvm-symbolizer and GCC's
libbacktrace print:

    in func file.c:12:3                      clang, symbolized
    in func file.c:12                        GCC: no column
    in func file.c                           a file but no line (compiler-made code:
                                             `asan.module_ctor`, `_GLOBAL__sub_I_x.cc`)
    in func (module.so+0x1234)               symbol but no debug info
    in func (module.so+0x1234) (BuildId: ab) newer runtimes
    (module.so+0x1234)                       unsymbolized (symbolize=0, GCC's runtime)
    (<unknown module>)                       JIT code, a wild jump
    in func                                  symbol only (`operator new(unsigned long)`)
    func file.c:12:3 (module+0x12)           ThreadSanitizer: no pc, no `in`
    func <null> (module+0x12) (BuildId: ab)  ThreadSanitizer, clang: no debug info
    func file.cpp.o (module+0x12)            ThreadSanitizer: a file but no line
    func                                     Chromium's base::debug::StackTrace

The tail grammar is pyparsing (`FRAME_TAIL`), but it runs once per distinct
tail: the same function in the same file recurs across thousands of logs while
the index and pc change, so `parse_frame_line` splits those off with the
compiled pattern of the `FRAME_HEAD` element and caches what the tail says.
"""

from __future__ import annotations

import re
from functools import lru_cache

import pyparsing as pp

from harness.model import Frame

# `#12 0x7f3a...  rest`; the pc is missing in ThreadSanitizer's frames.
FRAME_HEAD = pp.Regex(r"[ \t]*#(?P<index>\d+)[ \t]+(?:(?P<pc>0x[0-9a-fA-F]+)(?:[ \t]+|$))?")

_MODULE = r"\((?P<module>[^()]*?)\+0x(?P<offset>[0-9a-fA-F]+)\)"
_BUILD_ID = r"(?:[ \t]+\(BuildId:[ \t]*(?P<build_id>[0-9a-fA-F]+)\))?"
_FILE = r"(?P<file>\S+?):(?P<line>\d+)(?::(?P<column>\d+))?"
# A file printed without a line. It must look like a path (a slash or an
# extension) and hold no bracket or comma, so that the last word of a function
# with spaces (`foo() const`, `operator delete(void*, unsigned long)`) is not
# taken for it.
_BARE_FILE = r"(?P<file>[^\s()<>\[\],]*(?:/|\.\w)[^\s()<>\[\],]*)"

# Alternatives, most specific first. Function names keep spaces, templates and
# parentheses (`operator new[](unsigned long)`): the location is anchored at
# the end of the line and the function is whatever stands between `in` and it.
_TAIL_FORMS = (
    pp.Regex(rf"(?:in[ \t]+(?P<function>.+?)[ \t]+)?{_MODULE}{_BUILD_ID}$"),
    pp.Regex(r"(?:in[ \t]+(?P<function>.+?)[ \t]+)?\((?P<module><unknown module>)\)$"),
    pp.Regex(rf"in[ \t]+(?P<function>.+)[ \t]+{_FILE}$"),
    pp.Regex(rf"in[ \t]+(?P<function>.+?)[ \t]+{_BARE_FILE}$"),
    pp.Regex(rf"(?P<function>\S.*?)[ \t]+(?:{_FILE}|<null>)[ \t]+{_MODULE}{_BUILD_ID}$"),
    pp.Regex(rf"(?P<function>\S.*?)[ \t]+{_BARE_FILE}[ \t]+{_MODULE}{_BUILD_ID}$"),
    pp.Regex(r"in[ \t]+(?P<function>.+)$"),
    pp.Regex(rf"{_FILE}$"),
    pp.Regex(r"<unknown>$"),
    # Chromium's own stack dumps: `#3 0x10b9df0 net::FtpUtil::Parse()`, no `in`.
    pp.Regex(r"(?P<function>[A-Za-z_~][\w:~<>,*&\[\]. -]*(?:\(.*\))?(?: const)?)$"),
)
FRAME_TAIL = pp.MatchFirst(_TAIL_FORMS).leave_whitespace()
FRAME = FRAME_HEAD + FRAME_TAIL

_HEAD_RE = FRAME_HEAD.re
# One whole frame line, from `pos` in a log: index, pc, tail. The report
# walker runs it line after line over a stack without splitting lines.
FRAME_LINE_RE = re.compile(FRAME_HEAD.re.pattern + r"(?P<tail>[^\n]*)\n?")
_FIELDS = ("function", "file", "line", "column", "module", "offset", "build_id")
_INT_FIELDS = frozenset({"line", "column"})

# function, file, line, column, module, module_offset, build_id
TailInfo = tuple[str | None, str | None, int | None, int | None, str | None, int | None, str | None]
_UNREADABLE: TailInfo = (None, None, None, None, None, None, None)


@lru_cache(maxsize=1 << 16)
def parse_tail(tail: str) -> TailInfo | None:
    """What a frame tail says, or None when it is not a frame tail at all."""
    if not tail:
        return _UNREADABLE
    try:
        found = FRAME_TAIL.parse_string(tail, parse_all=True)
    except pp.ParseException:
        return None
    values: list[str | int | None] = []
    for name in _FIELDS:
        value = found.get(name)
        if value is None or value == "":
            values.append(None)
        elif name == "function" and value == "<null>":
            values.append(None)
        elif name in _INT_FIELDS:
            values.append(int(value))
        elif name == "offset":
            values.append(int(value, 16))
        else:
            values.append(value)
    return tuple(values)  # type: ignore[return-value]


def parse_frame_line(line: str) -> Frame | None:
    """The Frame a `#N ...` line describes, or None if the line is not a frame."""
    head = _HEAD_RE.match(line)
    if head is None:
        return None
    info = parse_tail(line[head.end() :].rstrip())
    if info is None:
        return None
    pc = head.group("pc")
    return Frame(int(head.group("index")), int(pc, 16) if pc else None, *info)


def make_frame(index: str, pc: str | None, tail: str) -> Frame | None:
    """A Frame from the three parts of a frame line, or None if the tail is no frame's."""
    info = parse_tail(tail.rstrip())
    if info is None:
        return None
    return Frame(int(index), int(pc, 16) if pc else None, *info)


def frame_needs_more(frame: Frame) -> bool:
    """True when a frame names no location: the next line may be its wrapped rest."""
    return frame.file is None and frame.module is None


# Valgrind's frames: `at 0x4848899: fill (file.c:14)` opens a stack, `by 0x...:`
# continues it; no index is printed. The tail names the function, then where:
#
#     fill (memcheck.c:14)                          debug info (`--fullpath-after`: a path)
#     malloc (in /usr/libexec/valgrind/vgpreload_memcheck-amd64-linux.so)
#     (below main) (libc_start_call_main.h:74)      valgrind's name for the libc start code
#     ??? (in /usr/lib/libfoo.so)   or   ???        no symbol
VALGRIND_FRAME_HEAD = pp.Regex(r"[ \t]*(?P<where>at|by)[ \t]+(?P<pc>0x[0-9a-fA-F]+):[ \t]*")
VALGRIND_FRAME_TAIL = pp.Regex(
    r"(?P<function>.*?)(?:[ \t]*\((?:in (?P<module>[^()]+)|(?P<file>[^()]+?):(?P<line>\d+))\))?$"
)
VALGRIND_FRAME_LINE_RE = re.compile(VALGRIND_FRAME_HEAD.re.pattern + r"(?P<tail>.*)$")


@lru_cache(maxsize=1 << 14)
def parse_valgrind_tail(tail: str) -> TailInfo:
    """What a valgrind frame tail says (function `???` is no symbol: None)."""
    found = VALGRIND_FRAME_TAIL.re.match(tail)
    if found is None:  # pragma: no cover - the pattern matches every string
        return _UNREADABLE
    function = found.group("function").strip() or None
    line = found.group("line")
    return (
        None if function == "???" else function,
        found.group("file"),
        int(line) if line else None,
        None,
        found.group("module"),
        None,
        None,
    )


def make_valgrind_frame(index: int, pc: str, tail: str) -> Frame:
    """A Frame from the pc and tail of a valgrind `at`/`by` line."""
    return Frame(index, int(pc, 16), *parse_valgrind_tail(tail.rstrip()))

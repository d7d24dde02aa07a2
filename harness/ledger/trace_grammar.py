"""ltrace's output lines → events (pyparsing), never raising on what a line says.

Lines as `ltrace -f -i` writes them (the pid column also as `[pid N]`):

    8123 [0x5555555552a4] malloc@libc.so.6(24) = 0x5555555592a0
    8123 [0x5555555552b0] strdup@libc.so.6(0x7ffe5e903610 <unfinished ...>
    8123 [0x5555555552b0] <... strdup resumed> ) = 0x5555555592c0
    8123 [0x7ffff7e4c522] _exit@libc.so.6(0 <no return ...>
    8123 [0xffffffffffffffff] +++ exited (status 0) +++
    8123 [0x7ffff7e4c522] --- SIGSEGV (Segmentation fault) ---
"""

from __future__ import annotations

from dataclasses import dataclass

import pyparsing as pp

START = "start"  # a call: finished on this line unless `unfinished`
RESUMED = "resumed"
EXITED = "exited"
SIGNAL = "signal"


@dataclass(frozen=True, slots=True)
class Event:
    kind: str
    pid: int | None
    pc: int | None
    function: str | None = None
    library: str | None = None
    args: tuple[int | None, ...] = ()
    result: int | None = None
    unfinished: bool = False
    status: int | None = None  # exited: the exit status
    signal: str | None = None  # signal: delivered; exited: killed by


def _grammar() -> pp.ParserElement:
    pid = pp.Regex(r"\[pid (?P<pid>\d+)\]|(?P<pid2>\d+)")
    pc = pp.Suppress("[") + pp.Regex(r"0x[0-9a-fA-F]+")("pc") + pp.Suppress("]")
    name = pp.Regex(r"[A-Za-z_.$][\w.$]*")("function")
    library = pp.Suppress("@") + pp.Regex(r"[^\s(]+")("library")
    args = pp.Regex(r"[^<)]*")("args")
    result = pp.Suppress("=") + pp.Regex(r"\S+")("result")
    ending = (
        pp.Literal("<unfinished ...>")("unfinished")
        | pp.Literal("<no return ...>")("unfinished")
        | pp.Suppress(")") + result
    )
    call = (name + pp.Optional(library) + pp.Suppress("(") + args + ending)("call")
    resumed = (
        pp.Suppress("<...") + name + pp.Suppress("resumed>") + args + pp.Suppress(")") + result
    )("resumed")
    exited = pp.Regex(
        r"\+\+\+ (?:exited \(status (?P<status>-?\d+)\)|killed by (?P<killer>\w+)).*"
    )("exited")
    signal = pp.Regex(r"--- (?P<signal>\w+)[^\n]*")("delivered")
    body = exited | signal | resumed | call
    return pp.Optional(pid) + pp.Optional(pc) + body + pp.StringEnd()


GRAMMAR = _grammar()


def parse_line(line: str) -> Event | None:
    """The event on one line, or None when the line is not one ltrace writes."""
    try:
        found = GRAMMAR.parse_string(line.strip())
    except pp.ParseException:
        return None
    pid_text = found.get("pid") or found.get("pid2")
    pid = int(pid_text) if pid_text else None
    pc = int(found["pc"], 16) if "pc" in found else None
    if "exited" in found:
        status = found.get("status")
        return Event(
            EXITED, pid, pc, status=int(status) if status else None, signal=found.get("killer")
        )
    if "delivered" in found:
        return Event(SIGNAL, pid, pc, signal=found.get("signal"))
    kind = RESUMED if "resumed" in found else START
    return Event(
        kind,
        pid,
        pc,
        function=found["function"],
        library=found.get("library"),
        args=tuple(value(part) for part in split_args(found.get("args", ""))),
        result=value(found["result"]) if "result" in found else None,
        unfinished="unfinished" in found,
    )


def split_args(text: str) -> list[str]:
    stripped = text.strip()
    return [part.strip() for part in stripped.split(",")] if stripped else []


def value(text: str) -> int | None:
    """A printed number: hex, decimal, or nil (0); None for <void> and the rest."""
    text = text.strip()
    if text == "nil":
        return 0
    try:
        return int(text, 0) if text[:2].lower() == "0x" else int(text)
    except ValueError:
        return None

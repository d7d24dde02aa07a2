"""The two programs that turn (binary, offset) into function and file:line.

- llvm-symbolizer: one long-lived process, fed many `"<binary>" 0x<offset>`
  lines at once; each answer is (function, file:line:column) pairs, innermost
  inlined frame first, ended by a blank line.
- addr2line (binutils), when llvm-symbolizer is missing: one run per binary
  with many addresses; `-a` prints each address before its answer, which is
  how the answers are told apart.

Both keep inlined frames (`--inlines`, `-i`): the sanitizer runtimes print
one frame per inlined function, so a stack symbolized here reads like the
stack the runtime would have printed, and keeps the same finding id.
"""

from __future__ import annotations

import glob
import os
import re
import subprocess
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from typing import IO, Protocol

from harness import proc
from harness.errors import ToolError

# addr2line's argv holds the addresses: keep it well under the kernel's limit.
ADDR2LINE_CHUNK = 2000
_UNKNOWN = ("??", "")


@dataclass(frozen=True, slots=True)
class Place:
    """One (possibly inlined) function at an address; None where unknown."""

    function: str | None
    file: str | None
    line: int | None
    column: int | None


Answer = tuple[Place, ...]


class Backend(Protocol):
    name: str

    def lookup(self, binary: str, offsets: Sequence[int]) -> list[Answer]: ...

    def close(self) -> None: ...


def find_tool(configured: str | None = None) -> str | None:
    """The symbolizer to use: the configured one, else llvm-symbolizer (plain or
    the newest versioned `llvm-symbolizer-NN` on PATH), else addr2line."""
    if configured:
        return proc.which(configured) or (configured if os.path.isfile(configured) else None)
    found = proc.which("llvm-symbolizer")
    if found:
        return found
    folders = os.get_exec_path()
    versioned = sorted(
        (path for folder in folders for path in glob.glob(f"{folder}/llvm-symbolizer-*")),
        key=_version,
        reverse=True,
    )
    for path in versioned:
        if os.access(path, os.X_OK):
            return path
    return proc.which("addr2line")


def _version(path: str) -> int:
    found = re.search(r"-(\d+)$", path)
    return int(found.group(1)) if found else -1


def open_backend(tool: str) -> Backend:
    if os.path.basename(tool).startswith(("addr2line", "eu-addr2line")) or "addr2line" in tool:
        return Addr2line(tool)
    return LlvmSymbolizer(tool)


def parse_location(text: str) -> tuple[str | None, int | None, int | None]:
    """`file:line:col`, `file:line`, `??:0:0`, `file:12 (discriminator 3)`."""
    text = re.sub(r"\s+\(discriminator \d+\)$", "", text.strip())
    parts = text.rsplit(":", 2)
    numbers: list[int | None] = []
    while len(parts) > 1 and re.fullmatch(r"\d+|\?", parts[-1]):
        value = parts.pop()
        numbers.insert(0, int(value) if value.isdigit() and int(value) else None)
        if len(numbers) == 2:
            break
    file = ":".join(parts)
    line = numbers[0] if numbers else None
    column = numbers[1] if len(numbers) > 1 else None
    return (None if file in _UNKNOWN else file), line, column


def make_place(function: str, location: str) -> Place:
    name = function.strip()
    return Place(None if name in _UNKNOWN else name, *parse_location(location))


def parse_llvm_answer(lines: Sequence[str]) -> Answer:
    """One llvm-symbolizer answer (LLVM style, without its blank line)."""
    pairs = zip(lines[0::2], lines[1::2], strict=False)
    places = tuple(make_place(function, location) for function, location in pairs)
    return places if any(place.function for place in places) else ()


def parse_addr2line(output: str) -> dict[int, Answer]:
    """`addr2line -a -f -i` output → offset → answer."""
    answers: dict[int, list[Place]] = {}
    current: list[Place] | None = None
    lines = output.splitlines()
    index = 0
    while index < len(lines):
        line = lines[index]
        if re.fullmatch(r"0x[0-9a-fA-F]+", line.strip()):
            current = answers[int(line, 16)] = []
            index += 1
            continue
        if current is not None and index + 1 < len(lines):
            current.append(make_place(line, lines[index + 1]))
        index += 2
    return {offset: tuple(p) if any(x.function for x in p) else () for offset, p in answers.items()}


class LlvmSymbolizer:
    """One llvm-symbolizer process, asked in batches."""

    name = "llvm-symbolizer"

    def __init__(self, tool: str):
        argv = [tool, "--inlines", "--demangle", "--output-style=LLVM"]
        try:
            # A pipe conversation with a long-lived process: proc.run only
            # runs programs to completion.
            self._process: subprocess.Popen[str] | None = subprocess.Popen(
                argv,
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                stderr=subprocess.DEVNULL,
                text=True,
                errors="replace",
                env=proc.child_env(),
            )
        except OSError as exc:
            raise ToolError(f"cannot start {tool}: {exc.strerror or exc}") from None

    def lookup(self, binary: str, offsets: Sequence[int]) -> list[Answer]:
        process = self._process
        if process is None or process.stdin is None or process.stdout is None:
            raise ToolError("llvm-symbolizer is closed")
        quoted = binary.replace('"', '\\"')
        queries = "".join(f'"{quoted}" {offset:#x}\n' for offset in offsets)
        # Written from a thread: a large batch would fill both pipes and each
        # side would wait for the other.
        writer = threading.Thread(target=_write, args=(process.stdin, queries), daemon=True)
        writer.start()
        answers = [self._read_answer(process.stdout) for _ in offsets]
        writer.join()
        return answers

    def _read_answer(self, stdout: IO[str]) -> Answer:
        lines: list[str] = []
        while True:
            line = stdout.readline()
            if not line:
                raise ToolError("llvm-symbolizer exited before answering every address")
            line = line.rstrip("\n")
            if not line:
                return parse_llvm_answer(lines)
            lines.append(line)

    def close(self) -> None:
        process, self._process = self._process, None
        if process is None:
            return
        if process.stdin:
            process.stdin.close()
        try:
            process.wait(timeout=5)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        if process.stdout:
            process.stdout.close()


def _write(stream: IO[str], text: str) -> None:
    try:
        stream.write(text)
        stream.flush()
    except BrokenPipeError:
        pass  # the reader sees the process gone and says so


class Addr2line:
    """binutils addr2line: one run per binary and chunk of addresses."""

    name = "addr2line"

    def __init__(self, tool: str):
        self.tool = tool

    def lookup(self, binary: str, offsets: Sequence[int]) -> list[Answer]:
        found: dict[int, Answer] = {}
        unique = list(dict.fromkeys(offsets))
        for start in range(0, len(unique), ADDR2LINE_CHUNK):
            chunk = unique[start : start + ADDR2LINE_CHUNK]
            argv = [self.tool, "-a", "-f", "-C", "-i", "-e", binary, *map(hex, chunk)]
            found.update(parse_addr2line(proc.run(argv, what="addr2line").stdout))
        return [found.get(offset, ()) for offset in offsets]

    def close(self) -> None:
        return None

"""The samples' ground truth: the table in samples/README.md as frozen data.

One row per sample target: the bug's kind and access, the tools that find it,
the statement the report's deciding stack points at, the inputs that reach it,
and the findings triage should make of the target's logs. Tests and triage checks read it from
here rather than repeating it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
SAMPLES = REPO / "samples"
README = SAMPLES / "README.md"

COLUMNS = (
    "target",
    "kind",
    "access",
    "tools",
    "root cause",
    "triggering inputs",
    "expected findings",
)

# What the sanitizer runtime prints in the header of a report of each kind
# (gcc 12 and clang 14 print the same words).
REPORT_HEADERS: dict[str, tuple[str, ...]] = {
    "heap-buffer-overflow": ("ERROR: AddressSanitizer: heap-buffer-overflow",),
    "stack-buffer-overflow": ("ERROR: AddressSanitizer: stack-buffer-overflow",),
    "global-buffer-overflow": ("ERROR: AddressSanitizer: global-buffer-overflow",),
    "heap-use-after-free": ("ERROR: AddressSanitizer: heap-use-after-free",),
    "stack-use-after-scope": ("ERROR: AddressSanitizer: stack-use-after-scope",),
    "double-free": ("ERROR: AddressSanitizer: attempting double-free",),
    "bad-free": ("ERROR: AddressSanitizer: attempting free on address which was not malloc()-ed",),
    "memcpy-param-overlap": ("ERROR: AddressSanitizer: memcpy-param-overlap",),
    "alloc-dealloc-mismatch": (
        "ERROR: AddressSanitizer: alloc-dealloc-mismatch (operator new [] vs operator delete)",
    ),
    "leak": ("ERROR: LeakSanitizer: detected memory leaks",),
    "null-dereference": ("ERROR: AddressSanitizer: SEGV on unknown address 0x000000000000",),
    "stack-overflow": ("ERROR: AddressSanitizer: stack-overflow",),
    "none": (),
}

# What the other tools print for the kinds they find, by (tool, kind). Memcheck's
# lines are the <what> texts of its XML log; its invalid accesses are written
# from the access (`Invalid read of size`) in SampleTruth.headers_for.
TOOL_REPORT_HEADERS: dict[tuple[str, str], tuple[str, ...]] = {
    ("msan", "use-of-uninitialized-value"): (
        "WARNING: MemorySanitizer: use-of-uninitialized-value",
    ),
    ("memcheck", "use-of-uninitialized-value"): (
        "Conditional jump or move depends on uninitialised value(s)",
    ),
    ("memcheck", "heap-buffer-overflow"): (),
    ("tsan", "data-race"): ("WARNING: ThreadSanitizer: data race",),
    ("ubsan", "signed-integer-overflow"): ("runtime error: signed integer overflow:",),
    ("ubsan", "invalid-shift-exponent"): ("runtime error: shift exponent",),
    ("ubsan", "misaligned-pointer-use"): ("runtime error: load of misaligned address",),
    ("ubsan", "null-dereference"): ("runtime error: member access within null pointer",),
}
TOOLS = ("asan", "msan", "memcheck", "tsan", "ubsan")
KINDS = frozenset(REPORT_HEADERS) | {kind for _, kind in TOOL_REPORT_HEADERS}

# Any of these in a log means some sanitizer reported an error.
ERROR_MARKERS = ("ERROR: AddressSanitizer", "ERROR: LeakSanitizer")
# The same, per tool: memcheck's XML log has an <error> element per error.
TOOL_ERROR_MARKERS: dict[str, tuple[str, ...]] = {
    "asan": ERROR_MARKERS,
    "msan": ("WARNING: MemorySanitizer",),
    "memcheck": ("<error>",),
    "tsan": ("WARNING: ThreadSanitizer",),
    "ubsan": ("runtime error:",),
}

_ROOT = re.compile(r"^(?P<function>\S.*?) \((?P<file>[^():]+):(?P<line>\d+)\)$")
_COUNT = re.compile(r"^\s*(\d+)\b")


@dataclass(frozen=True, slots=True)
class SampleTruth:
    """One row of the ground-truth table."""

    target: str
    kind: str
    access: str | None
    root_function: str | None
    root_file: str | None
    root_line: int | None
    triggering_inputs: tuple[str, ...]
    expected_findings: str
    tools: tuple[str, ...] = ("asan",)

    @property
    def expected_count(self) -> int:
        """How many findings triage should make: "1 leak direct + 1 leak indirect" is 2."""
        total = 0
        for part in self.expected_findings.split("+"):
            match = _COUNT.match(part)
            if match:
                total += int(match.group(1))
        return total

    @property
    def report_headers(self) -> tuple[str, ...]:
        """Substrings every triggering input's logs must contain, from the first tool."""
        return self.headers_for(self.tools[0])

    def headers_for(self, tool: str) -> tuple[str, ...]:
        """Substrings every triggering input's logs from `tool` must contain."""
        if tool != "asan":
            headers = TOOL_REPORT_HEADERS[(tool, self.kind)]
            if tool == "memcheck" and self.kind == "heap-buffer-overflow" and self.access:
                headers += (f"Invalid {self.access.lower()} of size",)
            return headers
        headers = REPORT_HEADERS[self.kind]
        if self.kind == "leak":
            if "direct" in self.expected_findings.replace("indirect", ""):
                headers += ("Direct leak of",)
            if "indirect" in self.expected_findings:
                headers += ("Indirect leak of",)
        return headers

    def inputs_dir(self, samples: Path = SAMPLES) -> Path:
        return samples / self.target / "inputs"


def load_truth(readme: Path = README) -> tuple[SampleTruth, ...]:
    """The table of `readme` (samples/README.md by default)."""
    return parse_table(readme.read_text(encoding="utf-8"), str(readme))


def parse_table(text: str, where: str = "<text>") -> tuple[SampleTruth, ...]:
    """The rows of the one markdown table in `text`. Raises ValueError naming the line."""
    rows: list[SampleTruth] = []
    header_seen = False
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.startswith("|"):
            continue
        cells = tuple(cell.strip() for cell in line.strip().strip("|").split("|"))
        if not header_seen:
            if cells != COLUMNS:
                raise ValueError(f"{where}:{number}: table columns must be {' | '.join(COLUMNS)}")
            header_seen = True
            continue
        if all(set(cell) <= set("-: ") for cell in cells):
            continue
        rows.append(_row(cells, f"{where}:{number}"))
    if not header_seen:
        raise ValueError(f"{where}: no ground-truth table found")
    return tuple(rows)


def _row(cells: tuple[str, ...], where: str) -> SampleTruth:
    if len(cells) != len(COLUMNS):
        raise ValueError(f"{where}: expected {len(COLUMNS)} cells, found {len(cells)}")
    target, kind, access, tools_cell, root, inputs, expected = cells
    if kind not in KINDS:
        raise ValueError(f"{where}: unknown kind '{kind}'; use one of {', '.join(sorted(KINDS))}")
    if access not in ("READ", "WRITE", "-"):
        raise ValueError(f"{where}: access must be READ, WRITE or -, not '{access}'")
    tools = _tools(tools_cell, kind, where)
    function, file, line = _root(root, where)
    triggering = tuple(name.strip() for name in inputs.split(",")) if inputs != "-" else ()
    return SampleTruth(
        target=target,
        kind=kind,
        access=None if access == "-" else access,
        root_function=function,
        root_file=file,
        root_line=line,
        triggering_inputs=triggering,
        expected_findings=expected,
        tools=tools,
    )


def _tools(text: str, kind: str, where: str) -> tuple[str, ...]:
    tools = tuple(name.strip() for name in text.split(","))
    for tool in tools:
        if tool not in TOOLS:
            raise ValueError(f"{where}: unknown tool '{tool}'; use one of {', '.join(TOOLS)}")
        known = kind in REPORT_HEADERS if tool == "asan" else (tool, kind) in TOOL_REPORT_HEADERS
        if kind != "none" and not known:
            raise ValueError(f"{where}: no report headers for kind '{kind}' from {tool}")
    return tools


def _root(text: str, where: str) -> tuple[str | None, str | None, int | None]:
    if text == "-":
        return None, None, None
    match = _ROOT.match(text)
    if match is None:
        raise ValueError(f"{where}: root cause must read 'function (path:LINE)', not '{text}'")
    return match["function"], match["file"], int(match["line"])

"""The ledger: one frozen value per run, whatever the method."""

from __future__ import annotations

import re
from dataclasses import dataclass

from harness.model import Frame

LTRACE = "ltrace"
JEMALLOC = "jemalloc"
LSAN = "lsan"
# Cheapest first: the order `harness ledger` tries them in without --via.
METHODS = (LSAN, JEMALLOC, LTRACE)

# What "unfreed" means for each method, printed beside its figures.
MEANING = {
    LTRACE: (
        "unfreed = every block still allocated at exit, the C library's own (stdio "
        "buffers, ...) included, whether or not a pointer still reaches it; exact "
        "requested sizes"
    ),
    JEMALLOC: (
        "unfreed = every block still allocated at exit, the C library's own included, "
        "whether or not a pointer still reaches it; sizes in jemalloc's size classes "
        "(a 15-byte request counts 16)"
    ),
    LSAN: (
        "unfreed = only blocks no pointer reaches at exit (LeakSanitizer's leaks, "
        "direct and indirect); blocks still reachable are not counted; exact sizes"
    ),
}

# The allocator's entry points, as libc and the sanitizer runtimes name them
# (`__GI___strdup`, `__interceptor_malloc`, `__libc_calloc`, `operator new(unsigned long)`).
_ALLOCATORS = frozenset(
    {
        "malloc",
        "calloc",
        "realloc",
        "reallocarray",
        "free",
        "strdup",
        "strndup",
        "posix_memalign",
        "aligned_alloc",
        "memalign",
        "valloc",
        "pvalloc",
    }
)
_PREFIX = re.compile(r"^(?:_|interceptor_|GI_|libc_)+")
# C++'s allocation operators by their symbols (x86-64), as LSan names them.
OPERATORS = {
    "_Znwm": "operator new",
    "_Znam": "operator new[]",
    "_ZdlPv": "operator delete",
    "_ZdaPv": "operator delete[]",
    "_ZdlPvm": "operator delete (sized)",
    "_ZdaPvm": "operator delete[] (sized)",
}


def allocator_name(function: str | None) -> str | None:
    """The allocator an entry point's name stands for, or None for other functions."""
    name = (function or "").split("(")[0].strip()
    if name.startswith("operator new") or name.startswith("operator delete"):
        return name
    bare = _PREFIX.sub("", name)
    return bare if bare in _ALLOCATORS else None


@dataclass(frozen=True, slots=True)
class Group:
    """Unfreed blocks allocated at one site. `frames` top first: the first is the
    site (for ltrace the only one: the immediate call site, inlined callers
    aside). `own` says the site is in the program's code rather than a library's.
    `offset` is where the first of its blocks is described in the log."""

    frames: tuple[Frame, ...]
    allocator: str
    count: int
    bytes: int
    own: bool
    offset: int
    leak: str | None = None  # lsan: direct / indirect

    @property
    def site(self) -> Frame | None:
        return self.frames[0] if self.frames else None

    @property
    def function(self) -> str | None:
        return self.site.function if self.site else None

    @property
    def location(self) -> str:
        site = self.site
        if site is None:
            return "?"
        if site.file:
            return f"{site.file}:{site.line}" if site.line else site.file
        if site.module:
            offset = f"+{site.module_offset:#x}" if site.module_offset is not None else ""
            return f"{site.module}{offset}"
        return f"{site.pc:#x}" if site.pc is not None else "?"


@dataclass(frozen=True, slots=True)
class Ledger:
    """One run's allocations. None where the method cannot know the figure."""

    method: str
    log: str  # the trace, heap profile or LSan log the groups point into
    calls: tuple[tuple[str, int], ...]
    allocated: int | None
    freed: int | None
    peak: int | None
    groups: tuple[Group, ...]
    exit_code: int | None = None
    signal: str | None = None
    notes: tuple[str, ...] = ()

    @property
    def meaning(self) -> str:
        return MEANING[self.method]

    @property
    def unfreed_bytes(self) -> int:
        return sum(group.bytes for group in self.groups)

    @property
    def unfreed_blocks(self) -> int:
        return sum(group.count for group in self.groups)

    def own_groups(self) -> tuple[Group, ...]:
        return tuple(group for group in self.groups if group.own)

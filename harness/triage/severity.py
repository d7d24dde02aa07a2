"""Severity: one fixed table from (kind, access) to (severity, security).

In the spirit of exploitability ratings: a write outranks a read, because a
write the program did not mean is how memory corruption becomes control.
Lookup order: (kind, access), then (kind, None), then DEFAULT.
"""

from __future__ import annotations

from dataclasses import dataclass

HIGH = "high"
MEDIUM = "medium"
LOW = "low"
# Rank used when ordering findings: high first.
SEVERITY_ORDER: dict[str, int] = {HIGH: 0, MEDIUM: 1, LOW: 2}


@dataclass(frozen=True, slots=True)
class Rating:
    severity: str
    security: bool


_HIGH = Rating(HIGH, True)
_MEDIUM = Rating(MEDIUM, True)
_LOW = Rating(LOW, False)
_LOW_SECURITY = Rating(LOW, True)

# Out-of-bounds kinds: writes are high, reads medium.
_OUT_OF_BOUNDS = (
    "heap-buffer-overflow",
    "stack-buffer-overflow",
    "stack-buffer-underflow",
    "dynamic-stack-buffer-overflow",
    "global-buffer-overflow",
    "container-overflow",
    "intra-object-overflow",
    "use-after-poison",
    "stack-use-after-return",
    "stack-use-after-scope",
    "unknown-crash",
    "wild-addr",
)

TABLE: dict[tuple[str, str | None], Rating] = {
    **{(kind, "WRITE"): _HIGH for kind in _OUT_OF_BOUNDS},
    **{(kind, "READ"): _MEDIUM for kind in _OUT_OF_BOUNDS},
    **{(kind, None): _MEDIUM for kind in _OUT_OF_BOUNDS},
    # A dangling pointer or a second free hands the heap's metadata to the
    # program's data: high whatever the access.
    ("heap-use-after-free", None): _HIGH,
    ("double-free", None): _HIGH,
    # Freeing what malloc did not return, or with the wrong deallocator,
    # corrupts the allocator's state, but less directly.
    ("bad-free", None): _MEDIUM,
    ("alloc-dealloc-mismatch", None): _MEDIUM,
    ("memcpy-param-overlap", None): _MEDIUM,
    ("negative-size-param", None): _MEDIUM,
    ("use-of-uninitialized-value", None): _MEDIUM,
    ("data-race", None): _MEDIUM,
    # A wild pointer: a write anywhere is the worst case; a read leaks.
    ("segv", "WRITE"): _HIGH,
    ("segv", "READ"): _MEDIUM,
    ("segv", None): _MEDIUM,
    ("bus", None): _MEDIUM,
    # Crashes near address 0, unbounded recursion and leaks stop or bloat
    # the program but rarely hand control to an attacker.
    ("null-dereference", None): _LOW,
    ("stack-overflow", None): _LOW,
    ("leak", None): _LOW,
    ("fpe", None): _LOW,
    ("abrt", None): _LOW,
    ("ill", None): _LOW,
    # UBSan: most kinds are latent, but an unchecked index or object size is
    # an out-of-bounds access that ASan may not be there to see, and an
    # object of the wrong dynamic type (or a call CFI stopped) is a bad cast.
    ("out-of-bounds-index", None): _LOW_SECURITY,
    ("insufficient-object-size", None): _LOW_SECURITY,
    ("dynamic-type-mismatch", None): _LOW_SECURITY,
    **{
        (f"cfi-{check}", None): _LOW_SECURITY
        for check in ("vcall", "nvcall", "icall", "mfcall", "derived-cast", "unrelated-cast")
    },
}

# Kinds named after the function that caught them: `<function>-param-overlap`
# for whichever string or memory function ASan or memcheck saw overlap
# (memcpy, strncpy, strcat, ...), rated as memcpy's.
FAMILIES: dict[str, Rating] = {"-param-overlap": TABLE[("memcpy-param-overlap", None)]}

# Everything else, UBSan's arithmetic and alignment kinds included.
DEFAULT = _LOW


def rate(kind: str, access: str | None) -> Rating:
    """The severity and security flag of a kind of error with this access."""
    found = TABLE.get((kind, access)) or TABLE.get((kind, None))
    if found is not None:
        return found
    return next((r for suffix, r in FAMILIES.items() if kind.endswith(suffix)), DEFAULT)

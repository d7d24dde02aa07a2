"""Sanitizer profiles: a name like `asan` or `asan+ubsan` → the sanitizers it enables.

toolchain.py turns a profile into compiler flags; runtime_options.py into the
runtime's environment. `plain` is a `-g` build with no sanitizer: what
Valgrind, the ledgers and `cost` run on.
"""

from __future__ import annotations

from dataclasses import dataclass

from harness.errors import UsageError

# profile part → sanitizers it enables (in -fsanitize= spelling)
PARTS: dict[str, tuple[str, ...]] = {
    "asan": ("address", "leak"),
    "lsan": ("leak",),
    "ubsan": ("undefined",),
    "msan": ("memory",),
    "tsan": ("thread",),
}
PLAIN = "plain"
# Sanitizers that cannot share one binary.
EXCLUSIVE = ({"address", "thread"}, {"address", "memory"}, {"memory", "thread"}, {"leak", "thread"})


@dataclass(frozen=True, slots=True)
class Profile:
    name: str
    parts: tuple[str, ...]

    @property
    def sanitizers(self) -> tuple[str, ...]:
        seen: list[str] = []
        for part in self.parts:
            for sanitizer in PARTS[part]:
                if sanitizer not in seen:
                    seen.append(sanitizer)
        return tuple(seen)

    @property
    def is_plain(self) -> bool:
        return not self.parts


def parse_profile(name: str) -> Profile:
    """`asan`, `asan+ubsan`, `plain`, ... → Profile. Raises UsageError."""
    text = name.strip().lower()
    if text == PLAIN:
        return Profile(PLAIN, ())
    parts = tuple(part.strip() for part in text.split("+") if part.strip())
    unknown = [part for part in parts if part not in PARTS]
    if not parts or unknown:
        raise UsageError(
            f"unknown profile '{name}'; use {', '.join(PARTS)}, combinations like "
            f"asan+ubsan, or {PLAIN}"
        )
    canonical = tuple(dict.fromkeys(parts))
    profile = Profile("+".join(canonical), canonical)
    enabled = set(profile.sanitizers)
    for pair in EXCLUSIVE:
        if pair <= enabled and not (pair == {"leak", "thread"} and "lsan" not in parts):
            raise UsageError(f"profile '{name}': {' and '.join(sorted(pair))} cannot be combined")
    return profile

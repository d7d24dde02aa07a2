"""Where the binary a log names lies on this machine, and whether it is the same one.

A log written on a CI machine names `/ci/build/out/prog`; here it is
`build/gcc-asan/prog`. The path map rewrites build prefixes into local ones;
the search folders are looked in for the module's file name. When the log
gives a build-id, only a local file with that build-id is accepted: offsets
into another build of the program would name the wrong functions.
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from harness.symbolize.elf import build_id as read_build_id


@dataclass(frozen=True, slots=True)
class PathMap:
    """Build-path prefixes → local ones; the longest matching prefix wins."""

    pairs: tuple[tuple[str, str], ...] = ()

    @classmethod
    def of(cls, mapping: Mapping[str, str]) -> PathMap:
        pairs = ((_trim(src), _trim(dst)) for src, dst in mapping.items() if src)
        return cls(tuple(sorted(pairs, key=lambda pair: len(pair[0]), reverse=True)))

    def apply(self, path: str) -> str:
        """`path` with its build prefix replaced; unchanged when no prefix matches.
        A prefix matches whole path components only: /ci/build is not /ci/builds."""
        for source, target in self.pairs:
            if path == source or path.startswith(source + "/") or source == "/":
                rest = path[len(source) :] if source != "/" else path
                return target + rest if rest else target
        return path


def _trim(path: str) -> str:
    return path.rstrip("/") or "/"


@dataclass(frozen=True, slots=True)
class Identity:
    """What a symbol cache is keyed by: the build-id, else path, size and mtime."""

    key: str
    durable: bool  # a build-id: safe to keep across triages


@dataclass(frozen=True, slots=True)
class Located:
    """The local binary for a module, or why there is none (`problem`)."""

    path: str | None
    identity: Identity | None
    problem: str | None = None


class Locator:
    """Finds local binaries for the modules logs name, once per (module, build-id)."""

    def __init__(self, path_map: PathMap, search_dirs: Sequence[Path] = ()):
        self.path_map = path_map
        self.search_dirs = tuple(search_dirs)
        self._found: dict[tuple[str, str | None], Located] = {}
        self._ids: dict[str, str | None] = {}

    def locate(self, module: str, wanted: str | None) -> Located:
        key = (module, wanted.lower() if wanted else None)
        found = self._found.get(key)
        if found is None:
            found = self._found[key] = self._locate(module, key[1])
        return found

    def candidates(self, module: str) -> list[str]:
        """Local paths that may hold `module`, in the order they are tried."""
        mapped = self.path_map.apply(module)
        name = mapped.replace("\\", "/").rsplit("/", 1)[-1]
        paths = [mapped, module] + [str(folder / name) for folder in self.search_dirs]
        return list(dict.fromkeys(paths))

    def _locate(self, module: str, wanted: str | None) -> Located:
        existing = [path for path in self.candidates(module) if os.path.isfile(path)]
        if not existing:
            looked = ", ".join(self.candidates(module))
            return Located(None, None, f"{module}: binary not found (looked at {looked})")
        if wanted is None:
            # The log gives no build-id (GCC's runtime prints none): trust the file.
            return Located(existing[0], self._identity(existing[0]))
        for path in existing:
            if self._build_id(path) == wanted:
                return Located(path, Identity(wanted, durable=True))
        have = ", ".join(f"{path} has {self._build_id(path) or 'no build-id'}" for path in existing)
        return Located(None, None, f"{module}: the log names build-id {wanted} but {have}")

    def _build_id(self, path: str) -> str | None:
        if path not in self._ids:
            self._ids[path] = read_build_id(path)
        return self._ids[path]

    def _identity(self, path: str) -> Identity:
        found = self._build_id(path)
        if found:
            return Identity(found, durable=True)
        st = os.stat(path)
        return Identity(f"{os.path.realpath(path)}:{st.st_size}:{st.st_mtime_ns}", durable=False)

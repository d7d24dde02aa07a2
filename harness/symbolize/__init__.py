"""Offline symbolization: frames a log gives only as `(module+0xoff)` get their
function, file and line from the binary, when it is at hand and is the build
that wrote the log.

    with Symbolizer(path_map={"/ci/build": "/home/me/build"}, search_dirs=["build/gcc-asan"]) as s:
        result = symbolize_result(parse_file("asan.1234"), s)
    print(s.notes)   # what stayed unsymbolized, and why

See core.py for which frames are looked up and how inlined frames are kept,
backends.py for the llvm-symbolizer and addr2line protocols, locate.py for
the path map and the build-id check, cache.py for the on-disk cache.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from harness.symbolize.core import Symbolizer, symbolize_report, symbolize_result
    from harness.symbolize.elf import build_id
    from harness.symbolize.locate import PathMap
    from harness.symbolize.settings import SymbolizeSettings
    from harness.symbolize.wanted import is_unsymbolized, needs_symbol

# Each name is imported from its module when first asked for: a triage that
# reads every log from the store needs the settings, not the symbolizer.
_HOME = {
    "PathMap": "locate",
    "SymbolizeSettings": "settings",
    "Symbolizer": "core",
    "build_id": "elf",
    "is_unsymbolized": "wanted",
    "needs_symbol": "wanted",
    "symbolize_report": "core",
    "symbolize_result": "core",
}

__all__ = [
    "PathMap",
    "SymbolizeSettings",
    "Symbolizer",
    "build_id",
    "is_unsymbolized",
    "needs_symbol",
    "symbolize_report",
    "symbolize_result",
]


def __getattr__(name: str) -> object:
    if name not in _HOME:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(importlib.import_module(f"{__name__}.{_HOME[name]}"), name)

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

from harness.symbolize.core import (
    Symbolizer,
    is_unsymbolized,
    needs_symbol,
    symbolize_report,
    symbolize_result,
)
from harness.symbolize.elf import build_id
from harness.symbolize.locate import PathMap
from harness.symbolize.settings import SymbolizeSettings

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

"""What a triage symbolizes with, as one small picklable value: the pipeline
hands it to its worker processes, and each opens its own Symbolizer."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from harness.config import Config

if TYPE_CHECKING:
    from harness.symbolize.core import Symbolizer

CACHE_NAME = "symbols.json"


@dataclass(frozen=True, slots=True)
class SymbolizeSettings:
    path_map: tuple[tuple[str, str], ...] = ()
    search_dirs: tuple[str, ...] = ()
    tool: str | None = None
    cache_file: str | None = None
    ignore: tuple[str, ...] = ()

    @classmethod
    def from_config(cls, config: Config | None, state_dir: Path | None) -> SymbolizeSettings:
        """harness.toml's [symbolize] table (search folders taken from the
        project root) and the cache in the project's state folder (.harness/)."""
        cache = str(state_dir / CACHE_NAME) if state_dir is not None else None
        if config is None:
            return cls(cache_file=cache)
        return cls(
            path_map=config.path_map,
            search_dirs=tuple(str(config.root / folder) for folder in config.binaries),
            tool=config.symbolizer,
            cache_file=cache,
            ignore=config.ignore_frames,
        )

    def open(self) -> Symbolizer:
        # imported here: the settings travel where no symbolizer is opened
        from harness.symbolize.core import Symbolizer

        return Symbolizer(
            dict(self.path_map),
            self.search_dirs,
            tool=self.tool,
            cache_file=Path(self.cache_file) if self.cache_file else None,
            ignore=self.ignore,
        )

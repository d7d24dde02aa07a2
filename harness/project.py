"""The project a command works on: its root, its config and its folders.

The root is where harness.toml is (searched upward from the current folder,
or given by `-C DIR` / `--config FILE`). Commands that work without a config
(`triage`, `show`) take the current folder as the root when none is found.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from harness import config as config_module
from harness.config import Config
from harness.errors import ConfigError

STATE_DIR = ".harness"
DEFAULT_DB = f"{STATE_DIR}/findings.db"


@dataclass(frozen=True, slots=True)
class Project:
    root: Path
    config: Config | None
    db: str

    @property
    def build_dir(self) -> Path:
        return self.root / "build"

    @property
    def logs_dir(self) -> Path:
        return self.root / "logs"

    @property
    def reports_dir(self) -> Path:
        return self.root / "reports"

    @property
    def state_dir(self) -> Path:
        return self.root / STATE_DIR

    def require_config(self) -> Config:
        if self.config is None:
            raise ConfigError(
                f"no harness.toml in {self.root} or above; create one, "
                "or point at it with -C DIR or --config FILE"
            )
        return self.config


def open_project(
    directory: str | None = None,
    config_file: str | None = None,
    db: str | None = None,
) -> Project:
    """Find the root and read harness.toml when there is one."""
    start = Path(directory).resolve() if directory else Path.cwd()
    if directory and not start.is_dir():
        raise ConfigError(f"-C {directory}: no such folder")
    path: Path | None
    if config_file:
        path = start.joinpath(config_file)
        if not path.is_file():
            raise ConfigError("no such file; check --config", config_file)
    else:
        path = config_module.find_config(start)
    config = config_module.load(path) if path is not None else None
    root = config.root if config else start
    chosen = db or (config.db if config and config.db else None) or DEFAULT_DB
    return Project(root=root, config=config, db=_db_location(root, chosen))


def _db_location(root: Path, db: str) -> str:
    """A URL is kept as given; a plain path is taken relative to the root."""
    if "://" in db:
        return db
    return str(root.joinpath(db))

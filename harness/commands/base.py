"""What every command receives: a way to open the project lazily."""

from __future__ import annotations

from collections.abc import Callable

from harness.project import Project

Loader = Callable[[], Project]

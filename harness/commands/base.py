"""What every command receives: a way to open the project lazily."""

from __future__ import annotations

import sys
from collections.abc import Callable

from harness.project import Project

Loader = Callable[[], Project]


def notify(message: str) -> None:
    """What a command says on the side (a build it made first): standard error."""
    print(f"harness: {message}", file=sys.stderr)

"""The one door to external programs: every subprocess the harness starts
(except the runner's own sandboxed jobs, see runner.py) goes through here.

The child's environment is always a copy: the harness's own os.environ is
never changed.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from harness.errors import ToolError


@dataclass(frozen=True, slots=True)
class Completed:
    argv: tuple[str, ...]
    returncode: int
    stdout: str
    stderr: str


def which(name: str) -> str | None:
    return shutil.which(name)


def child_env(extra: Mapping[str, str] | None = None) -> dict[str, str]:
    """A copy of the harness's environment with `extra` laid over it."""
    env = dict(os.environ)
    if extra:
        env.update(extra)
    return env


def run(
    argv: Sequence[str],
    *,
    env: Mapping[str, str] | None = None,
    cwd: str | Path | None = None,
    timeout: float | None = None,
    check: bool = True,
    capture: bool = True,
    what: str | None = None,
    stdin: Path | None = None,
) -> Completed:
    """Run a program to completion, its standard input read from the file `stdin`
    (else empty). Raises ToolError (carrying stderr) when it cannot be started,
    times out, or (with check) exits non-zero."""
    label = what or Path(argv[0]).name
    source = open(stdin, "rb") if stdin is not None else None
    try:
        done = subprocess.run(
            list(argv),
            env=dict(env) if env is not None else None,
            cwd=cwd,
            timeout=timeout,
            stdin=source if source is not None else subprocess.DEVNULL,
            capture_output=capture,
            text=True,
            errors="replace",
        )
    except FileNotFoundError:
        raise ToolError(f"{label}: '{argv[0]}' not found; install it or put it on PATH") from None
    except subprocess.TimeoutExpired as exc:
        raise ToolError(f"{label} did not finish within {timeout:g}s", _text(exc.stderr)) from None
    finally:
        if source is not None:
            source.close()
    result = Completed(tuple(argv), done.returncode, done.stdout or "", done.stderr or "")
    if check and done.returncode != 0:
        raise ToolError(f"{label} failed with exit code {done.returncode}", result.stderr)
    return result


def _text(data: bytes | str | None) -> str:
    if data is None:
        return ""
    if isinstance(data, bytes):
        return data.decode("utf-8", "replace")
    return data

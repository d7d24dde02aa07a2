"""The one door to external programs: every subprocess the harness starts
(except the runner's own sandboxed jobs, see runner.py) goes through here.

The child's environment is always a copy: the harness's own os.environ is
never changed.
"""

from __future__ import annotations

import os
import shutil
import signal
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
    process = _popen(argv, env, cwd, stdin, label, capture)
    with process:
        try:
            out, err = process.communicate(timeout=timeout)
        except subprocess.TimeoutExpired:
            process.kill()
            _, err = process.communicate()
            raise ToolError(f"{label} did not finish within {timeout:g}s", err or "") from None
        except BaseException:
            process.kill()
            raise
    result = Completed(tuple(argv), process.returncode, out or "", err or "")
    if check and process.returncode != 0:
        raise ToolError(f"{label} failed with exit code {process.returncode}", result.stderr)
    return result


def _popen(
    argv: Sequence[str],
    env: Mapping[str, str] | None,
    cwd: str | Path | None,
    stdin: Path | None,
    label: str,
    capture: bool = True,
    group: bool = False,
) -> subprocess.Popen[str]:
    """Start a program, its standard input the file `stdin` (else empty), in a
    process group of its own with `group`. Raises ToolError when it is missing."""
    source = open(stdin, "rb") if stdin is not None else None
    pipe = subprocess.PIPE if capture else None
    try:
        return subprocess.Popen(
            list(argv),
            env=dict(env) if env is not None else None,
            cwd=cwd,
            stdin=source if source is not None else subprocess.DEVNULL,
            stdout=pipe,
            stderr=pipe,
            text=True,
            errors="replace",
            start_new_session=group,
        )
    except FileNotFoundError:
        raise ToolError(f"{label}: '{argv[0]}' not found; install it or put it on PATH") from None
    finally:
        if source is not None:
            source.close()


@dataclass(frozen=True, slots=True)
class Stopped:
    """What `run_stopping` saw: the run, and whether the timeout stopped it."""

    done: Completed
    timed_out: bool


def run_stopping(
    argv: Sequence[str],
    *,
    env: Mapping[str, str] | None = None,
    cwd: str | Path | None = None,
    timeout: float,
    grace: float = 10.0,
    stdin: Path | None = None,
    what: str | None = None,
) -> Stopped:
    """Run a program in its own process group; at `timeout` ask the whole group
    to stop (SIGTERM), so that a tool wrapped around the program (Valgrind)
    still writes what it gathered, and kill the group `grace` seconds later if
    it has not stopped. Whatever the program left running in its group is
    killed when it ends. Raises ToolError when the program cannot be started."""
    process = _popen(argv, env, cwd, stdin, what or Path(argv[0]).name, group=True)
    timed_out = False
    try:
        try:
            out, err = process.communicate(timeout=timeout)
        except subprocess.TimeoutExpired:
            timed_out = process.poll() is None
            signal_group(process.pid, signal.SIGTERM)
            try:
                out, err = process.communicate(timeout=grace)
            except subprocess.TimeoutExpired:
                signal_group(process.pid, signal.SIGKILL)
                out, err = process.communicate()
    finally:
        signal_group(process.pid, signal.SIGKILL)
    done = Completed(tuple(argv), process.returncode, out or "", err or "")
    return Stopped(done, timed_out)


def signal_group(group: int, number: int) -> None:
    """Send `number` to every process of the group, if any is left."""
    try:
        os.killpg(group, number)
    except (ProcessLookupError, PermissionError):
        pass


def signal_name(returncode: int) -> str | None:
    """ "SIGSEGV" for a child killed by a signal (a negative return code), else None."""
    return name_of_signal(-returncode) if returncode < 0 else None


def name_of_signal(number: int) -> str:
    """ "SIGSEGV" for 11; "SIG99" for a number with no name."""
    try:
        return signal.Signals(number).name
    except ValueError:
        return f"SIG{number}"

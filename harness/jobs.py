"""Executing one job: a child in its own session, watched until its whole group is gone.

The child starts in a new session (so its process group is its pid and a
Ctrl-C at the terminal does not reach it), with core files off. The job lasts
until every live process of that group has exited or the deadline passes;
then the group is killed with SIGKILL, children the target forked included.

Memory is limited by resident size, never by address space: the sanitizers
reserve terabytes of it at start. The runtimes enforce `hard_rss_limit_mb`
themselves; the watchdog here is the backstop for programs without one.
"""

from __future__ import annotations

import os
import resource
import select
import signal
import subprocess
import threading
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from harness import proc
from harness.errors import ToolError

POLL_SECONDS = 0.1
# The runtime's own limit reports with a stack; give it room before the watchdog
# kills silently.
WATCHDOG_MARGIN = 1.25
OOM_MARKERS = (b"rss limit exhausted",)
PAGE_KB = os.sysconf("SC_PAGE_SIZE") // 1024


@dataclass(frozen=True, slots=True)
class Spawn:
    """What to start: argv, environment, folder, and where its streams go."""

    argv: tuple[str, ...]
    env: Mapping[str, str]
    cwd: Path
    job_dir: Path
    stdin: Path | None
    timeout: float
    rss_limit_mb: int | None
    log_stem: str | None


@dataclass(frozen=True, slots=True)
class Outcome:
    exit_code: int | None
    signal: str | None
    timed_out: bool
    oom: bool
    seconds: float
    max_rss_kb: int | None


class Interrupted(Exception):
    """The run is stopping: no new child may start."""


class Children:
    """The process groups running now, so an interrupt can kill them all."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._groups: set[int] = set()
        self._stopped = False

    def start(self, spawn: Spawn) -> subprocess.Popen[bytes]:
        with self._lock:
            if self._stopped:
                raise Interrupted
            process = _popen(spawn)
            self._groups.add(process.pid)
            return process

    def done(self, pid: int) -> None:
        with self._lock:
            self._groups.discard(pid)

    def stop(self) -> None:
        """Refuse new children and kill every running group."""
        with self._lock:
            self._stopped = True
            for group in self._groups:
                kill_group(group)

    @property
    def stopped(self) -> bool:
        return self._stopped


def _no_core() -> None:
    # Runs in the child between fork and exec: only async-signal-safe work.
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))


def _popen(spawn: Spawn) -> subprocess.Popen[bytes]:
    stdin = open(spawn.stdin, "rb") if spawn.stdin else subprocess.DEVNULL
    try:
        with (
            open(spawn.job_dir / "stdout", "wb") as out,
            open(spawn.job_dir / "stderr", "wb") as err,
        ):
            return subprocess.Popen(
                list(spawn.argv),
                env=dict(spawn.env),
                cwd=spawn.cwd,
                stdin=stdin,
                stdout=out,
                stderr=err,
                start_new_session=True,
                preexec_fn=_no_core,
            )
    except OSError as exc:
        raise ToolError(f"cannot start {spawn.argv[0]}: {exc.strerror}") from None
    finally:
        if not isinstance(stdin, int):
            stdin.close()


def run_one(spawn: Spawn, children: Children) -> Outcome:
    """Run one job to the end of its process group. Raises Interrupted when stopping."""
    started = time.monotonic()
    deadline = started + spawn.timeout
    process = children.start(spawn)
    try:
        status, rusage, killed = _wait(process, deadline, spawn.rss_limit_mb)
        process.returncode = os.waitstatus_to_exitcode(status)
        lingering = _wait_group(process.pid, deadline)
    finally:
        kill_group(process.pid)
        children.done(process.pid)
    if children.stopped and (lingering or os.WIFSIGNALED(status)):
        raise Interrupted  # killed by the interrupt: it did not finish
    exit_code, signal_name = _decode(status)
    return Outcome(
        exit_code=exit_code,
        signal=signal_name,
        timed_out=killed == "timeout" or lingering,
        oom=killed == "memory" or _runtime_oom(spawn.job_dir, spawn.log_stem),
        seconds=round(time.monotonic() - started, 3),
        max_rss_kb=rusage.ru_maxrss or None,
    )


def _wait(
    process: subprocess.Popen[bytes], deadline: float, rss_limit_mb: int | None
) -> tuple[int, resource.struct_rusage, str | None]:
    """Wait for the direct child; kill its group at the deadline or the memory limit."""
    limit_kb = int(rss_limit_mb * 1024 * WATCHDOG_MARGIN) if rss_limit_mb else None
    killed: str | None = None
    with _ExitWaiter(process.pid) as waiter:
        while True:
            pid, status, rusage = os.wait4(process.pid, os.WNOHANG)
            if pid:
                return status, rusage, killed
            if killed is None and time.monotonic() >= deadline:
                killed = "timeout"
            elif killed is None and limit_kb and _rss_kb(process.pid) > limit_kb:
                killed = "memory"
            if killed:
                kill_group(process.pid)
                pid, status, rusage = os.wait4(process.pid, 0)
                return status, rusage, killed
            waiter.wait(min(POLL_SECONDS, max(deadline - time.monotonic(), 0.0)))


class _ExitWaiter:
    """Sleeps until the child exits or the time is up (a pidfd where available)."""

    def __init__(self, pid: int):
        self._fd: int | None = None
        try:
            self._fd = os.pidfd_open(pid)
        except (AttributeError, OSError):
            self._fd = None

    def __enter__(self) -> _ExitWaiter:
        return self

    def __exit__(self, *exc: object) -> None:
        if self._fd is not None:
            os.close(self._fd)

    def wait(self, seconds: float) -> None:
        if self._fd is None:
            time.sleep(seconds)
        else:
            select.select([self._fd], [], [], seconds)


def _wait_group(group: int, deadline: float) -> bool:
    """Wait for the group's other processes (forked children) to exit.

    True when some were still alive at the deadline (they are then killed).
    """
    while live_members(group):
        if time.monotonic() >= deadline:
            return True
        time.sleep(POLL_SECONDS / 2)
    return False


def live_members(group: int) -> list[int]:
    """Pids of the group's processes that are not zombies.

    Zombies are skipped: an orphan's zombie may never be reaped when pid 1 does
    not reap, and it holds no resources anyway.
    """
    members = []
    for entry in os.scandir("/proc"):
        if not entry.name.isdigit():
            continue
        stat = _read_stat(int(entry.name))
        if stat and stat[2] == str(group) and stat[0] != "Z":
            members.append(int(entry.name))
    return members


def _read_stat(pid: int) -> list[str] | None:
    """Fields of /proc/<pid>/stat after the command name: state, ppid, pgrp, ..."""
    try:
        with open(f"/proc/{pid}/stat", "rb") as stat:
            text = stat.read().decode("ascii", "replace")
    except OSError:
        return None
    return text[text.rfind(")") + 2 :].split()


def kill_group(group: int) -> None:
    proc.signal_group(group, signal.SIGKILL)


def _rss_kb(pid: int) -> int:
    try:
        with open(f"/proc/{pid}/statm", "rb") as statm:
            return int(statm.read().split()[1]) * PAGE_KB
    except (OSError, IndexError, ValueError):
        return 0


def _decode(status: int) -> tuple[int | None, str | None]:
    if os.WIFSIGNALED(status):
        return None, proc.name_of_signal(os.WTERMSIG(status))
    return os.WEXITSTATUS(status), None


def _runtime_oom(job_dir: Path, log_stem: str | None) -> bool:
    """Did a sanitizer runtime stop the program at its RSS limit?"""
    if not log_stem:
        return False
    for path in job_dir.glob(f"{log_stem}.*"):
        with open(path, "rb") as log:
            head = log.read(1 << 20)
        if any(marker in head for marker in OOM_MARKERS):
            return True
    return False


def collected_logs(run_dir: Path, job_dir: Path) -> tuple[str, ...]:
    """Every non-empty file of the job folder, relative to the run folder, sorted."""
    found = [
        path.relative_to(run_dir).as_posix()
        for path in job_dir.iterdir()
        if path.is_file() and path.stat().st_size > 0
    ]
    return tuple(sorted(found))


def command_line(binary: str, args: Sequence[str], input_path: Path | None) -> tuple[str, ...]:
    """binary + args with `{input}` replaced by the input's absolute path.

    With no input, arguments that name `{input}` are left out.
    """
    if input_path is None:
        return (binary, *(arg for arg in args if "{input}" not in arg))
    absolute = str(input_path.resolve())
    return (binary, *(arg.replace("{input}", absolute) for arg in args))

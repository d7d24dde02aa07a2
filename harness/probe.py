"""Measuring one run of a program: wall time and peak resident memory.

The peak comes from the program's own rusage (wait4), but not as Python's
child: Linux carries the peak RSS of the memory a process had before exec
into the new program's figure, and a child forked from this interpreter
starts from the interpreter's 20-30 MiB. So a small C wrapper, compiled once
per project into .harness/tools/, forks the program itself and writes the
program's wall time, ru_maxrss and wait status to a file. The wrapper's own
footprint (about 1 MiB) is the floor of every figure, as with GNU time.
"""

from __future__ import annotations

import hashlib
import os
import signal
import subprocess
import threading
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from harness import proc, toolchain
from harness.errors import ToolError

SOURCE = r"""
#include <stdio.h>
#include <sys/resource.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

/* probe OUT PROGRAM [ARG]...: run PROGRAM, then write to OUT its wall time in
 * seconds, its peak RSS in KiB and its wait status. */
int main(int argc, char **argv)
{
    if (argc < 3) {
        fprintf(stderr, "usage: %s OUT PROGRAM [ARG]...\n", argv[0]);
        return 125;
    }
    struct timespec start, end;
    clock_gettime(CLOCK_MONOTONIC, &start);
    pid_t pid = fork();
    if (pid < 0) {
        perror("fork");
        return 125;
    }
    if (pid == 0) {
        execvp(argv[2], argv + 2);
        perror(argv[2]);
        _exit(127);
    }
    int status;
    struct rusage usage;
    if (wait4(pid, &status, 0, &usage) < 0) {
        perror("wait4");
        return 125;
    }
    clock_gettime(CLOCK_MONOTONIC, &end);
    double seconds = (double)(end.tv_sec - start.tv_sec) + (end.tv_nsec - start.tv_nsec) / 1e9;
    FILE *out = fopen(argv[1], "w");
    if (out == NULL) {
        perror(argv[1]);
        return 125;
    }
    fprintf(out, "%.9f %ld %d\n", seconds, usage.ru_maxrss, status);
    return fclose(out) == 0 ? 0 : 125;
}
"""


@dataclass(frozen=True, slots=True)
class Measurement:
    """One run. `seconds` is the timeout and `max_rss_kb` None when it timed out."""

    seconds: float
    max_rss_kb: int | None
    exit_code: int | None
    signal: str | None
    timed_out: bool


def wrapper(tools_dir: Path, cc: str = "gcc") -> Path:
    """The compiled wrapper, built on first use with the project's compiler."""
    digest = hashlib.sha256(SOURCE.encode()).hexdigest()[:12]
    binary = tools_dir / f"probe-{digest}"
    if binary.is_file():
        return binary
    tools_dir.mkdir(parents=True, exist_ok=True)
    source = tools_dir / f"probe-{digest}.c"
    source.write_text(SOURCE, encoding="utf-8")
    compiler = toolchain.find_compiler(cc, needs_runtime=False)
    partial = binary.with_name(binary.name + f".{os.getpid()}")
    proc.run([compiler.path, "-O1", "-o", str(partial), str(source)], what=compiler.cc)
    partial.replace(binary)  # atomic: a concurrent harness never runs half a file
    return binary


def measure(
    probe: Path,
    argv: Sequence[str],
    env: Mapping[str, str],
    cwd: Path,
    stdin: Path | None,
    scratch: Path,
    timeout: float,
) -> Measurement:
    """Run `argv` once through the wrapper, standard output discarded and standard
    error kept in `scratch`; the whole process group is killed at `timeout`."""
    result = scratch / "probe.out"
    result.unlink(missing_ok=True)
    killed = threading.Event()
    with open(stdin or os.devnull, "rb") as source, open(scratch / "stderr", "wb") as errors:
        try:
            process = subprocess.Popen(
                [str(probe), str(result), *argv],
                env=dict(env),
                cwd=cwd,
                stdin=source,
                stdout=subprocess.DEVNULL,
                stderr=errors,
                start_new_session=True,
            )
        except OSError as exc:
            raise ToolError(f"cannot start {probe}: {exc.strerror}") from None
        timer = threading.Timer(timeout, _kill, (process.pid, killed))
        timer.start()
        try:
            process.wait()
        finally:
            timer.cancel()
            _kill(process.pid, None)  # whatever the program left running in its group
    if killed.is_set():
        return Measurement(timeout, None, None, None, True)
    return _read(result, scratch / "stderr", process.returncode)


def _read(result: Path, stderr: Path, returncode: int) -> Measurement:
    try:
        seconds, rss, status = result.read_text(encoding="ascii").split()
    except (OSError, ValueError):
        message = stderr.read_text(encoding="utf-8", errors="replace")[-2000:]
        raise ToolError(
            f"the run could not be measured (exit code {returncode})", message
        ) from None
    code = int(status)
    signalled = os.WIFSIGNALED(code)
    return Measurement(
        seconds=round(float(seconds), 6),
        max_rss_kb=int(rss),
        exit_code=None if signalled else os.WEXITSTATUS(code),
        signal=proc.name_of_signal(os.WTERMSIG(code)) if signalled else None,
        timed_out=False,
    )


def _kill(group: int, killed: threading.Event | None) -> None:
    try:
        os.killpg(group, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        return
    if killed is not None:
        killed.set()

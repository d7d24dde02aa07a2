"""`harness run` on real ASan binaries built by gcc (without `harness build`)."""

from __future__ import annotations

import hashlib
import json
import re
import shutil
import subprocess
import time
from pathlib import Path

import pytest

from harness import cli, runner
from harness.model import Job
from harness.project import open_project

pytestmark = pytest.mark.skipif(shutil.which("gcc") is None, reason="needs gcc")

# The pointer escapes so that gcc cannot drop the store as dead.
OVERFLOW = (
    "char *volatile escape;\n"
    "static void overflow(void) {\n"
    "  char *p = malloc(8);\n  escape = p;\n  volatile int i = 8;\n  p[i] = 1;\n  free(p);\n}"
)

PROGRAMS = {
    "reader": r"""
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
OVERFLOW
int main(int argc, char **argv) {
  if (argc < 2) return 2;
  FILE *f = fopen(argv[1], "rb");
  if (!f) return 3;
  char buf[256];
  size_t n = fread(buf, 1, sizeof buf - 1, f);
  fclose(f);
  buf[n] = 0;
  const char *mark = getenv("RUN_MARK");
  printf("path:%s\nmark:%s\n", buf, mark ? mark : "");
  fflush(stdout);
  if (strstr(buf, "overflow")) overflow();
  return 0;
}
""",
    "stdin_reader": r"""
#include <stdio.h>
int main(void) {
  char buf[256];
  size_t n = fread(buf, 1, sizeof buf - 1, stdin);
  buf[n] = 0;
  printf("stdin:%s\n", buf);
  return 0;
}
""",
    "hang": r"""
#include <stdio.h>
#include <unistd.h>
int main(void) {
  pid_t child = fork();
  if (child == 0) for (;;) pause();
  printf("child:%d\n", (int)child);
  fflush(stdout);
  for (;;) pause();
}
""",
    "forker": r"""
#include <stdlib.h>
#include <unistd.h>
#include <sys/wait.h>
OVERFLOW
int main(void) {
  for (int k = 0; k < 2; k++)
    if (fork() == 0) { overflow(); _exit(0); }
  int status;
  while (wait(&status) > 0) {}
  overflow();
  return 0;
}
""",
    "leaker": r"""
#include <stdio.h>
#include <stdlib.h>
void *volatile sink;
int main(void) {
  const char *options = getenv("ASAN_OPTIONS");
  printf("ASAN_OPTIONS=%s\n", options ? options : "");
  sink = malloc(100);
  sink = 0;
  return 0;
}
""",
    "hog": r"""
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
void *volatile sink;
int main(void) {
  for (int k = 0; k < 256; k++) {
    char *p = malloc(16 << 20);
    memset(p, 1, 16 << 20);
    sink = p;
    usleep(20000);
  }
  return 0;
}
""",
}

TOML = """
[project]
name = "runner-test"

[[target]]
name = "reader"
sources = ["src/reader.c"]
inputs = "inputs/reader"
env = { RUN_MARK = "from-target" }

[[target]]
name = "stdin_reader"
sources = ["src/stdin_reader.c"]
inputs = "inputs/stdin_reader"
input = "stdin"

[[target]]
name = "hang"
sources = ["src/hang.c"]
inputs = "inputs/hang"
timeout = 1

[[target]]
name = "hang_long"
sources = ["src/hang.c"]
inputs = "inputs/hang"
timeout = 120

[[target]]
name = "forker"
sources = ["src/forker.c"]
inputs = "inputs/forker"

[[target]]
name = "leaker"
sources = ["src/leaker.c"]

[[target]]
name = "hog"
sources = ["src/hog.c"]
inputs = "inputs/hog"

[[target]]
name = "missing"
sources = ["src/missing.c"]
inputs = "inputs/hang"
"""

INPUTS = {
    "reader": {"benign.txt": "hello", "overflow.txt": "please overflow"},
    "stdin_reader": {"one.txt": "from stdin"},
    "hang": {"any.txt": "x"},
    "forker": {"any.txt": "x"},
    "hog": {"any.txt": "x"},
}
MAIN_TARGETS = ["reader", "stdin_reader", "hang", "forker", "leaker"]


def _git(root: Path, *args: str) -> str:
    done = subprocess.run(
        ["git", "-c", "user.name=t", "-c", "user.email=t@example.com", *args],
        cwd=root,
        check=True,
        capture_output=True,
        text=True,
    )
    return done.stdout.strip()


@pytest.fixture(scope="module")
def project_root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A project with ASan binaries in build/gcc-asan/, a build.json, and one git commit."""
    root = tmp_path_factory.mktemp("runner")
    (root / "harness.toml").write_text(TOML)
    (root / ".gitignore").write_text("build/\nlogs/\n")
    src = root / "src"
    src.mkdir()
    (src / "missing.c").write_text("int main(void) { return 0; }\n")
    build = root / "build" / "gcc-asan"
    build.mkdir(parents=True)
    for name, text in PROGRAMS.items():
        (src / f"{name}.c").write_text(text.replace("OVERFLOW", OVERFLOW))
        flags = ["-fsanitize=address", "-g", "-O1", "-fno-omit-frame-pointer"]
        subprocess.run(["gcc", *flags, str(src / f"{name}.c"), "-o", str(build / name)], check=True)
    shutil.copy(build / "hang", build / "hang_long")
    version = subprocess.run(["gcc", "-dumpfullversion"], capture_output=True, text=True).stdout
    build_json = {"cc": "gcc", "compiler": f"gcc {version.strip()}", "profile": "asan"}
    (build / "build.json").write_text(json.dumps(build_json))
    for target, files in INPUTS.items():
        folder = root / "inputs" / target
        folder.mkdir(parents=True)
        for name, text in files.items():
            (folder / name).write_text(text)
    if shutil.which("git"):
        _git(root, "init", "-q")
        _git(root, "add", ".")
        _git(root, "commit", "-q", "-m", "fixture")
    return root


@pytest.fixture(scope="module")
def main_run(project_root: Path) -> runner.RunResult:
    project = open_project(str(project_root))
    chosen = runner.plan(project, MAIN_TARGETS)
    return runner.run_jobs(project, chosen, jobs=2)


def _job(result: runner.RunResult, target: str, input_name: str | None = None) -> Job:
    for job in result.jobs:
        if job.target == target and (input_name is None or str(job.input).endswith(input_name)):
            return job
    raise AssertionError(f"no job for {target} {input_name}")


def _read(result: runner.RunResult, log: str) -> str:
    return (result.run_dir / log).read_text(errors="replace")


def _sanitizer_logs(job: Job) -> list[str]:
    return [log for log in job.logs if re.search(r"/asan\.\d+$", log)]


def _dead(pid: int) -> bool:
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except FileNotFoundError:
        return True
    return stat[stat.rfind(")") + 2] == "Z"


def test_path_input_is_passed_as_an_absolute_argument_with_target_env(main_run, project_root):
    job = _job(main_run, "reader", "benign.txt")
    out = _read(main_run, f"job-{job.job:04d}/stdout")
    assert "path:hello" in out
    assert "mark:from-target" in out
    assert job.input == "inputs/reader/benign.txt"
    assert job.argv == ("build/gcc-asan/reader", str(project_root / "inputs/reader/benign.txt"))
    assert job.exit_code == 0 and job.signal is None


def test_stdin_input_is_fed_to_the_child(main_run):
    job = _job(main_run, "stdin_reader")
    assert "stdin:from stdin" in _read(main_run, f"job-{job.job:04d}/stdout")
    assert job.argv == ("build/gcc-asan/stdin_reader",)


def test_overflow_leaves_an_asan_log_and_benign_input_none(main_run):
    bad = _job(main_run, "reader", "overflow.txt")
    good = _job(main_run, "reader", "benign.txt")
    logs = _sanitizer_logs(bad)
    assert len(logs) == 1
    assert logs[0].startswith(f"job-{bad.job:04d}/asan.")
    assert "heap-buffer-overflow" in _read(main_run, logs[0])
    assert bad.exit_code == 1
    assert _sanitizer_logs(good) == []
    assert bad.input_sha256 == hashlib.sha256(b"please overflow").hexdigest()


def test_hanging_job_is_killed_with_its_forked_child(main_run):
    job = _job(main_run, "hang")
    assert job.timed_out
    assert job.signal == "SIGKILL"
    match = re.search(r"child:(\d+)", _read(main_run, f"job-{job.job:04d}/stdout"))
    assert match, "the target printed its child's pid"
    assert _dead(int(match.group(1)))


def test_forked_children_each_leave_their_own_log(main_run):
    job = _job(main_run, "forker")
    logs = _sanitizer_logs(job)
    pids = {log.rsplit(".", 1)[1] for log in logs}
    assert len(logs) == 3 and len(pids) == 3
    for log in logs:
        assert "heap-buffer-overflow" in _read(main_run, log)


def test_leaks_are_detected_by_default(main_run):
    job = _job(main_run, "leaker")
    assert job.input is None and job.input_sha256 is None
    logs = _sanitizer_logs(job)
    assert logs and "detected memory leaks" in _read(main_run, logs[0])


def test_runs_jsonl_has_one_whole_job_per_line(main_run, project_root):
    lines = (main_run.run_dir / "runs.jsonl").read_text().splitlines()
    assert len(lines) == main_run.planned == len(main_run.jobs)
    keys = set(main_run.jobs[0].to_json())
    parsed = []
    for line in lines:
        data = json.loads(line)
        assert set(data) == keys
        parsed.append(Job.from_json(data))
    assert sorted(parsed, key=lambda job: job.job) == list(main_run.jobs)
    first = main_run.jobs[0]
    assert first.profile == "asan"
    assert re.fullmatch(r"gcc \d+(\.\d+)*", first.compiler)
    assert re.fullmatch(r"\d{8}T\d{6}Z-[0-9a-f]{4}", main_run.run_id)
    assert main_run.run_dir == project_root / "logs" / main_run.run_id
    if shutil.which("git"):
        assert first.commit == _git(project_root, "rev-parse", "HEAD")
        assert first.dirty is False
    for job in main_run.jobs:
        assert all((main_run.run_dir / log).stat().st_size > 0 for log in job.logs)
        assert list(job.logs) == sorted(job.logs)
        assert job.max_rss_kb and job.max_rss_kb > 0


def test_memory_limit_stops_the_program_and_is_recorded(project_root):
    project = open_project(str(project_root))
    result = runner.run_jobs(project, runner.plan(project, ["hog"]), rss_limit_mb=150)
    job = result.jobs[0]
    assert job.oom
    assert job.exit_code != 0 or job.signal is not None


def test_user_options_merge_but_log_path_stays(project_root, tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("ASAN_OPTIONS", f"log_path={tmp_path}/x:detect_leaks=0")
    assert cli.main(["-C", str(project_root), "run", "leaker"]) == 0
    captured = capsys.readouterr()
    assert f"ignoring log_path={tmp_path}/x" in captured.err
    run_dir = project_root / re.search(r"(logs/\S+)/", captured.out).group(1)
    job = Job.from_json(json.loads((run_dir / "runs.jsonl").read_text()))
    seen = (run_dir / "job-0001" / "stdout").read_text()
    assert f"log_path={run_dir}/job-0001/asan" in seen
    assert "detect_leaks=0" in seen
    assert _sanitizer_logs(job) == []
    assert not list(tmp_path.glob("x*"))


def test_run_exits_zero_although_targets_crash(project_root, capsys):
    assert cli.main(["-C", str(project_root), "run", "-j", "2", "--repeat", "2", "reader"]) == 0
    out = capsys.readouterr().out
    row = next(line for line in out.splitlines() if line.startswith("reader"))
    assert row.split()[1:] == ["4", "2", "0", "2"]
    run_dir = project_root / re.search(r"(logs/\S+)/", out).group(1)
    jobs = [Job.from_json(json.loads(line)) for line in (run_dir / "runs.jsonl").open()]
    assert sorted((job.input, job.repeat) for job in jobs) == [
        ("inputs/reader/benign.txt", 0),
        ("inputs/reader/benign.txt", 1),
        ("inputs/reader/overflow.txt", 0),
        ("inputs/reader/overflow.txt", 1),
    ]


def test_target_not_built_names_the_build_command(project_root, capsys):
    assert cli.main(["-C", str(project_root), "run", "reader", "missing"]) == 3
    assert "harness build --asan --cc gcc missing" in capsys.readouterr().err
    assert cli.main(["-C", str(project_root), "run", "--cc", "clang", "reader"]) == 3
    assert "harness build --asan --cc clang reader" in capsys.readouterr().err


def test_unknown_target_is_a_usage_error(project_root, capsys):
    assert cli.main(["-C", str(project_root), "run", "nope"]) == 2
    assert "nope" in capsys.readouterr().err


def test_interrupt_kills_children_and_keeps_finished_jobs(project_root):
    project = open_project(str(project_root))
    chosen = runner.plan(project, ["hang_long", "reader"])
    seen: list[Path] = []

    def interrupt(done: int, total: int, job: Job) -> None:
        stdout = project.logs_dir / job.run_id / "job-0001" / "stdout"
        seen.append(stdout)
        for _ in range(200):  # the hanging target prints its child's pid first
            if stdout.read_text():
                break
            time.sleep(0.05)
        raise KeyboardInterrupt

    with pytest.raises(runner.RunInterrupted) as caught:
        runner.run_jobs(project, chosen, jobs=2, progress=interrupt)
    result = caught.value.result
    assert isinstance(caught.value, KeyboardInterrupt)
    assert 1 <= len(result.jobs) < result.planned
    assert all(job.target == "reader" for job in result.jobs)
    lines = (result.run_dir / "runs.jsonl").read_text().splitlines()
    assert len(lines) == len(result.jobs)
    child = int(re.search(r"child:(\d+)", seen[0].read_text()).group(1))
    assert _dead(child)


def test_timeout_option_overrides_the_target_timeout(project_root, capsys):
    assert cli.main(["-C", str(project_root), "run", "--timeout", "1", "hang_long"]) == 0
    out = capsys.readouterr().out
    run_dir = project_root / re.search(r"(logs/\S+)/", out).group(1)
    job = Job.from_json(json.loads((run_dir / "runs.jsonl").read_text()))
    assert job.timed_out and job.signal == "SIGKILL"
    assert job.seconds < 120


def test_build_command_spells_each_profile_as_harness_build_takes_it():
    from harness.profiles import parse_profile
    from harness.run_plan import build_command

    assert build_command(parse_profile("asan"), "gcc", ["a"]) == "harness build --asan --cc gcc a"
    assert build_command(parse_profile("plain"), "clang", ["a", "b"]) == (
        "harness build --plain --cc clang a b"
    )
    assert build_command(parse_profile("asan+ubsan"), "gcc", ["a"]) == (
        "harness build --profile asan+ubsan --cc gcc a"
    )


def test_a_target_whose_inputs_folder_is_empty_is_named(project_root, tmp_path, capsys):
    root = tmp_path / "copy"
    shutil.copytree(project_root, root)
    for path in (root / "inputs" / "reader").iterdir():
        path.unlink()
    assert cli.main(["-C", str(root), "run", "reader"]) == 0
    out, err = capsys.readouterr()
    assert "target 'reader' has no inputs: inputs/reader/ holds no file" in err
    assert "0 jobs" in out

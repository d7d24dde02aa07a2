"""`harness run --valgrind`, `--leaks`, and python-extension targets, on real builds.

One C project (an overflowing, a leaking and a clean program) is built plain
once and run under memcheck and with the LSan runtime preloaded; the
samples/pyext_overflow extension is built with ASan by gcc (and clang when its
runtime works) and run through the interpreter.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from harness import cli
from harness.model import Job
from tests.helpers import HARNESS, clang_works

pytestmark = pytest.mark.skipif(shutil.which("gcc") is None, reason="needs gcc")
needs_valgrind = pytest.mark.skipif(shutil.which("valgrind") is None, reason="needs valgrind")
REPO = Path(__file__).resolve().parents[2]
SAMPLE = REPO / "samples" / "pyext_overflow"

PROGRAMS = {
    "overflow": r"""
#include <stdio.h>
#include <stdlib.h>
char *volatile escape;
static void fill_header(char *out, const char *text, int length) {
  for (int i = 0; i <= length; i++) out[i] = text[i];
}
int main(void) {
  const char *text = "0123456789";
  volatile int length = 10;
  char *header = malloc(8);
  escape = header;
  fill_header(header, text, length);
  puts(escape);
  free(header);
  return 0;
}
""",
    "leaker": r"""
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
struct record { char name[24]; int id; };
void *volatile sink;
static struct record *make_record(int id) {
  struct record *r = malloc(sizeof *r);
  snprintf(r->name, sizeof r->name, "record-%d", id);
  r->id = id;
  return r;
}
int main(void) {
  for (int i = 0; i < 3; i++) sink = make_record(i);
  sink = 0;
  puts("done");
  return 0;
}
""",
    "clean": '#include <stdio.h>\nint main(void) { puts("ok"); return 0; }\n',
}
TOML = "".join(f'[[target]]\nname = "{name}"\nsources = ["src/{name}.c"]\n\n' for name in PROGRAMS)


def _harness(root: Path, *args: str) -> int:
    return cli.main(["-C", str(root), *args])


def _run_dir(out: str, root: Path) -> Path:
    return root / re.search(r"(logs/\S+)/", out).group(1)


def _jobs(run_dir: Path) -> dict[str, Job]:
    lines = (run_dir / "runs.jsonl").read_text().splitlines()
    jobs = [Job.from_json(json.loads(line)) for line in lines]
    return {f"{job.target}:{Path(job.input or '-').name}": job for job in jobs}


def _logs(run_dir: Path, job: Job, pattern: str) -> list[str]:
    return [(run_dir / log).read_text() for log in job.logs if re.search(pattern, log)]


@pytest.fixture(scope="module")
def c_project(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("modes")
    (root / "harness.toml").write_text(TOML)
    (root / "src").mkdir()
    for name, text in PROGRAMS.items():
        (root / "src" / f"{name}.c").write_text(text)
    assert _harness(root, "build", "--plain") == 0
    return root


@pytest.fixture(scope="module")
def memcheck_run(c_project: Path) -> tuple[Path, str]:
    if shutil.which("valgrind") is None:
        pytest.skip("needs valgrind")
    capture = subprocess.run(
        [*HARNESS, "-C", str(c_project), "run", "--valgrind", "-j", "2"],
        capture_output=True,
        text=True,
        check=True,
    )
    return _run_dir(capture.stdout, c_project), capture.stdout


@pytest.fixture(scope="module")
def leaks_run(c_project: Path) -> tuple[Path, str]:
    capture = subprocess.run(
        [*HARNESS, "-C", str(c_project), "run", "--leaks", "-j", "2"],
        capture_output=True,
        text=True,
        check=True,
    )
    return _run_dir(capture.stdout, c_project), capture.stdout


@needs_valgrind
def test_memcheck_finds_the_invalid_write_in_an_xml_log(memcheck_run):
    run_dir, _ = memcheck_run
    job = _jobs(run_dir)["overflow:-"]
    xml = _logs(run_dir, job, r"/memcheck\.\d+\.xml$")
    assert len(xml) == 1
    assert "<kind>InvalidWrite</kind>" in xml[0]
    assert "<fn>fill_header</fn>" in xml[0]
    assert job.exit_code == 99  # memcheck's --error-exitcode, not the program's 0
    assert job.profile == "memcheck"
    assert re.fullmatch(r"gcc \d+(\.\d+)*", job.compiler)
    assert job.argv[0].endswith("valgrind") and "--xml=yes" in job.argv
    assert job.argv[-1] == "build/gcc-plain/overflow"


@needs_valgrind
def test_memcheck_reports_the_definite_leak_and_nothing_for_a_clean_program(memcheck_run):
    run_dir, out = memcheck_run
    jobs = _jobs(run_dir)
    xml = _logs(run_dir, jobs["leaker:-"], r"\.xml$")
    assert "<kind>Leak_DefinitelyLost</kind>" in xml[0] and "<fn>make_record</fn>" in xml[0]
    clean = jobs["clean:-"]
    assert clean.exit_code == 0
    assert "<error>" not in _logs(run_dir, clean, r"\.xml$")[0]
    rows = {line.split()[0]: line.split()[1:] for line in out.splitlines()[2:] if line.strip()}
    assert rows["leaker"][-1] == "1" and rows["clean"][-1] == "0"  # jobs memcheck reported on


def test_leaks_mode_writes_an_lsan_log_with_the_allocating_function(leaks_run, c_project):
    run_dir, out = leaks_run
    jobs = _jobs(run_dir)
    logs = _logs(run_dir, jobs["leaker:-"], r"/lsan\.\d+$")
    assert len(logs) == 1
    leaked = re.search(r"Direct leak of (\d+) byte\(s\) in \d object", logs[0])
    assert leaked and int(leaked.group(1)) % 28 == 0  # whole struct records
    assert re.search(r"#1 0x[0-9a-f]+ in make_record .*leaker\.c:\d+", logs[0])
    assert jobs["leaker:-"].profile == "leaks"
    assert jobs["leaker:-"].argv == ("build/gcc-plain/leaker",)
    assert _logs(run_dir, jobs["clean:-"], r"/lsan\.") == []
    assert "preloaded: " in out and "lsan" in out


def test_leaks_mode_logs_read_as_leak_reports(leaks_run):
    from harness.parse import parse_file

    run_dir, _ = leaks_run
    job = _jobs(run_dir)["leaker:-"]
    log = next(log for log in job.logs if "/lsan." in log)
    reports = parse_file(run_dir / log).reports
    assert [report.kind for report in reports] == ["leak"]
    functions = [frame.function for frame in reports[0].stacks[0].frames]
    assert "make_record" in functions


def test_leaks_mode_leaks_are_findings_with_their_bytes_and_objects(leaks_run, c_project, tmp_path):
    run_dir, _ = leaks_run
    log = _logs(run_dir, _jobs(run_dir)["leaker:-"], r"/lsan\.\d+$")[0]
    blocks = re.findall(r"Direct leak of (\d+) byte\(s\) in (\d+) object", log)
    assert blocks
    printed = tuple(sum(int(block[i]) for block in blocks) for i in (0, 1))
    line = 1 + PROGRAMS["leaker"].splitlines().index("  struct record *r = malloc(sizeof *r);")
    out = tmp_path / "triage.json"
    args = ["--db", str(tmp_path / "findings.db"), "triage", str(run_dir)]
    findings = []
    for _ in ("first", "second: from the store"):
        assert _harness(c_project, *args, "--format", "json", "-o", str(out)) == 0
        findings.append(json.loads(out.read_text())["findings"])
    for found in findings:
        (leak,) = [f for f in found if f["kind"] == "leak"]
        assert (leak["leak_bytes"], leak["leak_objects"]) == printed
        top = leak["frames"][0]
        assert top["key"] == "make_record"
        assert (Path(top["file"]).name, top["line"]) == ("leaker.c", line)


def test_plain_build_missing_names_the_build_command(tmp_path, capsys):
    (tmp_path / "harness.toml").write_text(TOML)
    (tmp_path / "src").mkdir()
    for name, text in PROGRAMS.items():
        (tmp_path / "src" / f"{name}.c").write_text(text)
    assert _harness(tmp_path, "run", "--leaks", "clean") == 3
    assert "harness build --plain --cc gcc clean" in capsys.readouterr().err


def test_missing_valgrind_exits_3_saying_what_to_install(c_project, tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("PATH", str(tmp_path))
    assert _harness(c_project, "run", "--valgrind", "clean") == 3
    assert "apt-get install valgrind" in capsys.readouterr().err


def test_a_sanitizer_profile_with_valgrind_is_a_usage_error(c_project, capsys):
    assert _harness(c_project, "run", "--valgrind", "--profile", "asan") == 2
    assert "plain build" in capsys.readouterr().err


# ---- python-extension targets -------------------------------------------------------------

PYEXT_TOML = """
[[target]]
name = "pyext_overflow"
kind = "python-extension"
module = "csvfield"
sources = ["samples/pyext_overflow/csvfield.c"]
interpreter = "python3"
script = "samples/pyext_overflow/driver.py"
inputs = "samples/pyext_overflow/inputs"
"""
COMPILERS = ["gcc", pytest.param("clang", marks=pytest.mark.clang)]


@pytest.fixture(scope="module", params=COMPILERS)
def pyext_run(request, tmp_path_factory) -> tuple[str, Path, Path, str]:
    cc = request.param
    if cc == "clang" and not clang_works():
        pytest.skip("clang with a working ASan runtime is not installed")
    root = tmp_path_factory.mktemp(f"pyext-{cc}")
    shutil.copytree(SAMPLE, root / "samples" / "pyext_overflow")
    (root / "harness.toml").write_text(PYEXT_TOML)
    assert _harness(root, "build", "--asan", "--cc", cc) == 0
    capture = subprocess.run(
        [*HARNESS, "-C", str(root), "run", "--cc", cc, "-j", "2"],
        capture_output=True,
        text=True,
        check=True,
    )
    return cc, root, _run_dir(capture.stdout, root), capture.stdout


def _frames(log: str, section: int = 0) -> list[str]:
    """The `#N ... in function file:line` frames of the log's stack number `section`."""
    stacks = re.split(r"\n\s*\n", log)
    stacks = [stack for stack in stacks if re.search(r"^\s*#0 ", stack, re.M)]
    return re.findall(r"^\s*#\d+ 0x[0-9a-f]+ in (.*)$", stacks[section], re.M)


def test_extension_overflow_points_into_the_extension_source(pyext_run):
    _, _, run_dir, _ = pyext_run
    job = _jobs(run_dir)["pyext_overflow:unterminated_quote.csv"]
    logs = _logs(run_dir, job, r"/asan\.\d+$")
    assert len(logs) == 1
    assert "ERROR: AddressSanitizer: heap-buffer-overflow" in logs[0]
    assert "WRITE of size 1" in logs[0]
    top = _frames(logs[0])
    assert top[0].startswith("unquote ") and "pyext_overflow/csvfield.c:" in top[0]
    assert "csvfield.c:" in top[1]


def test_extension_leak_is_allocated_in_the_extension(pyext_run):
    _, _, run_dir, _ = pyext_run
    job = _jobs(run_dir)["pyext_overflow:unknown_directive.csv"]
    logs = _logs(run_dir, job, r"/asan\.\d+$")
    assert len(logs) == 1 and "Direct leak of 9 byte(s) in 1 object(s)" in logs[0]
    assert logs[0].count("leak of") == 1  # nothing from the interpreter itself
    frames = _frames(logs[0])
    assert "malloc" in frames[0]
    assert frames[1].startswith("apply_directive ") and "csvfield.c:" in frames[1]


def test_benign_inputs_leave_no_report_at_all(pyext_run):
    _, _, run_dir, _ = pyext_run
    jobs = _jobs(run_dir)
    for name in ("quoted.csv", "semicolons.csv"):
        job = jobs[f"pyext_overflow:{name}"]
        assert job.exit_code == 0, name
        assert [log for log in job.logs if not log.endswith(("stdout", "stderr"))] == []
    stdout = (run_dir / jobs["pyext_overflow:quoted.csv"].logs[0]).read_text()
    assert 'said "hi"' in stdout  # the driver really ran the extension


def test_the_real_interpreter_runs_with_the_suppressions_named(pyext_run):
    cc, root, run_dir, out = pyext_run
    job = _jobs(run_dir)["pyext_overflow:quoted.csv"]
    interpreter = Path(job.argv[0])
    assert interpreter.is_absolute() and interpreter.resolve() == interpreter
    assert not interpreter.read_bytes().startswith(b"#!")  # not a version manager's shim
    assert job.argv[1] == "samples/pyext_overflow/driver.py"
    assert "interpreter leaks suppressed by harness/data/python.supp" in out
    runtime = "libasan" if cc == "gcc" else "libclang_rt.asan"
    assert "preloaded: " in out and runtime in out
    record = json.loads((root / f"build/{cc}-asan/build.json").read_text())
    entry = record["targets"]["pyext_overflow"]
    assert entry["kind"] == "python-extension"
    assert entry["binary"].startswith(f"build/{cc}-asan/pyext_overflow/csvfield.")
    assert "-fPIC" in entry["cflags"]

"""`harness triage`, `show` and `history` end to end, on logs real ASan runs wrote."""

from __future__ import annotations

import io
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import git
import pytest

from harness import cli
from harness.model import Job
from harness.triage import parallel

PROGRAM = r"""
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
struct node { struct node *next; char data[24]; };
char *volatile sink;
static struct node *make_node(void) {
    struct node *n = malloc(sizeof *n);
    memset(n, 0, sizeof *n);
    return n;
}
__attribute__((noinline)) static void parse_header(char *buf, size_t len) {
    char *copy = malloc(8);
    for (size_t i = 0; i <= len; i++) copy[i] = buf[i];
    sink = copy;
    free(copy);
}
__attribute__((noinline)) static void read_file(const char *path) {
    char buf[64] = {0};
    FILE *f = fopen(path, "rb");
    if (!f) return;
    size_t n = fread(buf, 1, sizeof buf - 1, f);
    fclose(f);
    if (n && buf[0] == 'A') parse_header(buf, 8 + (n % 4));
    if (n && buf[0] == 'L') {
        struct node *keep = make_node();
        keep->next = make_node();
        sink = (char *)keep; keep = 0; sink = 0;
    }
}
int main(int argc, char **argv) {
    if (argc > 1) read_file(argv[1]);
    return 0;
}
"""
INPUTS = {"short.txt": b"AAAA", "long.txt": b"Aaaaaa", "leak.txt": b"L", "fine.txt": b"x"}
RUN_ID = "20261125T053000Z-3f9a"
RUN_COMMIT = "c" * 40
OVERFLOW = "heap-buffer-overflow WRITE in parse_header ‹ read_file ‹ main"


@pytest.fixture(scope="session")
def run_logs(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A run folder as `harness run` lays it out: job folders with ASan logs + runs.jsonl."""
    if not shutil.which("gcc"):
        pytest.skip("gcc is not installed")
    work = tmp_path_factory.mktemp("asan")
    (work / "prog.c").write_text(PROGRAM)
    binary = work / "prog"
    flags = ["-g", "-O1", "-fsanitize=address", "-fno-omit-frame-pointer"]
    subprocess.run(["gcc", *flags, str(work / "prog.c"), "-o", str(binary)], check=True)
    run_dir = work / "logs" / RUN_ID
    lines = []
    for number, (name, data) in enumerate(sorted(INPUTS.items()), start=1):
        job_dir = run_dir / f"job-{number:04d}"
        job_dir.mkdir(parents=True)
        (work / name).write_bytes(data)
        env = {**os.environ, "ASAN_OPTIONS": f"log_path={job_dir}/asan:detect_leaks=1"}
        subprocess.run([str(binary), str(work / name)], env=env, check=False)
        logs = sorted(p.relative_to(run_dir).as_posix() for p in job_dir.iterdir())
        job = Job(
            RUN_ID,
            number,
            "prog",
            "asan",
            "gcc 12",
            f"inputs/{name}",
            None,
            0,
            (str(binary),),
            1 if logs else 0,
            None,
            False,
            False,
            0.01,
            None,
            tuple(logs),
            RUN_COMMIT,
            False,
        )
        lines.append(json.dumps(job.to_json()))
    (run_dir / "runs.jsonl").write_text("\n".join(lines) + "\n")
    return work / "logs"


def _triage(capsys: pytest.CaptureFixture[str], root: Path, *args: str) -> tuple[int, str]:
    code = cli.main(["-C", str(root), "triage", *args])
    return code, capsys.readouterr().out


def _json(capsys: pytest.CaptureFixture[str], root: Path, *args: str) -> tuple[int, dict]:
    code, out = _triage(capsys, root, *args, "--format", "json")
    return code, json.loads(out)


@pytest.fixture
def project(tmp_path: Path, run_logs: Path) -> Path:
    """A folder with no harness.toml, holding a copy of the run's logs."""
    shutil.copytree(run_logs, tmp_path / "logs")
    return tmp_path


def test_json_contract_from_a_run(capsys: pytest.CaptureFixture[str], project: Path) -> None:
    code, doc = _json(capsys, project, str(project / "logs"), "--fail-on", "new")
    assert code == 1
    assert doc["schema"] == "harness.triage/1"
    assert doc["commit"] == RUN_COMMIT  # every log comes from the run: its commit
    titles = {f["title"]: f for f in doc["findings"]}
    overflow = titles[OVERFLOW]
    assert overflow["count"] == 2 and overflow["status"] == "new"
    assert (overflow["severity"], overflow["security"], overflow["tools"]) == (
        "high",
        True,
        ["asan"],
    )
    assert [f["key"] for f in overflow["frames"]] == ["parse_header", "read_file", "main"]
    assert sorted(r["input"] for r in overflow["reports"]) == [
        "inputs/long.txt",
        "inputs/short.txt",
    ]
    assert all(r["log"].startswith(str(project / "logs")) for r in overflow["reports"])
    assert "leak (direct) in make_node ‹ read_file ‹ main" in titles
    assert "leak (indirect) in make_node ‹ read_file ‹ main" in titles
    assert doc["stats"]["logs"] == 3 and doc["stats"]["reports"] == 4
    assert doc["stats"]["findings"] == 3 and doc["stats"]["bytes"] > 0
    assert [f["severity"] for f in doc["findings"]] == ["high", "low", "low"]
    assert {f["first_seen"] for f in doc["findings"]} == {RUN_COMMIT}
    assert (project / ".harness" / "findings.db").is_file()


def test_report_formats_name_the_first_seen_commit(
    capsys: pytest.CaptureFixture[str], project: Path
) -> None:
    _, junit = _triage(capsys, project, "logs", "--format", "junit")
    assert f"first seen {RUN_COMMIT}" in junit and "first seen unknown" not in junit
    _, page = _triage(capsys, project, "logs", "--format", "html")
    assert f"<code>{RUN_COMMIT}</code>" in page
    _, alone = _json(capsys, project, "logs", "--no-store")  # no store: nothing to tell
    assert {f["first_seen"] for f in alone["findings"]} == {None}


def test_second_triage_reads_nothing_and_changes_no_counts(
    capsys: pytest.CaptureFixture[str], project: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _, first = _json(capsys, project, "logs")
    calls: list[str] = []
    original = parallel.parse_one
    monkeypatch.setattr(parallel, "parse_one", lambda p, s: calls.append(p) or original(p, s))
    code, second = _json(capsys, project, "logs", "--fail-on", "new")
    # the same logs are no new sighting: the finding is still new, and still gates
    assert code == 1 and calls == []
    assert [(f["id"], f["count"]) for f in second["findings"]] == [
        (f["id"], f["count"]) for f in first["findings"]
    ]
    assert {f["status"] for f in second["findings"]} == {"new"}
    cli.main(["-C", str(project), "history"])
    history = capsys.readouterr().out
    assert OVERFLOW in history and " 2 " in history


def test_a_later_run_of_the_same_crash_still_counts(
    capsys: pytest.CaptureFixture[str], project: Path
) -> None:
    _json(capsys, project, "logs")
    later = project / "logs" / "20261126T053000Z-0001"
    shutil.copytree(project / "logs" / RUN_ID, later)
    runs = (later / "runs.jsonl").read_text().replace(RUN_ID, later.name)
    (later / "runs.jsonl").write_text(runs.replace(RUN_COMMIT, "d" * 40))
    _, doc = _json(capsys, project, str(later))
    overflow = next(f for f in doc["findings"] if f["title"] == OVERFLOW)
    assert overflow["status"] == "open"
    cli.main(["-C", str(project), "show", overflow["id"][:5]])
    shown = capsys.readouterr().out
    assert OVERFLOW in shown
    # every stack of the representative report: the crash and the allocation
    assert "#0 parse_header" in shown and "#1 parse_header" in shown
    assert shown.count("input inputs/short.txt") == 2
    assert "cccccccccccc" in shown and "dddddddddddd" in shown
    assert "new" in shown.split("history:")[1]


def test_no_store_gives_null_status_and_writes_no_db(
    capsys: pytest.CaptureFixture[str], project: Path
) -> None:
    code, doc = _json(capsys, project, "logs", "--no-store", "--fail-on", "new")
    assert code == 1  # with no history every finding is new
    assert {f["status"] for f in doc["findings"]} == {None}
    assert not (project / ".harness").exists()


def test_loose_log_binds_to_the_checkout_and_flags_dirty(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, run_logs: Path
) -> None:
    repo = git.Repo.init(tmp_path)
    (tmp_path / "README").write_text("one\n")
    repo.index.add(["README"])
    sha = repo.index.commit("first").hexsha
    (tmp_path / "README").write_text("changed\n")
    log = next(run_logs.glob(f"{RUN_ID}/job-0003/asan.*"))  # long.txt: the overflow
    shutil.copy(log, tmp_path / "crash.log")
    _, doc = _json(capsys, tmp_path, "crash.log")
    assert doc["commit"] == sha
    assert doc["findings"][0]["title"] == OVERFLOW
    assert doc["findings"][0]["reports"][0]["input"] is None
    cli.main(["-C", str(tmp_path), "show", doc["findings"][0]["id"]])
    assert f"commit {sha[:12]}+dirty" in capsys.readouterr().out


def test_stdin_unreadable_files_and_output_file(
    capsys: pytest.CaptureFixture[str],
    tmp_path: Path,
    run_logs: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    log = next(run_logs.glob(f"{RUN_ID}/job-0002/asan.*"))  # leak.txt
    folder = tmp_path / "in"
    folder.mkdir()
    (folder / "dangling").symlink_to(tmp_path / "missing")
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(log.read_bytes())))
    out_file = tmp_path / "out.md"
    code = cli.main(
        [
            "-C",
            str(tmp_path),
            "triage",
            "-",
            str(folder),
            "--no-store",
            "--format",
            "md",
            "-o",
            str(out_file),
        ]
    )
    assert code == 0 and capsys.readouterr().out == ""
    text = out_file.read_text()
    assert "leak (direct) in make\\_node ‹ read\\_file ‹ main" in text
    assert "dangling" in text


def test_a_path_that_does_not_exist_is_a_usage_error_and_nothing_is_stored(
    capsys: pytest.CaptureFixture[str], project: Path
) -> None:
    code = cli.main(["-C", str(project), "triage", "logs", "nope.log"])
    out, err = capsys.readouterr()
    assert code == 2 and out == ""
    assert "nope.log: no such file or folder" in err
    assert not (project / ".harness").exists()


def test_a_log_whose_name_is_not_utf8_is_triaged_and_stored_by_an_escaped_name(
    capsys: pytest.CaptureFixture[str], project: Path
) -> None:
    folder = project / "odd"
    folder.mkdir()
    logs = (project / "logs").glob(f"{RUN_ID}/job-*/asan.*")
    log = next(p for p in logs if b"heap-buffer-overflow" in p.read_bytes())
    odd = os.fsdecode(b"crash-\xff.log")
    shutil.copy(log, folder / odd)
    code, doc = _json(capsys, project, "odd")
    assert code == 0
    (finding,) = doc["findings"]
    assert finding["reports"][0]["log"] == "odd/crash-\\xff.log"
    cli.main(["-C", str(project), "show", finding["id"]])
    assert "crash-\\xff.log" in capsys.readouterr().out


def test_table_is_the_default(capsys: pytest.CaptureFixture[str], project: Path) -> None:
    code, out = _triage(capsys, project, "logs", "--no-store")
    lines = out.splitlines()
    assert code == 0
    assert lines[0].split() == ["id", "severity", "kind", "access", "title", "count", "status"]
    assert "heap-buffer-overflow" in lines[2] and lines[2].split()[1] == "high"


def test_show_unknown_id_is_a_usage_error(
    capsys: pytest.CaptureFixture[str], project: Path
) -> None:
    _json(capsys, project, "logs")
    assert cli.main(["-C", str(project), "show", "ffffffffffff"]) == 2
    assert "harness history" in capsys.readouterr().err


def test_many_logs_go_through_the_process_pool(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, run_logs: Path
) -> None:
    log = next(run_logs.glob(f"{RUN_ID}/job-0003/asan.*"))
    folder = tmp_path / "many"
    folder.mkdir()
    for i in range(parallel.POOL_THRESHOLD + 6):
        # distinct bytes so each is its own log (content-hash keys)
        (folder / f"crash{i:03d}.log").write_bytes(log.read_bytes() + f"\n{i}\n".encode())
    _, doc = _json(capsys, tmp_path, str(folder))
    assert doc["stats"]["logs"] == parallel.POOL_THRESHOLD + 6
    assert [f["count"] for f in doc["findings"]] == [parallel.POOL_THRESHOLD + 6]
    _, again = _json(capsys, tmp_path, str(folder))
    assert again["findings"][0]["count"] == parallel.POOL_THRESHOLD + 6


CORPUS = Path("/work/shared/corpus")


@pytest.mark.skipif(not CORPUS.is_dir(), reason="the shared corpus is not here")
def test_real_corpus_triage_never_crashes(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    code, doc = _json(capsys, tmp_path, str(CORPUS), "--no-store")
    assert code == 0
    files = [p for p in CORPUS.rglob("*") if p.is_file() and not p.name.startswith(".")]
    assert doc["stats"]["logs"] == len(files)
    titles = {f["title"] for f in doc["findings"]}
    # gcc's libasan frames carry no symbols: they are dropped by module
    assert "global-buffer-overflow READ in interceptor ‹ main" in titles


def test_two_triages_at_once_both_land(tmp_path: Path, run_logs: Path) -> None:
    for name in ("one", "two"):
        shutil.copytree(run_logs, tmp_path / name)
    runs = tmp_path / "two" / RUN_ID / "runs.jsonl"
    runs.write_text(runs.read_text().replace(RUN_ID, "20261126T000000Z-0002"))
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[2])}
    procs = [
        subprocess.Popen(
            [sys.executable, "-m", "harness", "-C", str(tmp_path), "triage", name, "-j", "1"],
            env=env,
            stdout=subprocess.DEVNULL,
        )
        for name in ("one", "two")
    ]
    assert [p.wait() for p in procs] == [0, 0]
    out = subprocess.run(
        [sys.executable, "-m", "harness", "-C", str(tmp_path), "history"],
        env=env,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    overflow = next(line for line in out.splitlines() if OVERFLOW in line)
    # one ingestion made it new, the other (whichever came second) saw it again
    assert overflow.split()[2:4] == ["open", "4"]


def test_a_database_or_output_that_cannot_be_written_is_a_clear_error(
    capsys: pytest.CaptureFixture[str], project: Path
) -> None:
    (project / "not-a-folder").write_text("a file where a folder should be\n")
    code = cli.main(["-C", str(project), "--db", "not-a-folder/f.db", "triage", "logs"])
    err = capsys.readouterr().err
    assert code == 3 and "cannot open the findings database" in err and "--db PATH" in err
    code = cli.main(["-C", str(project), "triage", "logs", "-o", "not-a-folder/out.json"])
    err = capsys.readouterr().err
    assert code == 3 and "not-a-folder/out.json" in err and "Traceback" not in err


def test_output_is_relative_to_the_folder_of_dash_c(
    capsys: pytest.CaptureFixture[str], project: Path
) -> None:
    assert cli.main(["-C", str(project), "triage", "logs", "--no-store", "-o", "out.md"]) == 0
    assert "heap-buffer-overflow" in (project / "out.md").read_text()

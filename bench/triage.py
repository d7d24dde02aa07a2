"""Triage throughput: `harness triage` on a large corpus made from real logs.

    python bench/triage.py [--logs 20000] [--mb 100] [--out bench/out] [--reuse]

Builds a corpus of at least --logs files and --mb megabytes from real
sanitizer logs (tests/data/logs, the samples' logs under logs/ when present,
and ../shared/corpus), each copy with its pids and addresses varied and
with program output around the reports. Then, in the same run:

1. the reference: a plain `re` scan for frame lines over the same bytes
   (read every file, count `#N 0x...` lines), single process;
2. `harness triage` on the corpus into a fresh SQLite store, as a whole
   process (parse, signatures, clustering, store);
3. the same triage again on the unchanged corpus.

It prints MB/s and logs/s for each, and the speed-up of the second triage.
Targets: >= 25 MB/s end to end for (2); (3) at least 10x faster than (2).
"""

from __future__ import annotations

import argparse
import compileall
import random
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SOURCES = (
    ROOT / "tests" / "data" / "logs",
    ROOT / "logs",
    ROOT.parent / "shared" / "corpus",
)
PID = re.compile(rb"==(\d+)==")
ADDRESS = re.compile(rb"0x([0-9a-f]{8,16})")
FRAME = re.compile(rb"^\s*#\d+ 0x[0-9a-f]+ ", re.M)
NOISE = (
    b"processing record %d\n",
    b"[info] loaded %d entries from cache\n",
    b"warning: option %d is deprecated\n",
)


def source_logs() -> list[bytes]:
    """Every real log that holds at least one sanitizer report."""
    found: list[bytes] = []
    for folder in SOURCES:
        if not folder.is_dir():
            continue
        for path in sorted(folder.rglob("*")):
            if path.suffix == ".json" or not path.is_file() or path.name == "runs.jsonl":
                continue
            data = path.read_bytes()
            if b"Sanitizer" in data and FRAME.search(data):
                found.append(data)
    if not found:
        sys.exit("bench: no real logs found (tests/data/logs, logs/, ../shared/corpus)")
    return found


def vary(data: bytes, rng: random.Random) -> bytes:
    """The same report as another process would print it: new pid, shifted addresses."""
    pid = b"%d" % rng.randrange(1000, 4_000_000)
    shift = rng.randrange(1, 1 << 20) << 4
    data = PID.sub(b"==" + pid + b"==", data)
    return ADDRESS.sub(lambda m: b"0x%012x" % (int(m.group(1), 16) + shift), data)


def make_corpus(out: Path, logs: int, megabytes: int, seed: int = 7) -> tuple[int, int]:
    """Writes the corpus; returns (files, bytes)."""
    rng = random.Random(seed)
    sources = source_logs()
    target_bytes = megabytes * 1_000_000
    per_log = max(1, target_bytes // logs)
    total = count = 0
    shutil.rmtree(out, ignore_errors=True)
    while count < logs or total < target_bytes:
        folder = out / f"batch-{count // 1000:03d}"
        folder.mkdir(parents=True, exist_ok=True)
        parts: list[bytes] = []
        size = 0
        while size < per_log:
            noise = rng.choice(NOISE) % rng.randrange(10_000)
            chunk = noise + vary(rng.choice(sources), rng)
            parts.append(chunk)
            size += len(chunk)
        data = b"".join(parts)
        (folder / f"log-{count:06d}.txt").write_bytes(data)
        total += len(data)
        count += 1
    return count, total


def existing_corpus(corpus: Path) -> tuple[int, int]:
    """(files, bytes) of a corpus left by an earlier run."""
    sizes = [path.stat().st_size for path in corpus.rglob("*.txt")]
    return len(sizes), sum(sizes)


def reference_scan(corpus: Path) -> tuple[float, int]:
    """Plain `re` over the same bytes: read every file, count frame lines."""
    start = time.perf_counter()
    frames = 0
    for path in corpus.rglob("*.txt"):
        frames += len(FRAME.findall(path.read_bytes()))
    return time.perf_counter() - start, frames


def timed_triage(corpus: Path, db: Path, output: Path) -> float:
    argv = [sys.executable, "-m", "harness", "--db", str(db), "triage", str(corpus)]
    argv += ["--format", "json", "-o", str(output)]
    start = time.perf_counter()
    done = subprocess.run(argv, capture_output=True, text=True)
    seconds = time.perf_counter() - start
    if done.returncode not in (0, 1):
        sys.exit(f"bench: triage failed ({done.returncode}):\n{done.stderr}")
    return seconds


def line(label: str, seconds: float, files: int, size: int) -> str:
    return (
        f"{label:<34} {seconds:8.2f} s {size / 1e6 / seconds:9.1f} MB/s "
        f"{files / seconds:10.0f} logs/s"
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--logs", type=int, default=20_000)
    parser.add_argument("--mb", type=int, default=100)
    parser.add_argument("--out", type=Path, default=ROOT / "bench" / "out")
    parser.add_argument(
        "--reuse", action="store_true", help="keep an existing corpus instead of rebuilding it"
    )
    args = parser.parse_args()
    corpus = args.out / "corpus"
    if args.reuse and corpus.is_dir():
        files, size = existing_corpus(corpus)
    else:
        files, size = make_corpus(corpus, args.logs, args.mb)
    print(f"corpus: {files} logs, {size / 1e6:.1f} MB in {corpus}")
    # Timed as an installed harness runs: with its modules' bytecode compiled
    # (pip compiles it at install). Where PYTHONDONTWRITEBYTECODE is set, as on
    # some CI machines, every run would otherwise compile every module again.
    compileall.compile_dir(ROOT / "harness", quiet=1)
    db = args.out / "findings.db"
    for stale in args.out.glob("findings.db*"):
        stale.unlink()
    ref_seconds, frames = reference_scan(corpus)
    print(line(f"reference: re scan ({frames} frames)", ref_seconds, files, size))
    first = timed_triage(corpus, db, args.out / "first.json")
    print(line("harness triage (first)", first, files, size))
    second = timed_triage(corpus, db, args.out / "second.json")
    print(line("harness triage (unchanged corpus)", second, files, size))
    print(f"second triage speed-up: {first / second:.1f}x (target >= 10x)")
    print(f"end-to-end: {size / 1e6 / first:.1f} MB/s (target >= 25 MB/s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())

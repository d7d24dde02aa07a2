"""The sample of the nightly and report tests: a git repository of a tiny C
program whose heap overflow comes in at commit 2, clones of it with an untracked
harness.toml, and the CLI run in-process."""

from __future__ import annotations

import contextlib
import io
from dataclasses import dataclass, field
from pathlib import Path

import git

from harness.cli import main

PROGRAM = r"""
#include <stdio.h>
#include <stdlib.h>
#if defined(REQUIRE_ASAN) && !defined(__SANITIZE_ADDRESS__)
#error this program needs AddressSanitizer
#endif
char *volatile sink;
__attribute__((noinline)) static void parse_record(const char *data, size_t n) {
    char *buf = malloc(8);
    size_t limit = @LIMIT@;
    for (size_t i = 0; i < limit; i++) buf[i] = data[i];
    sink = buf;
    free(buf);
}
int main(int argc, char **argv) {
    char data[64] = {0};
    FILE *f = argc > 1 ? fopen(argv[1], "rb") : NULL;
    if (!f) return 2;
    size_t n = fread(data, 1, sizeof data, f);
    fclose(f);
    parse_record(data, n);
    return 0;
}
"""
CONFIG = """
[project]
name = "sample"
cc = "gcc"

[nightly]
profiles = @PROFILES@

[email]
host = "127.0.0.1"
port = @PORT@
tls = "none"
from = "harness@example.org"
to = ["dev@example.org"]
always_send = @ALWAYS@

[[target]]
name = "prog"
sources = ["prog.c"]
inputs = "inputs"
cflags = @CFLAGS@
"""
IGNORED = "build/\nlogs/\nreports/\n.harness/\nharness.toml\n"


def cli(root: Path, *args: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = main(["-C", str(root), *args])
    return code, out.getvalue(), err.getvalue()


@dataclass
class Origin:
    path: Path
    shas: list[str] = field(default_factory=list)


def make_origin(root: Path) -> Origin:
    """The sample repository: commit 1 bounds the copy, commit 2 does not."""
    repo = git.Repo.init(root, initial_branch="main")
    with repo.config_writer() as config:
        config.set_value("user", "name", "Ada Tester")
        config.set_value("user", "email", "ada@example.com")
    made = Origin(root)
    files = {".gitignore": IGNORED, "inputs/short.txt": "abc", "inputs/long.txt": "0123456789ab"}
    for limit, subject in (("n < 8 ? n : 8", "Bounded parser"), ("n", "Copy the whole record")):
        files["prog.c"] = PROGRAM.replace("@LIMIT@", limit)
        for name, text in files.items():
            (root / name).parent.mkdir(parents=True, exist_ok=True)
            (root / name).write_text(text)
        repo.index.add(list(files))
        made.shas.append(repo.index.commit(subject).hexsha)
    return made


def checkout(
    origin: Origin,
    folder: Path,
    commit: int,
    port: int,
    *,
    profiles: str = '["asan"]',
    always: bool = False,
    cflags: str = "[]",
) -> git.Repo:
    """A clone of `origin` with main at commit number `commit` (1-based)."""
    repo = git.Repo.clone_from(origin.path, folder)
    repo.git.reset("--hard", origin.shas[commit - 1])
    text = CONFIG.replace("@PROFILES@", profiles).replace("@PORT@", str(port))
    text = text.replace("@ALWAYS@", "true" if always else "false").replace("@CFLAGS@", cflags)
    (folder / "harness.toml").write_text(text)
    return repo

"""`harness build` with real gcc and clang, real SCons and real sanitizer runtimes.

One small project (two C files and a C++ file, each with a bug) is built once
per compiler per session; other tests use their own tiny projects."""

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from harness import build
from harness.cli import main
from harness.errors import EXIT_FAILED, EXIT_OK, EXIT_USAGE
from harness.project import open_project
from tests.helpers import clang_works

REPO = Path(__file__).resolve().parents[2]
COMPILERS = [
    "gcc",
    pytest.param(
        "clang",
        marks=[
            pytest.mark.clang,
            pytest.mark.skipif(not clang_works(), reason="clang with sanitizers not installed"),
        ],
    ),
]

TOML = """\
[project]
name = "demo"

[[target]]
name = "overflow"
sources = ["src/overflow.c", "src/readall.c"]

[[target]]
name = "uaf"
sources = ["src/uaf.cpp"]

[[target]]
name = "external"
binary = "out/external"
"""

OVERFLOW_C = """\
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
size_t read_all(const char *path, char *out, size_t size);
int main(int argc, char **argv) {
    char data[256];
    size_t n = read_all(argv[1], data, sizeof data);
    char *copy = malloc(8);
    memcpy(copy, data, n); /* bug: no bound on n */
    printf("%c\\n", copy[0]);
    free(copy);
    return 0;
}
"""

READALL_C = """\
#include <stdio.h>
size_t read_all(const char *path, char *out, size_t size) {
    FILE *file = fopen(path, "rb");
    size_t n = 0;
    if (file) { n = fread(out, 1, size, file); fclose(file); }
    return n;
}
"""

UAF_CPP = """\
#include <cstdio>
#include <string>
int main(int argc, char **argv) {
    std::string *name = new std::string(argv[1]);
    int first = name->at(0);
    delete name;
    if (first == 'x') return name->size() > 3; // bug: use after delete
    std::printf("%d\\n", first);
    return 0;
}
"""


def _project(root: Path) -> Path:
    (root / "src").mkdir(parents=True)
    (root / "harness.toml").write_text(TOML)
    (root / "src/overflow.c").write_text(OVERFLOW_C)
    (root / "src/readall.c").write_text(READALL_C)
    (root / "src/uaf.cpp").write_text(UAF_CPP)
    (root / "short.txt").write_text("ok")
    (root / "long.txt").write_text("this input is longer than eight bytes\n")
    return root


def _one_file_project(root: Path, source: str = "int main(void) { return 0; }\n") -> Path:
    root.mkdir(parents=True, exist_ok=True)
    (root / "harness.toml").write_text('[[target]]\nname = "one"\nsources = ["one.c"]\n')
    (root / "one.c").write_text(source)
    return root


def _record(root: Path, variant: str) -> dict:
    return json.loads((root / "build" / variant / "build.json").read_text())


def _run(binary: Path, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([str(binary), *args], capture_output=True, text=True, timeout=60)


@pytest.fixture(scope="session")
def demo(tmp_path_factory):
    """The demo project, built with ASan once per compiler that is installed."""
    root = _project(tmp_path_factory.mktemp("demo"))
    built = {}
    for cc in ("gcc", "clang") if clang_works() else ("gcc",):
        assert main(["-C", str(root), "build", "--asan", "--cc", cc]) == EXIT_OK
        built[cc] = root / "build" / f"{cc}-asan"
    return root, built


@pytest.mark.parametrize("cc", COMPILERS)
def test_c_binary_has_asan(demo, cc):
    root, built = demo

    bad = _run(built[cc] / "overflow", str(root / "long.txt"))
    good = _run(built[cc] / "overflow", str(root / "short.txt"))

    assert "ERROR: AddressSanitizer: heap-buffer-overflow" in bad.stderr
    assert "overflow.c:9" in bad.stderr  # -g: the report points at the line
    assert bad.returncode != 0
    assert good.returncode == 0 and good.stdout == "o\n"


@pytest.mark.parametrize("cc", COMPILERS)
def test_cxx_binary_has_asan(demo, cc):
    _, built = demo

    bad = _run(built[cc] / "uaf", "xyzzy")

    assert "ERROR: AddressSanitizer: heap-use-after-free" in bad.stderr
    assert _run(built[cc] / "uaf", "abc").returncode == 0


@pytest.mark.parametrize("cc", COMPILERS)
def test_build_json_records_compiler_and_flags(demo, cc):
    root, _ = demo

    record = _record(root, f"{cc}-asan")

    assert record["cc"] == cc
    assert re.fullmatch(rf"{cc} \d+\.\d+\.\d+", record["compiler"])
    assert Path(record["path"]).is_file() and Path(record["path"]).name.startswith(cc)
    cxx = Path(record["cxx_path"]).name
    assert cxx.startswith("g++" if cc == "gcc" else "clang++")
    assert record["profile"] == "asan"
    assert record["cflags"][:2] == ["-g", "-fno-omit-frame-pointer"]
    assert any(flag.startswith("-fsanitize=address") for flag in record["ldflags"])
    assert set(record["targets"]) == {"overflow", "uaf"}  # "external" is not ours to build
    assert "-O1" in record["targets"]["overflow"]["cflags"]
    assert record["targets"]["uaf"]["binary"] == f"build/{cc}-asan/uaf"


def test_objects_and_signatures_stay_in_the_variant_dir(demo):
    root, built = demo

    objects = sorted(path.relative_to(built["gcc"]) for path in built["gcc"].rglob("*.o"))

    assert [str(path) for path in objects] == [
        ".obj/overflow/src/overflow.o",
        ".obj/overflow/src/readall.o",
        ".obj/uaf/src/uaf.o",
    ]
    assert (built["gcc"] / ".sconsign.dblite").is_file()
    assert not list(root.glob(".sconsign*"))
    assert not list((root / "src").glob("*.o"))


def test_second_build_compiles_nothing(demo, capsys):
    root, built = demo
    outputs = [*built["gcc"].rglob("*.o"), built["gcc"] / "overflow", built["gcc"] / "uaf"]
    before = {path: path.stat().st_mtime_ns for path in outputs}
    capsys.readouterr()

    code = main(["-C", str(root), "build", "--asan", "--cc", "gcc"])
    again = build.build_targets(open_project(str(root)), "asan", "gcc", 1, ["overflow"])

    assert code == EXIT_OK
    assert "up to date" in capsys.readouterr().out
    assert again.compiled == () and again.up_to_date
    assert "is up to date" in again.output
    assert {path: path.stat().st_mtime_ns for path in outputs} == before
    # building one target keeps the others recorded
    assert set(_record(root, "gcc-asan")["targets"]) == {"overflow", "uaf"}


def test_content_change_recompiles_only_that_file(tmp_path):
    root = _project(tmp_path / "p")
    project = open_project(str(root))
    build.build_targets(project, "plain", "gcc", 2, ["overflow"])
    readall = root / "src/readall.c"
    os.utime(readall, ns=(1, 1))  # a new timestamp alone changes no content signature

    touched = build.build_targets(project, "plain", "gcc", 2, ["overflow"])
    readall.write_text(READALL_C + "/* edited */\n")
    edited = build.build_targets(project, "plain", "gcc", 2, ["overflow"])

    assert touched.compiled == ()
    assert edited.compiled == ("build/gcc-plain/.obj/overflow/src/readall.o",)


def test_compile_error_exits_3_with_compiler_message(tmp_path, capsys):
    root = _one_file_project(tmp_path, "int main(void) {\n    return undeclared;\n}\n")

    code = main(["-C", str(root), "build", "--asan", "--cc", "gcc"])

    err = capsys.readouterr().err
    assert code == EXIT_FAILED
    assert "one.c:2:12: error:" in err
    assert "undeclared" in err
    assert not (root / "build/gcc-asan/one").exists()


SIGNED_OVERFLOW_C = """\
#include <limits.h>
#include <stdio.h>
int main(int argc, char **argv) {
    int big = INT_MAX;
    big += argc; /* bug: signed overflow */
    printf("%d\\n", big);
    return 0;
}
"""


def test_combined_profile_and_plain_flags(tmp_path):
    root = _one_file_project(tmp_path, SIGNED_OVERFLOW_C)

    assert main(["-C", str(root), "build", "--profile", "asan+ubsan", "--cc", "gcc"]) == 0
    assert main(["-C", str(root), "build", "--plain", "--cc", "gcc"]) == 0

    combined = _record(root, "gcc-asan+ubsan")
    plain = _record(root, "gcc-plain")
    assert combined["profile"] == "asan+ubsan"
    assert combined["cflags"] == [
        "-g",
        "-fno-omit-frame-pointer",
        "-fsanitize=address,leak",
        "-fsanitize=undefined",
    ]
    assert plain["profile"] == "plain"
    assert plain["cflags"] == ["-g", "-fno-omit-frame-pointer"] and plain["ldflags"] == []
    sanitized = _run(root / "build/gcc-asan+ubsan/one")
    assert "runtime error: signed integer overflow" in sanitized.stderr
    assert b"__asan_init" in (root / "build/gcc-asan+ubsan/one").read_bytes()
    unsanitized = _run(root / "build/gcc-plain/one")
    assert unsanitized.returncode == 0 and unsanitized.stderr == ""
    assert b"__asan_init" not in (root / "build/gcc-plain/one").read_bytes()


MAKEFILE = """\
prog: prog.c
\t$(CC) $(CFLAGS) -o $@ prog.c $(LDFLAGS)
fail:
\t@echo "custom failure text"
\t@exit 1
"""

PROG_C = """\
#include <stdio.h>
#include <stdlib.h>
#ifndef USER_FLAG
#error "USER_FLAG missing: the user's CFLAGS were dropped"
#endif
int main(int argc, char **argv) {
    char *buf = malloc(4);
    buf[0] = 0;
    int value = buf[argc + 3]; /* bug: reads past the 4 bytes */
    printf("flag=%d value=%d\\n", USER_FLAG, value);
    free(buf);
    return 0;
}
"""


@pytest.fixture
def make_project(tmp_path):
    (tmp_path / "Makefile").write_text(MAKEFILE)
    (tmp_path / "prog.c").write_text(PROG_C)
    return tmp_path


def test_wrapped_make_gets_asan_and_keeps_user_cflags(make_project, monkeypatch):
    monkeypatch.setenv("CFLAGS", "-DUSER_FLAG=7")
    before = dict(os.environ)

    code = main(["-C", str(make_project), "build", "--asan", "--cc", "gcc", "--", "make"])

    assert code == EXIT_OK
    assert dict(os.environ) == before
    ran = _run(make_project / "prog")
    assert "ERROR: AddressSanitizer: heap-buffer-overflow" in ran.stderr
    record = _record(make_project, "gcc-asan")
    assert record["compiler"].startswith("gcc ")
    assert record["command"] == ["make"]
    assert "-fsanitize=address,leak" in record["ldflags"]


def test_wrapped_command_failure_exits_3_and_shows_output(make_project, capfd):
    code = main(["-C", str(make_project), "build", "--asan", "--cc", "gcc", "--", "make", "fail"])

    out, err = capfd.readouterr()
    assert code == EXIT_FAILED
    assert "custom failure text" in out + err
    assert "'make fail' failed with exit code 2" in err


def test_msan_with_gcc_exits_2(tmp_path, capsys):
    root = _one_file_project(tmp_path)

    code = main(["-C", str(root), "build", "--msan", "--cc", "gcc"])

    assert code == EXIT_USAGE
    assert "clang-only" in capsys.readouterr().err


def test_unknown_and_external_targets_are_usage_errors(demo, capsys):
    root, _ = demo

    unknown = main(["-C", str(root), "build", "--cc", "gcc", "nosuch"])
    unknown_err = capsys.readouterr().err
    external = main(["-C", str(root), "build", "--cc", "gcc", "external"])
    external_err = capsys.readouterr().err

    assert unknown == EXIT_USAGE
    assert "unknown target 'nosuch'" in unknown_err
    assert "overflow, uaf, external" in unknown_err
    assert external == EXIT_USAGE
    assert "harness build --asan -- " in external_err


def test_missing_compiler_exits_3_saying_what_to_install(tmp_path, monkeypatch, capsys):
    root = _one_file_project(tmp_path / "p")
    empty = tmp_path / "empty-path"
    empty.mkdir()
    monkeypatch.setenv("PATH", str(empty))

    code = main(["-C", str(root), "build", "--asan", "--cc", "gcc"])

    assert code == EXIT_FAILED
    assert "gcc not found on PATH; install gcc" in capsys.readouterr().err


def test_repository_sconstruct_builds_a_project_from_its_toml(tmp_path):
    root = _one_file_project(tmp_path)
    scons = [sys.executable, "-m", "SCons", "-Q", "-f", str(REPO / "SConstruct"), "-C", str(root)]

    first = subprocess.run([*scons, "profile=plain", "cc=gcc"], capture_output=True, text=True)
    second = subprocess.run([*scons, "profile=plain", "cc=gcc", "one"], capture_output=True)

    assert first.returncode == 0, first.stderr
    assert _run(root / "build/gcc-plain/one").returncode == 0
    assert _record(root, "gcc-plain")["targets"]["one"]["binary"] == "build/gcc-plain/one"
    assert b"`one' is up to date" in second.stdout

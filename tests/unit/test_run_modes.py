"""Run modes (--valgrind, --leaks) and python-extension jobs: command lines and environments."""

from __future__ import annotations

from pathlib import Path

import pytest

from harness import config, interpreters, launch, run_modes
from harness.config import Target
from harness.errors import ConfigError, ToolError, UsageError
from harness.interpreters import Interpreter
from harness.profiles import parse_profile
from harness.run_plan import Plan, PlannedJob
from harness.runtime_options import parse_options

ROOT = Path("/project")
JOB_DIR = Path("/project/logs/r1/job-0001")
PYTHON = Interpreter(
    "python3", "/opt/py/bin/python3.11", "/opt/py/include", ".cpython-311.so", "3.11.7"
)
SETTINGS = launch.Settings({"PATH": "/bin", "LD_PRELOAD": "libmine.so"}, None, 512, None)


def _plan(mode: str, target: Target, **fields) -> tuple[Plan, PlannedJob]:
    how = run_modes.MODES[mode]
    profile = parse_profile("plain" if how.uses_plain_build else fields.pop("profile", "asan"))
    binary = ROOT / "build" / f"gcc-{profile.name}" / target.name
    if target.is_python_extension:
        binary = binary / f"{target.module}{PYTHON.ext_suffix}"
    job = PlannedJob(1, target, binary, ROOT / "in" / "a.txt", 0)
    plan = Plan(ROOT, profile, "gcc", "gcc 12.2.0", (target.name,), (job,), (), how, **fields)
    return plan, job


PROGRAM = Target(name="prog", sources=("p.c",), timeout=2.0)
EXTENSION = Target(
    name="ext",
    sources=("e.c",),
    kind=config.PYTHON_EXTENSION,
    module="csvfield",
    interpreter="python3",
    script="drive.py",
)


def test_valgrind_runs_memcheck_in_front_with_xml_per_pid_and_a_scaled_timeout():
    plan, job = _plan("valgrind", PROGRAM, valgrind="/usr/bin/valgrind")

    how = launch.prepare(plan, job, JOB_DIR, SETTINGS)

    assert how.argv[:3] == ("/usr/bin/valgrind", "--tool=memcheck", "--xml=yes")
    assert f"--xml-file={JOB_DIR}/memcheck.%p.xml" in how.argv
    assert "--trace-children=yes" in how.argv and "--leak-check=full" in how.argv
    assert "--show-leak-kinds=definite,indirect,possible" in how.argv
    assert f"--error-exitcode={run_modes.MEMCHECK_ERROR_EXIT}" in how.argv
    assert how.argv[-2:] == (str(job.binary), "/project/in/a.txt")
    assert how.timeout == 2.0 * run_modes.VALGRIND_SLOWDOWN
    assert "ASAN_OPTIONS" not in how.env and how.env["LD_PRELOAD"] == "libmine.so"
    assert plan.recorded_profile == "memcheck"


def test_an_explicit_timeout_is_taken_as_given_under_valgrind():
    plan, job = _plan("valgrind", PROGRAM, valgrind="/usr/bin/valgrind")
    settings = launch.Settings({}, 5.0, None, None)

    assert launch.prepare(plan, job, JOB_DIR, settings).timeout == 5.0


def test_leaks_preloads_lsan_first_and_logs_into_the_job_folder():
    plan, job = _plan("leaks", PROGRAM, preload="/lib/liblsan.so.0")

    how = launch.prepare(plan, job, JOB_DIR, SETTINGS)

    assert how.env["LD_PRELOAD"] == "/lib/liblsan.so.0 libmine.so"
    options = parse_options(how.env["LSAN_OPTIONS"])
    assert options["log_path"] == f"{JOB_DIR}/lsan"
    assert options["detect_leaks"] == "1" and options["fast_unwind_on_malloc"] == "0"
    assert "suppressions" not in options
    assert how.argv == (str(job.binary), "/project/in/a.txt") and how.log_stem == "lsan"
    assert plan.recorded_profile == "leaks"


def test_a_sanitizer_program_never_gets_a_second_runtime_preloaded():
    plan, job = _plan("sanitizer", PROGRAM, preload="/lib/libasan.so.8")

    how = launch.prepare(plan, job, JOB_DIR, SETTINGS)

    assert how.env["LD_PRELOAD"] == "libmine.so"
    assert plan.recorded_profile == "asan"


def test_an_extension_runs_in_the_real_interpreter_with_its_runtime_preloaded():
    plan, job = _plan(
        "sanitizer", EXTENSION, preload="/lib/libasan.so.8", interpreters=(("ext", PYTHON),)
    )

    how = launch.prepare(plan, job, JOB_DIR, SETTINGS)

    assert how.argv == (PYTHON.executable, "/project/drive.py", "/project/in/a.txt")
    assert how.env["LD_PRELOAD"].split()[0] == "/lib/libasan.so.8"
    assert how.env["PYTHONPATH"] == str(job.binary.parent)
    assert how.env["PYTHONMALLOC"] == "malloc"
    lsan = parse_options(how.env["LSAN_OPTIONS"])
    assert lsan["suppressions"] == str(interpreters.suppressions_file())
    assert parse_options(how.env["ASAN_OPTIONS"])["detect_leaks"] == "1"
    assert launch.recorded_argv(how.argv, job, ROOT)[1] == "drive.py"
    assert any("harness/data/python.supp" in line for line in launch.notes(plan))


def test_the_target_env_wins_over_the_interpreter_defaults_and_keeps_its_pythonpath():
    target = Target(
        **{**_fields(EXTENSION), "env": {"PYTHONMALLOC": "pymalloc", "PYTHONPATH": "/x"}}
    )
    plan, job = _plan("sanitizer", target, interpreters=(("ext", PYTHON),))

    how = launch.prepare(plan, job, JOB_DIR, SETTINGS)

    assert how.env["PYTHONMALLOC"] == "pymalloc"
    assert how.env["PYTHONPATH"] == f"{job.binary.parent}:/x"


def _fields(target: Target) -> dict:
    return {name: getattr(target, name) for name in Target.__slots__}


def test_choose_mode_refuses_conflicts():
    assert run_modes.choose_mode(False, False, "asan+ubsan").name == "sanitizer"
    assert run_modes.choose_mode(True, False, None).name == "valgrind"
    assert run_modes.choose_mode(False, True, "plain").name == "leaks"
    with pytest.raises(UsageError, match="one of them"):
        run_modes.choose_mode(True, True, None)
    with pytest.raises(UsageError, match="drop --profile asan"):
        run_modes.choose_mode(False, True, "asan")


def test_extension_runtime_refuses_sanitizers_the_interpreter_cannot_host():
    with pytest.raises(UsageError, match="interpreter itself instrumented"):
        run_modes.extension_runtime("clang", None, parse_profile("msan"))
    assert run_modes.extension_runtime("gcc", None, parse_profile("plain")) is None


def test_ldconfig_cache_lines_give_the_x86_64_library():
    text = (
        "2 libs found in cache `/etc/ld.so.cache'\n"
        "\tliblsan.so.0 (libc6) => /usr/lib32/liblsan.so.0\n"
        "\tliblsan.so.0 (libc6,x86-64) => /lib/x86_64-linux-gnu/liblsan.so.0\n"
    )
    assert run_modes.parse_ldconfig(text, "liblsan.so.0") == "/lib/x86_64-linux-gnu/liblsan.so.0"
    assert run_modes.parse_ldconfig(text, "libasan.so.8") is None


def test_an_interpreter_that_does_not_describe_itself_is_a_tool_error():
    with pytest.raises(ToolError, match="did not describe itself"):
        interpreters.parse_description("python2", "SyntaxError: invalid syntax")
    described = interpreters.parse_description(
        "python3",
        '{"executable": "/p/python3.11", "include": "/p/inc", "ext_suffix": ".so", '
        '"version": "3.11.7"}',
    )
    assert described.executable == "/p/python3.11" and described.label == "python 3.11.7"


def test_the_shipped_suppressions_never_hide_an_extensions_own_allocations():
    rules = [
        line
        for line in interpreters.suppressions_file().read_text().splitlines()
        if line.startswith("leak:")
    ]
    assert rules
    generic = ("PyObject_Malloc", "_PyMem_RawMalloc", "PyMem_Malloc", "libpython", "malloc")
    assert not any(rule.removeprefix("leak:") in generic for rule in rules)


# ---- harness.toml keys --------------------------------------------------------------------

EXT_TOML = (
    '[[target]]\nname = "ext"\nkind = "python-extension"\nsources = ["e.c"]\nscript = "drive.py"\n'
)


def _load(tmp_path: Path, text: str) -> config.Config:
    (tmp_path / "e.c").write_text("")
    (tmp_path / "drive.py").write_text("")
    (tmp_path / "harness.toml").write_text(text)
    return config.load(tmp_path / "harness.toml")


def test_a_python_extension_target_defaults_module_and_interpreter(tmp_path):
    target = _load(tmp_path, EXT_TOML).targets[0]

    assert target.is_python_extension
    assert (target.module, target.interpreter, target.script) == ("ext", "python3", "drive.py")
    assert target.args == ("{input}",)


@pytest.mark.parametrize(
    ("text", "words", "line"),
    [
        (EXT_TOML.replace('script = "drive.py"\n', ""), "add script =", 1),
        (EXT_TOML.replace("drive.py", "nope.py"), "'nope.py' does not exist", 5),
        (EXT_TOML + 'module = "csv-field"\n', "not a Python identifier", 6),
        (EXT_TOML.replace("python-extension", "plugin"), "use one of: program", 3),
        ('[[target]]\nname = "p"\nsources = ["e.c"]\nscript = "drive.py"\n', "kind =", 4),
    ],
)
def test_python_extension_mistakes_name_the_key_and_line(tmp_path, text, words, line):
    with pytest.raises(ConfigError, match=words) as caught:
        _load(tmp_path, text)
    assert caught.value.line == line

"""Sanitizer options: parsing the runtime's syntax, merging the user's, owned keys."""

from pathlib import Path

import pytest

from harness.errors import UsageError
from harness.profiles import parse_profile
from harness.runtime_options import (
    Layer,
    format_options,
    merge,
    parse_options,
    sanitizer_env,
    tools_for,
)

JOB = Path("/runs/r1/job-0001")


def test_parse_splits_on_colons_and_keeps_equals_in_values():
    assert parse_options("a=1:b=x=y:c=/p/q") == {"a": "1", "b": "x=y", "c": "/p/q"}


def test_parse_accepts_every_runtime_separator_and_quotes():
    text = "a=1,b=2 c=3\nd='x:y z'\te=\"q'r\""
    assert parse_options(text) == {"a": "1", "b": "2", "c": "3", "d": "x:y z", "e": "q'r"}


def test_parse_later_duplicate_wins_and_empty_text_is_empty():
    assert parse_options("a=1:a=2") == {"a": "2"}
    assert parse_options("") == {}
    assert parse_options("::") == {}


def test_parse_rejects_an_option_without_equals_naming_where():
    with pytest.raises(UsageError, match="ASAN_OPTIONS in the environment: 'verbose' has no '='"):
        parse_options("a=1:verbose", "ASAN_OPTIONS in the environment")


def test_parse_rejects_an_unclosed_quote():
    with pytest.raises(UsageError, match="closing"):
        parse_options("a='open")


def test_format_quotes_values_with_separators_and_round_trips():
    options = {"log_path": "/my dir/a:b/asan", "x": "it's", "y": "plain=1"}
    text = format_options(options)
    assert text == 'log_path="/my dir/a:b/asan":x="it\'s":y=plain=1'
    assert parse_options(text) == options


def test_merge_lets_the_user_win_except_owned_keys():
    ours = {"log_path": "/job/asan", "detect_leaks": "1"}
    theirs = {"log_path": "/tmp/x", "detect_leaks": "0", "log_exe_name": "1", "verbosity": "1"}
    merged, warnings = merge(ours, theirs, "ASAN_OPTIONS in the environment")
    assert merged == {"log_path": "/job/asan", "detect_leaks": "0", "verbosity": "1"}
    assert len(warnings) == 2
    assert "log_path=/tmp/x" in warnings[0] and "ASAN_OPTIONS in the environment" in warnings[0]
    assert "log_exe_name=1" in warnings[1]


@pytest.mark.parametrize(
    ("profile", "tools"),
    [
        ("asan", ("asan", "lsan")),
        ("asan+ubsan", ("asan", "lsan", "ubsan")),
        ("lsan", ("lsan",)),
        ("ubsan", ("ubsan",)),
        ("msan", ("msan",)),
        ("tsan+ubsan", ("tsan", "ubsan")),
        ("plain", ()),
    ],
)
def test_tools_for_puts_the_primary_runtime_first(profile, tools):
    assert tools_for(parse_profile(profile)) == tools


def test_asan_profile_sets_logs_leaks_limits_and_symbolizer():
    runtime = sanitizer_env(parse_profile("asan"), JOB, (), 2048, "/usr/bin/llvm-symbolizer")
    asan = parse_options(runtime.variables["ASAN_OPTIONS"])
    assert asan["log_path"] == "/runs/r1/job-0001/asan"
    assert asan["detect_leaks"] == "1"
    assert asan["halt_on_error"] == "1"
    assert asan["symbolize"] == "1"
    assert asan["hard_rss_limit_mb"] == "2048"
    assert asan["external_symbolizer_path"] == "/usr/bin/llvm-symbolizer"
    assert runtime.variables["ASAN_SYMBOLIZER_PATH"] == "/usr/bin/llvm-symbolizer"
    assert runtime.log_stem == "asan"
    assert runtime.warnings == ()


def test_secondary_variables_carry_the_same_log_path_but_no_common_flags():
    # An ASan binary also parses LSAN_OPTIONS/UBSAN_OPTIONS, whose log_path would win.
    runtime = sanitizer_env(parse_profile("asan+ubsan"), JOB, (), 1024, None)
    lsan = parse_options(runtime.variables["LSAN_OPTIONS"])
    ubsan = parse_options(runtime.variables["UBSAN_OPTIONS"])
    assert lsan == {"log_path": "/runs/r1/job-0001/asan"}
    assert ubsan == {"log_path": "/runs/r1/job-0001/asan", "print_stacktrace": "1"}


def test_ubsan_alone_logs_under_its_own_name_with_stacks():
    runtime = sanitizer_env(parse_profile("ubsan"), JOB, (), None, None)
    ubsan = parse_options(runtime.variables["UBSAN_OPTIONS"])
    assert ubsan["log_path"] == "/runs/r1/job-0001/ubsan"
    assert ubsan["print_stacktrace"] == "1"
    assert "hard_rss_limit_mb" not in ubsan
    assert "UBSAN_SYMBOLIZER_PATH" not in runtime.variables


def test_plain_profile_sets_nothing():
    runtime = sanitizer_env(parse_profile("plain"), JOB, (), 1024, "/usr/bin/llvm-symbolizer")
    assert runtime.variables == {}
    assert runtime.log_stem is None


def test_user_layers_merge_in_order_and_owned_keys_warn():
    environment = Layer("the environment", {"ASAN_OPTIONS": "log_path=/tmp/x:detect_leaks=0"})
    target = Layer("target 't' env", {"ASAN_OPTIONS": "detect_leaks=1:verbosity=2"})
    runtime = sanitizer_env(parse_profile("asan"), JOB, (environment, target))
    asan = parse_options(runtime.variables["ASAN_OPTIONS"])
    assert asan["log_path"] == "/runs/r1/job-0001/asan"
    assert asan["detect_leaks"] == "1"
    assert asan["verbosity"] == "2"
    assert len(runtime.warnings) == 1
    assert "log_path=/tmp/x" in runtime.warnings[0]
    assert "the environment" in runtime.warnings[0]


def test_user_options_in_a_secondary_variable_are_kept():
    environment = Layer("the environment", {"LSAN_OPTIONS": "suppressions=/s.txt:log_path=/x"})
    runtime = sanitizer_env(parse_profile("asan"), JOB, (environment,))
    lsan = parse_options(runtime.variables["LSAN_OPTIONS"])
    assert lsan == {"log_path": "/runs/r1/job-0001/asan", "suppressions": "/s.txt"}
    assert "LSAN_OPTIONS" in runtime.warnings[0]


def test_a_user_symbolizer_path_variable_is_left_alone():
    environment = Layer("the environment", {"ASAN_SYMBOLIZER_PATH": "/opt/sym"})
    runtime = sanitizer_env(parse_profile("asan"), JOB, (environment,), None, "/usr/bin/sym")
    assert "ASAN_SYMBOLIZER_PATH" not in runtime.variables


def test_job_folder_with_spaces_and_colons_survives_the_round_trip():
    folder = Path("/home/a b/c:d/job-0002")
    runtime = sanitizer_env(parse_profile("asan"), folder, ())
    asan = parse_options(runtime.variables["ASAN_OPTIONS"])
    assert asan["log_path"] == "/home/a b/c:d/job-0002/asan"

"""Suppression files: syntax, errors with file:line, matching, counts and warnings."""

from __future__ import annotations

import pytest

from harness import config
from harness.errors import ConfigError
from harness.model import Frame, Report, Source, Stack
from harness.suppress import (
    BROAD_RULE_FINDINGS,
    load_rules,
    matches,
    parse_rules,
    suppress,
    template_regex,
)
from harness.triage.cluster import sign
from tests.unit.reportbuilders import report


def rule(line: str):
    (only,) = parse_rules(line, "test.supp")
    return only


def leak(*frames: Frame, tool: str = "lsan") -> Report:
    return Report(
        tool=tool,
        kind="leak",
        source=Source("a.log", 0, 10),
        headline="Direct leak of 8 byte(s) in 1 object(s) allocated from:",
        stacks=(Stack("alloc", frames),),
        details={"leak": "direct"},
    )


MALLOC = Frame(0, function="malloc", module="/usr/lib/libasan.so.8")
IN_LIB = Frame(1, function="png_create", file="/src/third_party/png/png.c", module="/lib/libpng.so")
OWN = Frame(2, function="load_image(char const*)", file="/src/app/load.c", line=3)


# --- syntax ----------------------------------------------------------------------


def test_comments_and_blank_lines_are_skipped_and_lines_are_kept():
    # GIVEN a file with comments, blank lines and rules
    text = "# leaks we accept\n\nleak:libpng.so\n  race:Cache::*  \nharness-kind:stack-overflow\n"
    # WHEN it is read
    rules = parse_rules(text, "project.supp")
    # THEN each rule knows its type, pattern and place
    assert [(r.type, r.pattern, r.line) for r in rules] == [
        ("leak", "libpng.so", 3),
        ("race", "Cache::*", 4),
        ("harness-kind", "stack-overflow", 5),
    ]
    assert rules[0].where == "project.supp:3"


def test_a_pattern_may_hold_colons():
    assert rule("fun:ns::parse*").pattern == "ns::parse*"


@pytest.mark.parametrize(
    "text, line, words",
    [
        ("leak:a\nno colon here\n", 2, ["not type:pattern"]),
        ("\nleek:libfoo\n", 2, ["unknown suppression type 'leek'", "did you mean 'leak'?"]),
        ("# c\n\nrace:\n", 3, ["needs a pattern"]),
        ("signed-integer-overfow:x.c\n", 1, ["did you mean 'signed-integer-overflow'?"]),
    ],
)
def test_errors_name_file_and_line(text, line, words):
    with pytest.raises(ConfigError) as caught:
        parse_rules(text, "project.supp")
    assert caught.value.path == "project.supp" and caught.value.line == line
    assert str(caught.value).startswith(f"project.supp:{line}: ")
    for word in words:
        assert word in str(caught.value)


def test_load_rules_reads_a_file_and_says_when_it_is_missing(tmp_path):
    path = tmp_path / "h.supp"
    path.write_text("leak:libfoo\n")
    assert [r.text for r in load_rules(path)] == ["leak:libfoo"]
    with pytest.raises(ConfigError, match="no such suppression file"):
        load_rules(tmp_path / "missing.supp")


@pytest.mark.parametrize(
    "pattern, text, expected",
    [
        ("foo", "a_foo_b", True),  # unanchored: anywhere
        ("^foo", "a_foo", False),
        ("^foo", "foo_a", True),
        ("foo$", "foo_a", False),
        ("foo$", "a_foo", True),
        ("^f*o$", "fxxo", True),
        ("lib*.so", "/usr/lib/libpng16.so.16", True),
        ("a.b", "axb", False),  # a dot is a dot
    ],
)
def test_sanitizer_templates_match_as_the_runtimes_do(pattern, text, expected):
    import re

    assert bool(re.search(template_regex(pattern), text)) is expected


# --- matching ----------------------------------------------------------------------


def test_leak_rules_match_any_frame_of_the_alloc_stack_by_function_file_or_module():
    report = leak(MALLOC, IN_LIB, OWN)
    assert matches(rule("leak:png_create"), report)
    assert matches(rule("leak:third_party/png"), report)
    assert matches(rule("leak:libpng"), report)
    assert matches(rule("leak:load_image"), report)
    assert not matches(rule("leak:^png_destroy$"), report)
    # a leak rule says nothing about other kinds
    crash = report_with(crash=(IN_LIB, OWN))
    assert not matches(rule("leak:png_create"), crash)


def report_with(**kwargs) -> Report:
    return report(**kwargs)


def test_interceptor_rules_need_the_error_raised_in_an_interceptor():
    via = report(crash=(Frame(0, function="__interceptor_memcpy", module="libasan.so.8"), OWN))
    direct = report(crash=(OWN, IN_LIB))
    assert matches(rule("interceptor_via_fun:load_image"), via)
    assert matches(rule("interceptor_name:memcpy"), via)
    assert not matches(rule("interceptor_name:strlen"), via)
    assert not matches(rule("interceptor_via_fun:load_image"), direct)
    lib = report(crash=(Frame(0, function="memcpy", module="libasan.so.8"), IN_LIB))
    assert matches(rule("interceptor_via_lib:libpng"), lib)
    assert matches(rule("called_from_lib:libpng.so"), lib)


def test_ubsan_rules_use_the_check_name_at_the_error_location():
    shifted = report(kind="invalid-shift-exponent", access=None, tool="ubsan", crash=(OWN, IN_LIB))
    misaligned = report(kind="misaligned-pointer-use", access=None, tool="ubsan", crash=(OWN,))
    assert matches(rule("shift-exponent:app/load.c"), shifted)
    assert matches(rule("invalid-shift-exponent:load_image"), shifted)
    # only the location of the error, not its callers
    assert not matches(rule("shift-exponent:png_create"), shifted)
    assert matches(rule("alignment:load.c"), misaligned)
    assert not matches(rule("alignment:load.c"), shifted)
    overflow = report(kind="signed-integer-overflow", access=None, tool="ubsan", crash=(OWN,))
    assert matches(rule("signed-integer-overflow:load.c"), overflow)
    assert not matches(rule("signed-integer-overflow:load.c"), report(crash=(OWN,)))


def test_thread_sanitizer_rules_apply_to_their_report_kinds():
    race = report(kind="data-race", tool="tsan", crash=(OWN,), free=(IN_LIB,))
    assert matches(rule("race:png_create"), race)
    assert not matches(rule("race_top:png"), report(kind="data-race", tool="tsan", crash=(OWN,)))
    assert not matches(rule("deadlock:load_image"), race)
    inversion = report(kind="lock-order-inversion", tool="tsan", access=None, crash=(OWN,))
    assert matches(rule("deadlock:load_image"), inversion)
    leaked = report(kind="thread-leak", tool="tsan", access=None, crash=(OWN,))
    assert matches(rule("thread:load_image"), leaked)
    assert not matches(rule("race:load_image"), report(crash=(OWN,)))


def test_fun_and_src_match_the_first_frame_in_the_program_whole():
    crash = report(crash=(MALLOC, OWN, IN_LIB))
    assert matches(rule("fun:load_image"), crash)
    assert matches(rule("fun:load_*"), crash)
    assert not matches(rule("fun:load"), crash)  # a glob on the whole name
    assert not matches(rule("fun:png_create"), crash)  # not the first own frame
    assert matches(rule("src:*/app/*"), crash)


def test_harness_rules():
    crash = report(kind="heap-use-after-free", crash=(MALLOC, IN_LIB, OWN))
    assert matches(rule("harness-kind:heap-use-*"), crash)
    assert not matches(rule("harness-kind:heap"), crash)
    assert matches(rule("harness-tool:asan"), crash)
    assert matches(rule("harness-function:png_*"), crash)
    assert matches(rule("harness-function:load_image"), crash)  # the normalized name
    assert matches(rule("harness-file:third_party/*"), crash)  # a tail of the path
    assert not matches(rule("harness-file:png/*.h"), crash)
    assert matches(rule("harness-module:libpng.so"), crash)
    assert matches(rule("harness-finding:abc123"), crash, "abc123")
    assert not matches(rule("harness-finding:abc123"), crash, "abc124")


# --- suppress -------------------------------------------------------------------------


def test_suppress_keeps_the_rest_and_counts_per_first_matching_rule():
    # GIVEN two leaks in libpng, one overflow in the app, and two rules that
    # could both hide the leaks
    reports = [
        leak(MALLOC, IN_LIB),
        leak(MALLOC, IN_LIB),
        report(crash=(OWN,)),
    ]
    rules = parse_rules("leak:libpng\nharness-kind:leak\n", "p.supp")
    # WHEN suppressing
    result = suppress(sign(reports), rules)
    # THEN the overflow is kept; the first rule takes both leaks
    assert [r.kind for r, _ in result.kept] == ["heap-buffer-overflow"]
    assert result.reports == {rules[0]: 2}
    assert result.findings == {rules[0]: 1}
    assert result.suppressed == 2
    assert result.summary() == ("p.supp:1: 'leak:libpng' suppressed 2 reports (1 finding)",)
    assert result.warnings() == ()


def test_a_rule_hiding_many_findings_is_called_too_broad():
    functions = [f"f{n}" for n in range(BROAD_RULE_FINDINGS + 2)]
    reports = [leak(MALLOC, Frame(1, function=name)) for name in functions]
    result = suppress(sign(reports), parse_rules("leak:*", "p.supp"))
    assert result.kept == ()
    count = len(functions)
    assert result.warnings() == (
        f"p.supp:1: rule 'leak:*' hides {count} distinct findings: too broad?",
    )


def test_harness_finding_rules_hide_one_finding_by_id():
    signed = sign([report(crash=(OWN,)), report(crash=(IN_LIB,))])
    target = signed[1][1].id
    result = suppress(signed, parse_rules(f"harness-finding:{target}", "p.supp"))
    assert [sig.id for _, sig in result.kept] == [signed[0][1].id]


def test_no_rules_keep_everything():
    signed = sign([report()])
    assert suppress(signed, ()).kept == tuple(signed)


# --- harness.toml -----------------------------------------------------------------------


def test_config_names_the_suppression_file(tmp_path):
    (tmp_path / "a.c").write_text("int main(void){return 0;}\n")
    (tmp_path / "harness.supp").write_text("leak:x\n")
    target = '[[target]]\nname = "t"\nsources = ["a.c"]\n'
    path = tmp_path / "harness.toml"
    path.write_text('[triage]\nsuppressions = "harness.supp"\n' + target)
    assert config.load(path).suppressions == "harness.supp"
    path.write_text('[triage]\nignore_frames = []\nsuppressions = "nope.supp"\n' + target)
    with pytest.raises(ConfigError) as caught:
        config.load(path)
    assert caught.value.line == 3 and "'nope.supp' does not exist" in str(caught.value)

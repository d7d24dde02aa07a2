"""The samples' ground-truth table agrees with the sample folders and harness.toml."""

from __future__ import annotations

import pytest

from harness.config import load
from tests.samples_truth import (
    REPO,
    SAMPLES,
    TOOLS,
    SampleTruth,
    load_truth,
    parse_table,
)

TRUTH = load_truth()
SAMPLE_DIRS = sorted(path.name for path in SAMPLES.iterdir() if path.is_dir())


def _ids(truth: SampleTruth) -> str:
    return truth.target


def test_every_sample_folder_has_exactly_one_row():
    targets = [truth.target for truth in TRUTH]

    assert sorted(targets) == SAMPLE_DIRS
    assert len(set(targets)) == len(targets)


def test_harness_toml_lists_every_sample_with_its_root_file():
    config = load(REPO / "harness.toml")

    assert config.name == "harness-samples"
    assert sorted(target.name for target in config.targets) == SAMPLE_DIRS
    for truth in TRUTH:
        target = config.target(truth.target)
        assert target is not None
        assert target.inputs == f"samples/{truth.target}/inputs"
        if truth.root_file is not None:
            assert truth.root_file in target.sources


def test_both_input_modes_and_both_languages_are_covered():
    config = load(REPO / "harness.toml")

    assert {target.input for target in config.targets} == {"path", "stdin"}
    assert {target.language for target in config.targets} == {"c", "c++"}


@pytest.mark.parametrize("truth", TRUTH, ids=_ids)
def test_root_cause_points_at_a_statement_of_the_named_function(truth: SampleTruth):
    if truth.kind == "none":
        assert truth.root_file is None and truth.triggering_inputs == ()
        assert truth.expected_count == 0
        return
    assert truth.root_file is not None and truth.root_line is not None
    source = REPO / truth.root_file
    lines = source.read_text(encoding="utf-8").splitlines()

    assert source.parent.name == truth.target
    assert 1 <= truth.root_line <= len(lines)
    statement = lines[truth.root_line - 1].strip()
    assert statement and not statement.startswith(("//", "/*", "*")), statement
    assert truth.root_function is not None
    assert truth.root_function.split("::")[-1] in source.read_text(encoding="utf-8")


@pytest.mark.parametrize("truth", TRUTH, ids=_ids)
def test_inputs_exist_with_triggering_and_benign_ones(truth: SampleTruth):
    inputs = sorted(path.name for path in truth.inputs_dir().iterdir() if path.is_file())
    benign = set(inputs) - set(truth.triggering_inputs)

    assert len(inputs) >= 3
    assert set(truth.triggering_inputs) <= set(inputs)
    assert benign
    if truth.kind != "none":
        assert truth.triggering_inputs
        assert truth.expected_count >= 1


def test_the_issue_kinds_are_all_covered():
    kinds = {truth.kind for truth in TRUTH}
    leaks = {truth.expected_findings for truth in TRUTH if truth.kind == "leak"}

    assert kinds >= {
        "heap-buffer-overflow",
        "stack-buffer-overflow",
        "global-buffer-overflow",
        "heap-use-after-free",
        "double-free",
        "bad-free",
        "stack-use-after-scope",
        "memcpy-param-overlap",
        "alloc-dealloc-mismatch",
        "leak",
        "null-dereference",
        "stack-overflow",
        "none",
    }
    assert {"1 leak direct", "1 leak direct + 1 leak indirect"} <= leaks
    accesses = {t.access for t in TRUTH if t.kind == "heap-buffer-overflow"}
    assert accesses == {"READ", "WRITE"}


def test_other_tools_have_their_kinds_covered():
    found_by = {(tool, truth.kind) for truth in TRUTH for tool in truth.tools}

    assert {
        ("msan", "use-of-uninitialized-value"),
        ("memcheck", "use-of-uninitialized-value"),
        ("tsan", "data-race"),
        ("ubsan", "signed-integer-overflow"),
        ("ubsan", "invalid-shift-exponent"),
        ("ubsan", "misaligned-pointer-use"),
        ("ubsan", "null-dereference"),
        ("asan", "heap-buffer-overflow"),
        ("memcheck", "heap-buffer-overflow"),
    } <= found_by
    assert {tool for truth in TRUTH for tool in truth.tools} == set(TOOLS)


def test_a_bug_two_tools_find_is_one_expected_finding():
    shared = [truth for truth in TRUTH if len(truth.tools) > 1]

    assert {truth.tools for truth in shared} >= {("asan", "memcheck"), ("msan", "memcheck")}
    for truth in shared:
        assert truth.expected_count == 1
        assert "one finding for" in truth.expected_findings


def test_at_least_two_targets_reach_their_bug_through_two_callers():
    two_callers = [t for t in TRUTH if "one per caller" in t.expected_findings]

    assert len(two_callers) >= 2
    for truth in two_callers:
        assert truth.expected_count == 2
        assert len(truth.triggering_inputs) >= 2


TABLE = """intro

| target | kind | access | tools | root cause | triggering inputs | expected findings |
|---|---|---|---|---|---|---|
| t1 | leak | - | asan | make (t1/main.c:7) | a.txt, b.txt | 1 leak direct + 1 leak indirect |
| t2 | none | - | asan | - | - | 0 |
| t3 | heap-buffer-overflow | WRITE | asan | Ring::push (t3/main.cpp:19) | x | 2 (one per caller) |
| t4 | use-of-uninitialized-value | - | msan, memcheck | f (t4/main.c:3) | y | 1 found |

paragraph
"""


def test_parse_table_reads_cells_into_typed_fields():
    leak, none, ring, uninit = parse_table(TABLE)

    assert leak == SampleTruth(
        target="t1",
        kind="leak",
        access=None,
        root_function="make",
        root_file="t1/main.c",
        root_line=7,
        triggering_inputs=("a.txt", "b.txt"),
        expected_findings="1 leak direct + 1 leak indirect",
        tools=("asan",),
    )
    assert leak.expected_count == 2
    assert leak.report_headers[-2:] == ("Direct leak of", "Indirect leak of")
    assert none.root_line is None and none.triggering_inputs == () and none.expected_count == 0
    assert (ring.root_function, ring.root_line, ring.access) == ("Ring::push", 19, "WRITE")
    assert ring.expected_count == 2
    assert uninit.tools == ("msan", "memcheck")
    assert uninit.headers_for("msan") == ("WARNING: MemorySanitizer: use-of-uninitialized-value",)
    assert uninit.report_headers == uninit.headers_for("msan")


def test_memcheck_headers_of_an_overflow_follow_the_access():
    ring = parse_table(TABLE)[2]

    assert ring.headers_for("memcheck") == ("Invalid write of size",)
    assert ring.headers_for("asan") == ("ERROR: AddressSanitizer: heap-buffer-overflow",)


@pytest.mark.parametrize(
    ("broken", "message"),
    [
        ("| t1 | leek | - | asan | - | - | 0 |", "unknown kind 'leek'"),
        ("| t1 | leak | READWRITE | asan | - | - | 0 |", "access must be"),
        ("| t1 | leak | - | asan | make main.c:7 | - | 0 |", "root cause must read"),
        ("| t1 | leak | - | asan | - | 0 |", "expected 7 cells"),
        ("| t1 | leak | - | helgrind | - | - | 0 |", "unknown tool 'helgrind'"),
        ("| t1 | data-race | - | asan | - | - | 0 |", "no report headers for kind 'data-race'"),
    ],
)
def test_parse_table_names_the_line_of_a_bad_row(broken: str, message: str):
    text = TABLE.splitlines()
    text[4] = broken

    with pytest.raises(ValueError, match=message) as error:
        parse_table("\n".join(text), "README.md")
    assert "README.md:5" in str(error.value)


def test_parse_table_rejects_other_columns():
    with pytest.raises(ValueError, match="table columns must be"):
        parse_table("| target | kind |\n|---|---|\n| a | leak |\n")

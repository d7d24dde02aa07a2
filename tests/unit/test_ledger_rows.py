"""A ledger row: its call path, and which stored sanitizer finding it is shown
beside ("same site as")."""

from __future__ import annotations

from harness.ledger import render
from harness.ledger.model import Group
from harness.ledger.store import same_site
from harness.model import Frame, SignatureFrame
from harness.store import StoredFinding


def finding(fid: str, title: str, kind: str, line: int) -> StoredFinding:
    frames = (
        SignatureFrame("parse_contact", "parse_contact", "main.c", line, None),
        SignatureFrame("main", "main", "main.c", 90, None),
    )
    seen = "2026-01-01T00:00:00Z"
    return StoredFinding(
        id=fid,
        title=title,
        kind=kind,
        access=None,
        severity="low",
        security=False,
        tools=("asan",),
        frames=frames,
        status="open",
        bug_key=None,
        signature_version=1,
        first_commit=None,
        first_time=seen,
        last_commit=None,
        last_time=seen,
        count=1,
    )


def group(line: int, leak: str | None = None) -> Group:
    frames = (
        Frame(0, None, "parse_contact", "main.c", line),
        Frame(1, None, "main", "main.c", 90),
    )
    return Group(frames, "calloc", 1, 32, True, 0, leak)


OVERFLOW = finding("aaaa", "heap-buffer-overflow WRITE in parse_contact ‹ main", "hbo", 29)
DIRECT = finding("dddd", "leak (direct) in parse_contact ‹ main", "leak", 29)
INDIRECT = finding("iiii", "leak (indirect) in parse_contact ‹ main", "leak", 30)
UNFREED = finding("uuuu", "leak (unfreed) in parse_contact ‹ main", "leak", 29)


def test_a_crash_in_the_function_is_not_an_allocation_there():
    assert same_site(group(29), [OVERFLOW, UNFREED]) is None
    assert same_site(group(29), [OVERFLOW, DIRECT]) == "dddd"


def test_the_leak_allocated_at_the_same_line_wins():
    known = [INDIRECT, DIRECT]

    assert same_site(group(29), known) == "dddd"
    assert same_site(group(30), known) == "iiii"
    assert same_site(group(30), list(reversed(known))) == "iiii"


def test_then_the_same_kind_of_leak():
    elsewhere = [
        finding("dddd", "leak (direct) in parse_contact ‹ main", "leak", 40),
        finding("iiii", "leak (indirect) in parse_contact ‹ main", "leak", 41),
    ]

    assert same_site(group(29, "indirect"), elsewhere) == "iiii"
    assert same_site(group(29, "direct"), elsewhere) == "dddd"
    assert same_site(group(29), list(reversed(elsewhere))) == "dddd"


def test_the_call_path_ends_at_main_whatever_started_it():
    below = (
        Frame(2, None, "__libc_start_call_main", None, None),
        Frame(3, None, "_start", None, None),
    )
    deep = tuple(Frame(i, None, f"f{i}", None, None) for i in range(6))

    assert render._path(Group(group(29).frames + below, "calloc", 1, 32, True, 0)) == (
        "parse_contact ‹ main"
    )
    assert render._path(Group(deep, "malloc", 1, 8, False, 0)) == "f0 ‹ f1 ‹ f2 ‹ f3 ‹ …"


def test_names_in_the_call_path_are_the_findings_keys_cut_short():
    cxx = (
        Frame(0, None, "copy_comment", "tokenize.c", 15),
        Frame(1, None, "v8impl::(anonymous namespace)::FunctionCallbackWrapper::Invoke(v8::X)"),
        Frame(2, None, "v8::internal::Builtins::InvokeApiFunction(v8::internal::Isolate*)"),
    )

    assert render._path(Group(cxx, "malloc", 1, 22, True, 0)) == (
        "copy_comment ‹ v8impl::FunctionCallbackWrapper::Invoke ‹ "
        "v8::internal::Builtins::InvokeApiFuncti…"
    )

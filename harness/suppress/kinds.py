"""Which reports each type of suppression rule applies to, and which frames
(and which of their fields) its pattern is matched against."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass

from harness.model import Frame, Report
from harness.triage.signature import deciding_stack, is_ignored

# UBSan's check names (what -fsanitize= and its suppressions say) for the
# harness kinds UBSan reports.
UBSAN_CHECKS: dict[str, str] = {
    "misaligned-pointer-use": "alignment",
    "alignment-assumption": "alignment",
    "null-pointer-use": "null",
    "null-dereference": "null",
    "invalid-bool-load": "bool",
    "invalid-enum-load": "enum",
    "out-of-bounds-index": "bounds",
    "invalid-shift-base": "shift-base",
    "invalid-shift-exponent": "shift-exponent",
    "non-positive-vla-index": "vla-bound",
    "missing-return": "return",
    "unreachable-call": "unreachable",
    "invalid-null-argument": "nonnull-attribute",
    "invalid-null-return": "returns-nonnull-attribute",
    "nullptr-with-offset": "pointer-overflow",
    "nullptr-with-nonzero-offset": "pointer-overflow",
    "nullptr-after-nonzero-offset": "pointer-overflow",
    "insufficient-object-size": "object-size",
    "dynamic-type-mismatch": "vptr",
    "function-type-mismatch": "function",
    "invalid-builtin-use": "builtin",
    "cfi-bad-type": "cfi",
    "cfi-vcall": "cfi",
    "cfi-nvcall": "cfi",
    "cfi-icall": "cfi",
    "cfi-mfcall": "cfi",
    "cfi-derived-cast": "cfi",
    "cfi-unrelated-cast": "cfi",
}
# A UBSan rule may name the check or the harness kind (invalid-shift-exponent).
UBSAN_TYPES = (
    frozenset(UBSAN_CHECKS)
    | frozenset(UBSAN_CHECKS.values())
    | {
        "signed-integer-overflow",
        "unsigned-integer-overflow",
        "integer-divide-by-zero",
        "float-divide-by-zero",
        "float-cast-overflow",
        "pointer-overflow",
        "implicit-integer-sign-change",
        "implicit-signed-integer-truncation",
        "implicit-unsigned-integer-truncation",
        "implicit-signed-integer-truncation-or-sign-change",
        "nullability-arg",
        "nullability-return",
        "nullability-assign",
    }
)


def ubsan_check(kind: str) -> str:
    """The -fsanitize= check name of a UBSan report's kind."""
    return UBSAN_CHECKS.get(kind, kind)


# --- which reports and frames each type looks at ----------------------------

Frames = Callable[[Report], Iterator[Frame]]
Applies = Callable[[Report], bool]


def _deciding(report: Report) -> Iterator[Frame]:
    stack = deciding_stack(report)
    yield from stack.frames if stack else ()


def _crash(report: Report) -> Iterator[Frame]:
    stack = report.stack("crash")
    yield from stack.frames if stack else ()


def _all(report: Report) -> Iterator[Frame]:
    for stack in report.stacks:
        yield from stack.frames


def _tops(report: Report) -> Iterator[Frame]:
    # TSan's race_top: the top frame of each access's stack.
    for stack in report.stacks:
        if stack.role in ("crash", "previous", "free") and stack.frames:
            yield stack.frames[0]


def _top(report: Report) -> Iterator[Frame]:
    stack = deciding_stack(report)
    if stack and stack.frames:
        yield stack.frames[0]


def _own_top(report: Report) -> Iterator[Frame]:
    """The first frame in the program's own code."""
    stack = deciding_stack(report)
    for frame in stack.frames if stack else ():
        if not is_ignored(frame):
            yield frame
            return


def _interceptors(report: Report) -> Iterator[Frame]:
    """The runtime and libc frames above the program's first frame."""
    for frame in _crash(report):
        if not is_ignored(frame):
            return
        yield frame


def _in_interceptor(report: Report) -> bool:
    crash = report.stack("crash")
    return report.tool == "asan" and bool(crash and crash.frames and is_ignored(crash.frames[0]))


def _tsan(*words: str) -> Applies:
    return lambda r: r.tool == "tsan" and any(word in r.kind for word in words)


def _any(report: Report) -> bool:
    return True


@dataclass(frozen=True, slots=True)
class RuleType:
    """What a type of rule applies to, which frames it looks at, and how."""

    applies: Applies
    frames: Frames
    fields: str  # "any" (function, file, module), "function", "file", "module", "interceptor"
    glob: bool = False  # whole-text globs rather than the sanitizers' templates


RULE_TYPES: dict[str, RuleType] = {
    "leak": RuleType(lambda r: r.kind == "leak", _deciding, "any"),
    "interceptor_via_fun": RuleType(_in_interceptor, _crash, "function"),
    "interceptor_via_lib": RuleType(_in_interceptor, _crash, "module"),
    "interceptor_name": RuleType(_in_interceptor, _interceptors, "interceptor"),
    "called_from_lib": RuleType(lambda r: _in_interceptor(r) or r.tool == "tsan", _crash, "module"),
    "odr_violation": RuleType(lambda r: r.kind == "odr-violation", _all, "any"),
    "race": RuleType(_tsan("race", "use-after-free"), _all, "any"),
    "race_top": RuleType(_tsan("race", "use-after-free"), _tops, "any"),
    "thread": RuleType(_tsan("thread"), _all, "any"),
    "mutex": RuleType(_tsan("mutex", "unlock", "lock-of"), _all, "any"),
    "signal": RuleType(_tsan("signal"), _all, "any"),
    "deadlock": RuleType(_tsan("lock-order", "deadlock"), _all, "any"),
    "fun": RuleType(_any, _own_top, "function", glob=True),
    "src": RuleType(_any, _own_top, "file", glob=True),
    "harness-kind": RuleType(_any, _deciding, "kind", glob=True),
    "harness-tool": RuleType(_any, _deciding, "tool", glob=True),
    "harness-function": RuleType(_any, _deciding, "function", glob=True),
    "harness-file": RuleType(_any, _deciding, "path", glob=True),
    "harness-module": RuleType(_any, _deciding, "module", glob=True),
    "harness-finding": RuleType(_any, _deciding, "finding", glob=True),
}
# Every UBSan check type: the check (or kind) at the error location.
UBSAN_RULE = RuleType(lambda r: r.tool == "ubsan", _top, "any")

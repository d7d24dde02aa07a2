"""UndefinedBehaviorSanitizer and CFI reports: `file.c:3:5: runtime error: <message>`.

A report is the `runtime error` line, optional notes (`0x..: note: pointer
points here` with a memory dump), the stack when `print_stacktrace=1`, and a
`SUMMARY: UndefinedBehaviorSanitizer: ...` line (clang's runtime prints it
always; GCC's only with a stack). With `halt_on_error=0` (the default) a run
prints one report per distinct source location, so one log holds many.

Kinds are the names the runtime itself gives its checks (ubsan_checks.inc in
compiler-rt, printed in the SUMMARY line under `report_error_type=1`), read
from the message where the SUMMARY only says `undefined-behavior`:

    message                                              kind
    signed integer overflow: / negation of / division   signed-integer-overflow
      of INT_MIN by -1
    unsigned integer overflow: (type `unsigned ...`)     unsigned-integer-overflow
    division by zero                                     integer-divide-by-zero (*)
    shift exponent N is too large / is negative          invalid-shift-exponent
    left shift of negative value / of N by M places      invalid-shift-base
    index N out of bounds for type                       out-of-bounds-index
    load of misaligned address / store to misaligned     misaligned-pointer-use
    load of / store to / member access within /          null-dereference (**)
      reference binding to / upcast of ... null pointer
    ... address 0x.. with insufficient space             insufficient-object-size
    ... address 0x.. which does not point to an object   dynamic-type-mismatch
    load of value N, which is not a valid value for      invalid-bool-load (bool, _Bool)
      type T                                             invalid-enum-load (others)
    applying non-zero offset N to null pointer           nullptr-with-nonzero-offset
    applying zero offset to null pointer                 nullptr-with-offset
    applying non-zero offset to non-null pointer ...     nullptr-after-nonzero-offset
      produced null pointer
    pointer index expression with base / addition of     pointer-overflow
      unsigned offset / subtraction of unsigned offset
    variable length array bound evaluates to             non-positive-vla-index
    V is outside the range of representable values       float-cast-overflow
    execution reached an unreachable program point       unreachable-call
    execution reached the end of a value-returning       missing-return
    null pointer passed as argument N                    invalid-null-argument
    null pointer returned from function declared         invalid-null-return
    passing zero to F / assumption is violated           invalid-builtin-use
    assumption of N byte alignment                       alignment-assumption
    call to function F through pointer to incorrect      function-type-mismatch
    implicit conversion from type ...                    implicit-*-truncation / -sign-change
    control flow integrity check ... during virtual call cfi-vcall
      ... non-virtual call / indirect function call      cfi-nvcall / cfi-icall
      ... base-to-derived cast / cast to unrelated type  cfi-derived-cast / cfi-unrelated-cast
      ... pointer to member function call                cfi-mfcall
    anything else                                        undefined-behavior

(*) the runtime prints the same words for a float division by zero; only the
SUMMARY under `report_error_type=1` tells `float-divide-by-zero` apart, and
it is used for that (and for messages this table does not know) only.
(**) the runtime's `null-pointer-use`: named like the SEGV that ASan reports
for the same access, so one bug seen by both tools is one kind. `load of`
gives access READ, `store to` WRITE, the other operations none.
CFI's runtime calls every failure `cfi-bad-type`; the harness keeps the
`-fsanitize=cfi-*` check that failed, since a hijacked call and a bad cast
are different bugs. The tool of a CFI report is `ubsan` (its diagnostics
runtime) with `details["cfi"] = True`.

With no stack (`print_stacktrace=0`, GCC's default) the location of the
`runtime error` line is the report's only frame: frame #0 with its file, line
and column and `function=None`. A signature cannot key on it by name (and
must not key on file:line); it is kept so a reader sees where the error is.
"""

from __future__ import annotations

import re

from harness.model import Frame, Report, Source, Stack
from harness.parse import scan, sections
from harness.parse.sections import Grammar, Rule

# The runtime's check name → the harness kind, where they differ.
KINDS = {"null-pointer-use": "null-dereference"}

# (message pattern, check name, access); the first match wins.
_CHECKS: tuple[tuple[re.Pattern[str], str, str | None], ...] = tuple(
    (re.compile(pattern), name, access)
    for pattern, name, access in (
        (r"signed integer overflow:", "signed-integer-overflow", None),
        (r"unsigned integer overflow:", "unsigned-integer-overflow", None),
        (r"negation of .* type '?unsigned", "unsigned-integer-overflow", None),
        (r"negation of ", "signed-integer-overflow", None),
        (r"division of .* by -1 cannot be represented", "signed-integer-overflow", None),
        (r"division by zero", "integer-divide-by-zero", None),
        (r"shift exponent ", "invalid-shift-exponent", None),
        (r"left shift of ", "invalid-shift-base", None),
        (r"index .* out of bounds", "out-of-bounds-index", None),
        (r"load of misaligned address", "misaligned-pointer-use", "READ"),
        (r"store to misaligned address", "misaligned-pointer-use", "WRITE"),
        (r".* misaligned address", "misaligned-pointer-use", None),
        (r"load of null pointer", "null-pointer-use", "READ"),
        (r"store to null pointer", "null-pointer-use", "WRITE"),
        (r".* null pointer of type", "null-pointer-use", None),
        (r"load of address .* with insufficient space", "insufficient-object-size", "READ"),
        (r"store to address .* with insufficient space", "insufficient-object-size", "WRITE"),
        (r".* with insufficient space for an object", "insufficient-object-size", None),
        (r".* which does not point to an object of type", "dynamic-type-mismatch", None),
        (
            r"load of value .* not a valid value for type '(?:bool|_Bool)'",
            "invalid-bool-load",
            "READ",
        ),
        (r"load of value .* not a valid value for type", "invalid-enum-load", "READ"),
        (r"applying non-zero offset \S+ to null pointer", "nullptr-with-nonzero-offset", None),
        (r"applying zero offset to null pointer", "nullptr-with-offset", None),
        (r"applying non-zero offset to non-null", "nullptr-after-nonzero-offset", None),
        (r"pointer index expression with base", "pointer-overflow", None),
        (r"(?:addition|subtraction) of unsigned offset", "pointer-overflow", None),
        (r"variable length array bound", "non-positive-vla-index", None),
        (r".* is outside the range of representable values", "float-cast-overflow", None),
        (r"execution reached an unreachable program point", "unreachable-call", None),
        (r"execution reached the end of a value-returning", "missing-return", None),
        (r"null pointer passed as argument", "invalid-null-argument", None),
        (r"null pointer returned from function", "invalid-null-return", None),
        (r"passing zero to .*, which is not a valid argument", "invalid-builtin-use", None),
        (r"assumption is violated", "invalid-builtin-use", None),
        (r"assumption of .* alignment", "alignment-assumption", None),
        (
            r"call to function .* through pointer to incorrect function type",
            "function-type-mismatch",
            None,
        ),
    )
)
# `control flow integrity check for type 'B' failed during cast to unrelated type`
_CFI = re.compile(
    r"control flow integrity check for type (?P<type>.+?) failed during (?P<what>.+?)(?: \(|$)"
)
_CFI_CHECKS = {
    "virtual call": "cfi-vcall",
    "non-virtual call": "cfi-nvcall",
    "base-to-derived cast": "cfi-derived-cast",
    "cast to unrelated type": "cfi-unrelated-cast",
    "indirect function call": "cfi-icall",
    "non-virtual pointer to member function call": "cfi-mfcall",
    "virtual pointer to member function call": "cfi-mfcall",
}
_CONVERSION = re.compile(
    r"implicit conversion from type .* of value \S+ \((?P<from_bits>\d+)-bit, (?P<from>un)?signed\)"
    r" to type .* changed the value to \S+ \((?P<to_bits>\d+)-bit, (?P<to>un)?signed\)"
)
_HEADLINE = re.compile(r"(?P<location>\S+): runtime error: (?P<message>.*)")
_LOCATION = re.compile(r"(?P<file>.+?)(?::(?P<line>\d+))?(?::(?P<column>\d+))?$")
_MODULE_LOCATION = re.compile(r"\((?P<module>[^()]+)\+0x(?P<offset>[0-9a-fA-F]+)\)$")
_ADDRESS = re.compile(r"address (0x[0-9a-fA-F]+)|(0x[0-9a-fA-F]+)")
_AMBIGUOUS = frozenset({"undefined-behavior", "integer-divide-by-zero"})
_SUMMARY_NAME = re.compile(r"SUMMARY: UndefinedBehaviorSanitizer: (?P<name>[\w-]+)")

GRAMMAR = Grammar(
    rules=(Rule(re.compile(r"\S+: note: (?P<note>.*)"), "note", opens=False),),
    summary=re.compile(r"SUMMARY: UndefinedBehaviorSanitizer: "),
    # The memory dump under a note: hex bytes, a line with `^` and `~`, and
    # under it what the marked bytes are (`vptr for 'Base'`).
    noise=re.compile(
        r"(?:[0-9a-fA-F]{2}[ \t]+)+[0-9a-fA-F]{2}$|[\^~ ]+$|<memory cannot be printed>"
        r"|(?:invalid )?vptr(?: for .*)?$"
    ),
    # Other processes may print between the lines of a report.
    max_unknown=8,
    blank_ends_stack=True,
)

Found = tuple[list[Report], list, int]


def read_marker(text: str, marker: scan.Marker, limit: int, log: str) -> Found:
    """The report at a `runtime error` marker, and where it ends."""
    line_end = _line_end(text, marker.offset, limit)
    headline = text[marker.offset : line_end].rstrip()
    found = _HEADLINE.match(headline)
    if found is None:  # pragma: no cover - the scan matched the same pattern
        return [], [], line_end
    body = sections.walk(text, line_end, limit, marker.pid, GRAMMAR)
    end = max(body.end, line_end)
    name, access = check_of(found.group("message"), body.summary)
    frames = _frames(body, found.group("location"))
    details: dict[str, object] = {
        "sanitizer_kind": name,
        "message": found.group("message"),
        "location": found.group("location"),
    }
    if "note" in body.facts:
        details["note"] = body.facts["note"].group("note")
    if name.startswith("cfi-"):
        details["cfi"] = True
    report = Report(
        tool="ubsan",
        kind=KINDS.get(name, name),
        source=Source(log, marker.offset, end - marker.offset, marker.pid),
        headline=headline,
        access=access,
        address=_address(found.group("message")),
        stacks=(Stack("crash", frames),) if frames else (),
        summary=body.summary,
        truncated=_truncated(body, text, line_end),
        details=details,
    )
    return [report], [], end


def check_of(message: str, summary: str | None = None) -> tuple[str, str | None]:
    """The runtime's check name for a `runtime error` message, and the access it says.

    The message decides; the SUMMARY's name (`report_error_type=1`) only where
    the message cannot: a division by zero, an implicit conversion (one value
    may fail two checks with the same words), and messages this table does not
    know. (clang 14's runtime names a bad `_Bool` load `invalid-enum-load` in C.)
    """
    name, access = _from_message(message)
    named = _SUMMARY_NAME.match(summary or "")
    ambiguous = name in _AMBIGUOUS or name.startswith("implicit-")
    if named is not None and ambiguous and named.group("name") != "undefined-behavior":
        return named.group("name"), access
    return name, access


def _from_message(message: str) -> tuple[str, str | None]:
    cfi = _CFI.match(message)
    if cfi is not None:
        return _CFI_CHECKS.get(cfi.group("what"), "cfi-bad-type"), None
    conversion = _CONVERSION.match(message)
    if conversion is not None:
        return _conversion(conversion), None
    for pattern, name, access in _CHECKS:
        if pattern.match(message):
            return name, access
    return "undefined-behavior", None


def _conversion(found: re.Match[str]) -> str:
    """The check clang emitted for a conversion, from the two types' widths and signs.

    A narrowing conversion is a truncation check, signed unless both types are
    unsigned; from unsigned to signed, clang checks the truncation and the sign
    in one (`int` → `unsigned char` is a signed truncation only). A conversion
    that keeps the width can only change the sign.
    """
    from_unsigned, to_unsigned = bool(found.group("from")), bool(found.group("to"))
    if int(found.group("to_bits")) >= int(found.group("from_bits")):
        return "implicit-integer-sign-change"
    if from_unsigned and not to_unsigned:
        return "implicit-signed-integer-truncation-or-sign-change"
    if from_unsigned and to_unsigned:
        return "implicit-unsigned-integer-truncation"
    return "implicit-signed-integer-truncation"


def _frames(body: sections.Walked, location: str) -> tuple[Frame, ...]:
    """The stack after the headline, or else the location as frame #0."""
    first = body.sections[0].frames
    if first:
        return tuple(first)
    frame = location_frame(location)
    return (frame,) if frame is not None else ()


def location_frame(location: str) -> Frame | None:
    """Frame #0 for a `runtime error` location: file:line:col, (module+0x..), or None."""
    module = _MODULE_LOCATION.match(location)
    if module is not None:
        return Frame(
            0, module=module.group("module"), module_offset=int(module.group("offset"), 16)
        )
    if location.startswith("<unknown>"):
        return None
    found = _LOCATION.match(location)
    if found is None:  # pragma: no cover - the pattern matches every non-empty string
        return None
    line, column = found.group("line"), found.group("column")
    return Frame(
        0,
        file=found.group("file"),
        line=int(line) if line else None,
        column=int(column) if column else None,
    )


def _address(message: str) -> str | None:
    found = _ADDRESS.search(message)
    return (found.group(1) or found.group(2)) if found else None


def _truncated(body: sections.Walked, text: str, line_end: int) -> bool:
    """A report is cut when its headline line is, or its stack ends with no SUMMARY."""
    if text[line_end - 1] != "\n":
        return True
    return bool(body.sections[0].frames) and not body.terminated


def _line_end(text: str, pos: int, limit: int) -> int:
    newline = text.find("\n", pos, limit)
    return limit if newline < 0 else newline + 1

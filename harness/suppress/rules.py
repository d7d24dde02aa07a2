"""The suppression file: one `type:pattern` rule a line, read into Rules
(errors name file:line)."""

from __future__ import annotations

import difflib
import fnmatch
import re
from dataclasses import dataclass, field
from pathlib import Path

from harness.errors import ConfigError
from harness.suppress.kinds import RULE_TYPES, UBSAN_RULE, UBSAN_TYPES, RuleType


@dataclass(frozen=True, slots=True)
class Rule:
    """One line of a suppression file."""

    type: str
    pattern: str
    path: str
    line: int
    regex: re.Pattern[str] = field(compare=False, hash=False, repr=False)

    @property
    def text(self) -> str:
        return f"{self.type}:{self.pattern}"

    @property
    def where(self) -> str:
        return f"{self.path}:{self.line}"

    @property
    def kind(self) -> RuleType:
        return RULE_TYPES.get(self.type) or UBSAN_RULE


# --- reading the file --------------------------------------------------------


def load_rules(path: str | Path) -> tuple[Rule, ...]:
    """The rules of a suppression file. Raises ConfigError naming file:line."""
    try:
        text = Path(path).read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ConfigError(
            "no such suppression file; create it or fix [triage] suppressions", str(path)
        ) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"cannot read suppression file: {exc}", str(path)) from None
    return parse_rules(text, str(path))


def parse_rules(text: str, path: str = "<suppressions>") -> tuple[Rule, ...]:
    """Rules from the text of a suppression file (see the module docstring)."""
    rules = []
    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.strip()
        if line and not line.startswith("#"):
            rules.append(_rule(line, path, number))
    return tuple(rules)


def _rule(line: str, path: str, number: int) -> Rule:
    kind, colon, pattern = line.partition(":")
    kind, pattern = kind.strip(), pattern.strip()
    if not colon:
        raise ConfigError(f"'{line}' is not type:pattern (e.g. leak:libfoo.so)", path, number)
    if kind not in RULE_TYPES and kind not in UBSAN_TYPES:
        known = [*RULE_TYPES, *sorted(UBSAN_TYPES)]
        close = difflib.get_close_matches(kind, known, n=1)
        hint = f"did you mean '{close[0]}'?" if close else "see harness.suppress for the types"
        raise ConfigError(f"unknown suppression type '{kind}'; {hint}", path, number)
    if not pattern or pattern in ("^", "$", "^$"):
        raise ConfigError(f"'{kind}:' needs a pattern after the colon", path, number)
    glob = (RULE_TYPES.get(kind) or UBSAN_RULE).glob
    regex = re.compile(fnmatch.translate(pattern) if glob else template_regex(pattern))
    return Rule(kind, pattern, path, number, regex)


def template_regex(pattern: str) -> str:
    """The sanitizers' template (`*` any text, `^`/`$` anchors, else a
    substring match) as a regular expression."""
    start = pattern.startswith("^")
    body = pattern[1:] if start else pattern
    end = body.endswith("$")
    body = body[:-1] if end else body
    text = ".*".join(re.escape(part) for part in body.split("*"))
    return ("^" if start else "") + text + ("$" if end else "")

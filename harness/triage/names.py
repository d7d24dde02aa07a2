"""Function names as printed → the normalized key a signature uses.

`ns::Foo<int>::bar(char const*) const` and `ns::Foo<long>::bar(int)` are one
place in the code for a signature: template arguments, parameters, return
types, qualifiers, ABI tags, `(anonymous namespace)` and compiler clone
suffixes (.constprop.0, .isra.0, .part.1, .cold) all go.
"""

from __future__ import annotations

import re
from functools import lru_cache

_CLONE_SUFFIX = re.compile(r"(\.(constprop|isra|part|cold|lto_priv|localalias|llvm)(\.\d+)*)+$")
_ANONYMOUS = re.compile(r"\(anonymous namespace\)::|`anonymous namespace'::")
_ABI_TAG = re.compile(r"\[abi:[^\]]*\]")
_HEX = re.compile(r"^0x[0-9a-fA-F]+$")
_OPERATOR = re.compile(
    r"operator\s*(\(\)|\[\]|->\*|->|<=>|<<=|>>=|<<|>>|<=|>=|==|!=|&&|\|\||\+\+|--|"
    r"[-+*/%^&|~!=<>,]=?|(new|delete)(\s*\[\])?|\"\"\s*\w+|[\w:\s*&]+?(?=\())"
)
_QUALIFIERS = re.compile(r"(\s*\b(const|volatile)\b|\s*&&?)+$")
_OPEN = {"<": ">", "(": ")"}
_UNKNOWN = frozenset({"", "??", "<unknown>", "<unknown module>"})


@lru_cache(maxsize=65536)
def normalize_function(name: str) -> str | None:
    """`ns::Foo<int>::bar(char const*) const` → `ns::Foo::bar`; None when it names nothing."""
    text = _ABI_TAG.sub("", _ANONYMOUS.sub("", name.strip()))
    text = _CLONE_SUFFIX.sub("", text)
    if text in _UNKNOWN or _HEX.match(text):
        return None
    out = _QUALIFIERS.sub("", _strip_brackets(text).strip())
    out = _drop_return_type(out)
    return _CLONE_SUFFIX.sub("", out) or None


def _strip_brackets(text: str) -> str:
    """Drop template arguments and parameter lists, keeping operator names whole."""
    out: list[str] = []
    closers: list[str] = []
    i = 0
    while i < len(text):
        if not closers and text.startswith("operator", i) and _word_start(text, i):
            match = _OPERATOR.match(text, i)
            if match:
                out.append(" ".join(match.group(0).split()))
                i = match.end()
                continue
        char = text[i]
        if char in _OPEN:
            closers.append(_OPEN[char])
        elif closers and char == closers[-1]:
            closers.pop()
        elif not closers:
            out.append(char)
        i += 1
    return "".join(out)


def _word_start(text: str, index: int) -> bool:
    return index == 0 or not (text[index - 1].isalnum() or text[index - 1] == "_")


def _drop_return_type(text: str) -> str:
    """`void ns::f` → `ns::f`; `operator new` and `operator delete[]` keep their space."""
    head, sep, tail = text.partition("operator")
    if sep and head and (head[-1].isalnum() or head[-1] == "_"):
        head, sep, tail = text, "", ""
    head = head.rsplit(" ", 1)[-1]
    tail = re.sub(r"^\s*(new|delete)\s*\[\s*\]", r" \1[]", tail)
    tail = re.sub(r"^\s+(new|delete)", r" \1", tail)
    return head + sep + tail.rstrip()

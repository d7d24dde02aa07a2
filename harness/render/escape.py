"""Escaping shared by the report writers.

Everything that comes from a log (function names, file paths, headlines) may hold
markup, quotes, control characters or bytes that were not UTF-8. `clean` makes such
text safe to place in any document format; the writers then apply their own escaping
(html.escape, ElementTree, json) on top.
"""

from __future__ import annotations

import html
import re

# Characters XML 1.0 forbids (C0 controls except tab, newline and carriage return,
# lone surrogates, U+FFFE/U+FFFF), plus DEL and the C1 controls, which are legal but
# only ever garbage in a log and which some viewers render as nothing or choke on.
# A carriage return left over once CRLF became LF is garbage too.
_UNSAFE = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\ud800-\udfff\ufffe\uffff]")


def clean(text: str | None) -> str:
    """`text` without the characters no report format can carry; '' for None."""
    if not text:
        return ""
    return _UNSAFE.sub("", text.replace("\r\n", "\n"))


def html_text(text: str | None) -> str:
    """`text` cleaned and escaped for HTML element content and quoted attribute values."""
    return html.escape(clean(text), quote=True)

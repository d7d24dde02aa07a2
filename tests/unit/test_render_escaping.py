"""Text from logs reaches every report format safely: markup, quotes, `]]>`, control bytes."""

import io
import json
import re
import xml.etree.ElementTree as ET
from html.parser import HTMLParser
from pathlib import Path

import jsonschema
import pytest

from harness import model
from harness.render.escape import clean, html_text
from harness.render.html import render_html
from harness.render.junit import render_junit
from harness.render.sarif import render_sarif
from harness.render.view import build_view

CONTROLS = "".join(chr(c) for c in range(0x20) if chr(c) not in "\t\n") + "\x7f"
NASTY = "<script>alert(1)</script> \"dq\" 'sq' a&b ]]> <!-- " + CONTROLS + " end"
SAFE = "<script>alert(1)</script> \"dq\" 'sq' a&b ]]> <!--  end"
SCHEMA = Path(__file__).parent.parent / "data" / "sarif-schema-2.1.0.json"
FORBIDDEN = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def nasty_finding() -> model.Finding:
    frames = (
        model.Frame(0, 0x10, NASTY, f"src/{NASTY}.c", 3, 1, f"/lib/{NASTY}.so", 0x10),
        model.Frame(1, 0x20, "main", f"/root/{NASTY}/main.c", 9),
    )
    report = model.Report(
        tool="asan",
        kind="heap-buffer-overflow",
        source=model.Source(f"logs/{NASTY}.log", 0, 10, 1),
        headline=f"ERROR: {NASTY}",
        access="WRITE",
        stacks=(model.Stack("crash", frames, thread=NASTY),),
    )
    return model.Finding(
        id="abcdef012345",
        signature_version=1,
        title=f"heap-buffer-overflow WRITE in {NASTY}",
        kind="heap-buffer-overflow",
        access="WRITE",
        access_size=1,
        severity="high",
        security=True,
        tools=("asan",),
        frames=(model.SignatureFrame(NASTY, NASTY, f"src/{NASTY}.c", 3, None),),
        reports=(report,),
        status="new",
    )


def view():
    return build_view(
        [nasty_finding()],
        commit=None,
        project=NASTY,
        root="/root",
        first_seen={"abcdef012345": NASTY},
        generated="2026-11-25T05:30:00Z",
    )


def test_clean_drops_control_characters_but_keeps_tab_and_newline():
    assert clean(NASTY) == SAFE
    assert clean("a\tb\nc\r\nd\x00\re") == "a\tb\nc\nde"
    assert clean(None) == ""
    assert html_text("<a href='x'>&") == "&lt;a href=&#x27;x&#x27;&gt;&amp;"


def test_sarif_is_valid_json_and_schema_valid_with_the_text_intact():
    text = render_sarif(view())
    assert not FORBIDDEN.search(text)
    log = json.loads(text)
    jsonschema.Draft4Validator(json.loads(SCHEMA.read_text())).validate(log)
    result = log["runs"][0]["results"][0]
    assert result["message"]["text"] == f"heap-buffer-overflow WRITE in {SAFE}"
    location = result["locations"][0]
    assert location["logicalLocations"][0]["name"] == SAFE
    uri = location["physicalLocation"]["artifactLocation"]["uri"]
    assert uri.startswith("src/") and not re.search(r"[<>\"' ]", uri)


class Elements(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.scripts = 0
        self.text: list[str] = []

    def handle_starttag(self, tag, attrs):
        self.scripts += tag == "script"

    def handle_data(self, data):
        self.text.append(data)


def test_html_has_no_injected_markup_and_shows_the_text_escaped():
    page = render_html(view())
    assert "<script>alert" not in page
    assert "<!-- " not in page
    assert not FORBIDDEN.search(page)
    parser = Elements()
    parser.feed(page)
    parser.close()
    assert parser.scripts == 1  # only the page's own script
    shown = "".join(parser.text)
    assert SAFE in shown  # the parsed page shows the original text, unescaped once
    assert "&lt;script&gt;alert(1)&lt;/script&gt; &quot;dq&quot; &#x27;sq&#x27; a&amp;b" in page


def test_junit_parses_and_keeps_the_text():
    text = render_junit(view())
    assert not FORBIDDEN.search(text)
    root = ET.fromstring(text)
    case = root.find("testsuite/testcase")
    assert case is not None
    assert case.get("name") == f"abcdef012345 heap-buffer-overflow WRITE in {SAFE}"
    failure = case.find("failure")
    assert failure is not None and SAFE in (failure.text or "")
    assert "]]>" not in text.replace("]]&gt;", "")


def markdown_text() -> str:
    markdown = pytest.importorskip("harness.render.markdown")
    from harness.pipeline import Stats, TriageResult

    result = TriageResult(
        findings=(nasty_finding(),),
        unparsed=(),
        stats=Stats(logs=1, reports=1, findings=1, bytes=10, seconds=0.0),
        commit=model.Commit(None, None, False),
        logs={},
        bugs={},
        stored=False,
    )
    out = io.StringIO()
    markdown.write(markdown.build(result), out)
    return out.getvalue()


def test_markdown_neutralizes_markup_and_keeps_table_rows_whole():
    text = markdown_text()
    assert "<script>" not in text
    assert not re.search(r"(?<!\\)<", text)  # every < is escaped, so no inline HTML
    rows = [line for line in text.split("\n") if line.startswith("| `abcdef012345`")]
    assert len(rows) == 1 and rows[0].endswith("| new |")


def test_markdown_drops_control_characters():
    assert not FORBIDDEN.search(markdown_text())

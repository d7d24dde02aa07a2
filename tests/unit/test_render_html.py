"""HTML output: one self-contained page with the findings table and every finding's stacks."""

import base64
import hashlib
import re
from html.parser import HTMLParser

from harness.render.html import render_html
from tests.unit.render_samples import all_findings, sample_view


class Outline(HTMLParser):
    """Collects what the checks need: tags with attributes, row ids, script bodies."""

    def __init__(self) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.row_ids: list[str] = []
        self.scripts: list[str] = []
        self._in_script = False

    def handle_starttag(self, tag, attrs):
        attributes = dict(attrs)
        self.tags.append((tag, attributes))
        if tag == "tr" and "data-id" in attributes:
            self.row_ids.append(attributes["data-id"] or "")
        self._in_script = tag == "script"

    def handle_endtag(self, tag):
        if tag == "script":
            self._in_script = False

    def handle_data(self, data):
        if self._in_script:
            self.scripts.append(data)


def outline(page: str) -> Outline:
    parser = Outline()
    parser.feed(page)
    parser.close()
    return parser


def test_table_has_one_row_per_finding_in_view_order():
    view = sample_view()
    parsed = outline(render_html(view))
    assert parsed.row_ids == [item.finding.id for item in view.findings]
    assert len(parsed.row_ids) == len(all_findings())


def test_page_loads_nothing_from_anywhere():
    page = render_html(sample_view())
    for tag, attrs in outline(page).tags:
        assert "src" not in attrs, tag
        if tag == "link":
            raise AssertionError(f"external stylesheet or font: {attrs}")
    assert "@import" not in page and "url(" not in page and "@font-face" not in page


def test_content_security_policy_allows_exactly_the_inline_script():
    page = render_html(sample_view())
    parsed = outline(page)
    policy = next(
        a["content"] for t, a in parsed.tags if a.get("http-equiv") == "Content-Security-Policy"
    )
    (script,) = parsed.scripts
    digest = base64.b64encode(hashlib.sha256(script.encode()).digest()).decode()
    assert f"'sha256-{digest}'" in policy
    assert "default-src 'none'" in policy


def test_each_finding_has_details_with_status_first_seen_and_all_stacks():
    page = render_html(sample_view())
    details = re.search(r'<details id="f-0f0e0d0c0b0a">.*?</details>', page, re.S)
    assert details is not None
    body = details.group(0)
    assert "regressed" in body
    assert "<h4>crash</h4>" in body and "<h4>free</h4>" in body
    assert "<h4>alloc (thread T1)</h4>" in body
    assert "Widget::~Widget() ../../ui/widget.cc:20" in body
    first = re.search(r'<details id="f-a1b2c3d4e5f6">.*?</details>', page, re.S)
    assert first is not None and "fedcba9876543210fedcba9876543210fedcba98" in first.group(0)


def test_severity_sorts_by_how_severe_not_by_name():
    page = render_html(sample_view())
    found = re.findall(r'<td data-sort="(\d)" class="sev-(\w+)">', page)
    keys = {severity: int(key) for key, severity in found}
    assert keys["high"] > keys["low"]


def test_empty_view_still_renders_a_table():
    parsed = outline(render_html(sample_view([])))
    assert parsed.row_ids == []
    assert any(tag == "table" for tag, _ in parsed.tags)

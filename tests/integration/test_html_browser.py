"""The HTML report in headless Chromium: every finding shown, filtering, sorting, no injection.

Needs Debian's `chromium` and `chromium-driver` and the `selenium` package. The driver
and browser paths are given explicitly so Selenium Manager never downloads anything.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from harness.render.html import render_html
from tests.unit.render_samples import all_findings, sample_view
from tests.unit.test_render_escaping import nasty_finding

CHROMIUM = "/usr/bin/chromium"
CHROMEDRIVER = "/usr/bin/chromedriver"

webdriver = pytest.importorskip("selenium.webdriver", reason="selenium is not installed")
from selenium.common.exceptions import NoAlertPresentException  # noqa: E402
from selenium.webdriver.chrome.service import Service  # noqa: E402
from selenium.webdriver.common.by import By  # noqa: E402

pytestmark = pytest.mark.skipif(
    not (Path(CHROMIUM).is_file() and Path(CHROMEDRIVER).is_file()),
    reason=f"needs {CHROMIUM} and {CHROMEDRIVER} (apt-get install chromium chromium-driver)",
)


@pytest.fixture(scope="module")
def browser(tmp_path_factory) -> Iterator[webdriver.Chrome]:
    profile = tmp_path_factory.mktemp("chromium-profile")
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for argument in (
        "--headless=new",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-dev-shm-usage",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--disable-extensions",
        # Any name lookup fails, so the page provably needs no network to work.
        "--host-resolver-rules=MAP * ~NOTFOUND",
        f"--user-data-dir={profile}",
    ):
        options.add_argument(argument)
    driver = webdriver.Chrome(service=Service(executable_path=CHROMEDRIVER), options=options)
    try:
        yield driver
    finally:
        driver.quit()
        shutil.rmtree(profile, ignore_errors=True)


@pytest.fixture(scope="module")
def findings():
    return [*all_findings(), nasty_finding()]


@pytest.fixture
def page(browser, findings, tmp_path):
    path = tmp_path / "report.html"
    path.write_text(render_html(sample_view(findings)), encoding="utf-8")
    browser.get(path.as_uri())
    return browser


def row_ids(driver, visible_only: bool = False) -> list[str]:
    rows = driver.find_elements(By.CSS_SELECTOR, "#findings tbody tr")
    return [row.get_attribute("data-id") for row in rows if row.is_displayed() or not visible_only]


def test_every_finding_has_a_row(page, findings):
    assert sorted(row_ids(page, visible_only=True)) == sorted(f.id for f in findings)
    first = page.find_element(By.CSS_SELECTOR, "#findings tbody tr td")
    assert first.text == row_ids(page)[0]


def test_log_text_is_shown_not_executed(page):
    with pytest.raises(NoAlertPresentException):
        page.switch_to.alert.text  # noqa: B018 (reading it is what raises)
    row = page.find_element(By.CSS_SELECTOR, '#findings tr[data-id="abcdef012345"]')
    assert "<script>alert(1)</script>" in row.text


def test_filter_keeps_only_matching_rows(page, findings):
    box = page.find_element(By.ID, "filter")
    box.send_keys("use-after-free")
    assert row_ids(page, visible_only=True) == ["0f0e0d0c0b0a"]
    box.clear()
    box.send_keys("HEAP")  # case-insensitive
    expected = {f.id for f in findings if "heap" in f.kind}
    assert set(row_ids(page, visible_only=True)) == expected and len(expected) == 3
    for _ in range(len("HEAP")):
        box.send_keys("\b")
    assert len(row_ids(page, visible_only=True)) == len(findings)


def test_clicking_a_header_sorts_and_clicking_again_reverses(page, findings):
    before = row_ids(page)
    ids = sorted(f.id for f in findings)
    assert before != ids  # the view orders by severity, so sorting by id must move rows
    header = page.find_element(By.XPATH, "//table[@id='findings']//th[text()='id']")
    header.click()
    assert row_ids(page) == ids
    assert header.get_attribute("aria-sort") == "ascending"
    header.click()
    assert row_ids(page) == ids[::-1]


def test_severity_sorts_by_how_severe_as_the_arrow_says(page, findings):
    header = page.find_element(By.XPATH, "//table[@id='findings']//th[text()='severity']")
    present = {f.severity for f in findings}
    order = [severity for severity in ("low", "medium", "high") if severity in present]
    assert len(order) > 1
    for direction, expected in (("ascending", order), ("descending", order[::-1])):
        header.click()
        assert header.get_attribute("aria-sort") == direction
        shown = [
            row.find_elements(By.TAG_NAME, "td")[1].text
            for row in page.find_elements(By.CSS_SELECTOR, "#findings tbody tr")
        ]
        assert list(dict.fromkeys(shown)) == expected and len(shown) == len(findings)


def test_count_sorts_numerically(page):
    page.find_element(By.XPATH, "//table[@id='findings']//th[text()='count']").click()
    counts = [
        int(row.find_elements(By.TAG_NAME, "td")[5].text)
        for row in page.find_elements(By.CSS_SELECTOR, "#findings tbody tr")
    ]
    assert counts == sorted(counts) and counts[-1] == 3


def test_content_security_policy_blocks_any_other_script(browser, findings, tmp_path):
    page_text = render_html(sample_view(findings))
    injected = page_text.replace("</body>", "<script>document.title = 'ran';</script></body>")
    path = tmp_path / "injected.html"
    path.write_text(injected, encoding="utf-8")
    browser.get(path.as_uri())
    assert browser.title == "harness report: samples"

"""`harness nightly` over a real git repository, real gcc builds and a real SMTP
server (aiosmtpd on 127.0.0.1): quiet nights, a new finding, dry runs, a refused
SMTP connection and a broken build.

The repository has two commits; a heap overflow comes in at commit 2. Each
scenario works in its own clone, with an untracked harness.toml pointing at
the test server.
"""

from __future__ import annotations

import email
import email.policy
import json
import shutil
from collections.abc import Iterator
from dataclasses import dataclass, field
from email.message import EmailMessage
from pathlib import Path

import pytest

from tests.nightly_sample import Origin, checkout, cli, make_origin
from tests.smtp_server import Inbox, free_port, serve

pytestmark = pytest.mark.skipif(not shutil.which("gcc"), reason="gcc is not installed")

EXTENSIONS = ("md", "html", "json", "sarif", "xml")


@pytest.fixture(scope="module")
def origin(tmp_path_factory: pytest.TempPathFactory) -> Origin:
    return make_origin(tmp_path_factory.mktemp("origin"))


@pytest.fixture(scope="module")
def smtp() -> Iterator[tuple[Inbox, int]]:
    inbox = Inbox()
    server = serve(inbox)
    port = next(server)
    yield inbox, port
    server.close()


def report_files(root: Path, sha: str) -> list[Path]:
    return sorted((root / "reports").glob(f"nightly-*-{sha[:7]}.*"))


def only_message(inbox: Inbox, before: int) -> EmailMessage:
    assert len(inbox.messages) == before + 1
    return inbox.messages[-1]


def text_and_html(message: EmailMessage) -> tuple[str, str]:
    text = message.get_body(("plain",))
    html = message.get_body(("html",))
    assert text is not None and html is not None
    return text.get_content(), html.get_content()


@dataclass
class Story:
    root: Path
    sha2: str
    inbox: Inbox
    steps: dict[str, tuple[int, str, str]] = field(default_factory=dict)
    mails: dict[str, int] = field(default_factory=dict)


@pytest.fixture(scope="module")
def story(origin: Origin, smtp, tmp_path_factory: pytest.TempPathFactory) -> Story:
    """Nights in one clone: commit 1; commit 2 as a dry run; commit 2; commit 2 again."""
    inbox, port = smtp
    root = tmp_path_factory.mktemp("story")
    repo = checkout(origin, root, 1, port)
    told = Story(root, origin.shas[1], inbox)

    def night(name: str, *args: str) -> None:
        before = len(inbox.messages)
        told.steps[name] = cli(root, "nightly", "-j", "2", *args)
        told.mails[name] = len(inbox.messages) - before

    night("quiet")
    repo.git.reset("--hard", origin.shas[1])
    night("dry", "--dry-run")
    night("new")
    night("again")
    return told


def test_a_quiet_night_exits_0_and_sends_nothing(story: Story):
    code, out, err = story.steps["quiet"]
    assert code == 0, err
    assert "0 new, 0 regressed, 0 fixed, 0 open" in out
    assert "mail: not needed" in out
    assert story.mails["quiet"] == 0


def test_dry_run_writes_the_eml_and_sends_nothing(story: Story):
    code, out, err = story.steps["dry"]
    assert code == 1, err
    assert story.mails["dry"] == 0
    (eml,) = (story.root / "reports").glob("*.eml")
    assert str(eml) in out
    assert eml.name.endswith(f"-{story.sha2[:7]}.eml")
    assert b"1 new" in eml.read_bytes()


def test_a_new_finding_exits_1_and_mails_it(story: Story):
    code, out, err = story.steps["new"]
    assert code == 1, err
    assert story.mails["new"] == 1
    message = story.inbox.messages[-2] if story.mails["again"] else story.inbox.messages[-1]
    subject = message["Subject"]
    assert subject.startswith(f"[harness] sample main@{story.sha2[:7]}: 1 new, 0 regressed")
    text, html = text_and_html(message)
    title = "heap-buffer-overflow WRITE in parse_record"
    assert title in text and "[high, security]" in text
    assert f"first seen: {story.sha2[:7]} Copy the whole record" in text
    assert "reproducer: prog [asan] .harness/reproducers/" in text
    assert "parse_record" in html and "high" in html
    (attachment,) = list(message.iter_attachments())
    assert attachment.get_content_type() == "text/html"
    assert attachment.get_filename().endswith(f"-{story.sha2[:7]}.html")
    assert title in attachment.get_content()


def test_the_five_report_files_hold_the_night(story: Story):
    files = report_files(story.root, story.sha2)
    assert sorted(p.suffix[1:] for p in files if p.suffix != ".eml") == sorted(EXTENSIONS)
    doc = json.loads(next(p for p in files if p.suffix == ".json").read_text())
    assert doc["schema"] == "harness.triage/1"
    assert doc["commit"] == story.sha2
    # the last night wrote these files: the finding is no news any more, but open
    assert doc["nightly"]["counts"]["open"] == 1
    (finding,) = doc["findings"]
    assert finding["first_seen"] == story.sha2
    assert finding["severity"] == "high"


def test_a_night_with_nothing_new_sends_nothing(story: Story):
    code, out, err = story.steps["again"]
    assert code == 0, err
    assert "0 new, 0 regressed, 0 fixed, 1 open" in out
    assert story.mails["again"] == 0


def test_always_send_mails_a_quiet_night(origin: Origin, smtp, tmp_path: Path):
    inbox, port = smtp
    checkout(origin, tmp_path, 1, port, always=True)
    before = len(inbox.messages)
    code, _, err = cli(tmp_path, "nightly", "-j", "2")
    assert code == 0, err
    message = only_message(inbox, before)
    assert "0 new, 0 regressed, 0 fixed, 0 open" in message["Subject"]


def test_refused_smtp_exits_3_and_still_writes_the_reports(origin: Origin, tmp_path: Path):
    checkout(origin, tmp_path, 2, free_port())  # nothing listens there
    code, _, err = cli(tmp_path, "nightly", "-j", "2")
    assert code == 3
    assert "could not reach SMTP server 127.0.0.1" in err
    files = report_files(tmp_path, origin.shas[1])
    assert sorted(p.suffix[1:] for p in files) == sorted(EXTENSIONS)


def test_a_broken_build_is_mailed_and_exits_3(origin: Origin, smtp, tmp_path: Path):
    inbox, port = smtp
    checkout(origin, tmp_path, 2, port, profiles='["asan", "ubsan"]', cflags='["-DREQUIRE_ASAN"]')
    before = len(inbox.messages)
    code, _, err = cli(tmp_path, "nightly", "-j", "2")
    assert code == 3, err
    message = only_message(inbox, before)
    text, html = text_and_html(message)
    assert "Build failed (profile ubsan)" in text
    assert "this program needs AddressSanitizer" in text
    assert "this program needs AddressSanitizer" in html
    # the asan profile still ran: its finding is in the same mail
    assert "heap-buffer-overflow WRITE in parse_record" in text
    page = next(p for p in report_files(tmp_path, origin.shas[1]) if p.suffix == ".html")
    assert "Build failed (profile ubsan)" in page.read_text()


def test_a_missing_password_variable_is_a_configuration_error(origin: Origin, tmp_path: Path):
    checkout(origin, tmp_path, 1, free_port())
    config = tmp_path / "harness.toml"
    config.write_text(
        config.read_text().replace(
            'tls = "none"\n', 'tls = "none"\nusername = "u"\npassword_env = "HARNESS_NO_SUCH_VAR"\n'
        )
    )
    code, _, err = cli(tmp_path, "nightly")
    assert code == 2
    assert "HARNESS_NO_SUCH_VAR" in err
    assert not (tmp_path / "build").exists()  # nothing was built before the check


def test_a_night_outside_git_names_its_files_and_mail_no_commit(origin: Origin, tmp_path: Path):
    checkout(origin, tmp_path, 2, free_port())
    shutil.rmtree(tmp_path / ".git")
    code, out, err = cli(tmp_path, "nightly", "-j", "2", "--dry-run")
    assert code == 1, err
    assert out.startswith("no commit: 1 new, 0 regressed, 0 fixed, 1 open\n")
    names = sorted(p.name for p in (tmp_path / "reports").iterdir())
    assert [name.rsplit("-", 1)[1] for name in names] == [
        f"nocommit.{ext}" for ext in sorted(("eml", *EXTENSIONS))
    ]
    (eml,) = (tmp_path / "reports").glob("*.eml")
    message = email.message_from_bytes(eml.read_bytes(), policy=email.policy.default)
    assert isinstance(message, EmailMessage)
    text, _ = text_and_html(message)
    assert text.startswith("sample no commit: 1 new")

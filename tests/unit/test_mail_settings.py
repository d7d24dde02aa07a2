"""Mail settings, subject lines, message structure and .eml files: no network."""

import email
from email.policy import default as default_policy

import pytest

from harness.errors import ConfigError, UsageError
from harness.mail import (
    DEFAULT_SUBJECT,
    MailSettings,
    build_message,
    settings_from_table,
    subject_line,
    write_eml,
)

TABLE = {"host": "smtp.example.org", "sender": "harness@example.org", "to": "dev@example.org"}


def test_defaults_fill_in_port_tls_and_subject():
    settings = settings_from_table(TABLE, "harness.toml")
    assert settings == MailSettings(
        host="smtp.example.org",
        port=587,
        tls="starttls",
        sender="harness@example.org",
        to=("dev@example.org",),
    )
    assert settings.subject == DEFAULT_SUBJECT and settings.always_send is False


def test_full_table():
    table = {
        **TABLE,
        "port": 465,
        "tls": "ssl",
        "cafile": "/etc/ca.pem",
        "username": "nightly",
        "password_env": "SMTP_PASSWORD",
        "to": ["a@example.org", "b@example.org"],
        "subject": "{project}: {new} new",
        "always_send": True,
    }
    settings = settings_from_table(table, "harness.toml")
    assert settings.to == ("a@example.org", "b@example.org")
    assert (settings.port, settings.tls, settings.password_env) == (465, "ssl", "SMTP_PASSWORD")
    assert settings.always_send is True


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"hots": "x"}, r"email\.hots: unknown key"),
        ({"port": "25"}, r"email\.port: expected a port number"),
        ({"port": True}, r"email\.port: expected a port number"),
        ({"port": 70000}, r"email\.port: 70000 is not a port"),
        ({"tls": "tls"}, r"email\.tls: expected one of none, starttls, ssl"),
        ({"to": ["a@example.org", 3]}, r"email\.to"),
        ({"to": []}, r"email\.to is required"),
        ({"always_send": "yes"}, r"email\.always_send: expected true or false"),
        ({"password": "hunter2"}, r"email\.password: the password is never stored"),
        ({"username": "me"}, r"set email\.password_env"),
        ({"username": "me", "password_env": "NOT-A-NAME"}, r"email\.password_env"),
        ({"subject": "{project} {nope}"}, r"email\.subject: unknown field \{nope\}"),
    ],
)
def test_bad_tables_name_the_key_and_the_file(change, message):
    with pytest.raises(ConfigError, match=message) as caught:
        settings_from_table({**TABLE, **change}, "/repo/harness.toml")
    assert str(caught.value).startswith("/repo/harness.toml: ")
    assert caught.value.exit_code == 2


def test_missing_host_is_reported():
    with pytest.raises(ConfigError, match=r"email\.host is required"):
        settings_from_table({"sender": "a@b", "to": "c@d"}, "harness.toml")


def test_default_subject_line():
    counts = {"new": 2, "regressed": 1, "fixed": 3, "open": 7}
    line = subject_line(project="samples", branch="main", sha7="0123456", counts=counts)
    assert line == "[harness] samples main@0123456: 2 new, 1 regressed, 3 fixed, 7 open"


def test_subject_line_stays_on_one_line_and_fills_gaps():
    line = subject_line(
        "{project} {branch}@{sha7} {muted}",
        project="p",
        branch="evil\r\nBcc: x",
        sha7=None,
        counts={},
    )
    assert line == "p evil Bcc: x@- 0"
    with pytest.raises(UsageError, match="not valid"):
        subject_line("{bogus}", project="p", branch="b", sha7="s", counts={})


def test_message_is_mixed_with_an_alternative_and_attachments(tmp_path):
    settings = settings_from_table({**TABLE, "to": ["a@example.org", "b@example.org"]}, "h")
    message = build_message(
        settings,
        subject="nightly\nreport",
        text="plain body",
        html="<p>html body</p>",
        attachments=[("r.json", b"{}", "application/json"), ("r.xml", b"<a/>", "")],
    )
    path = write_eml(message, tmp_path / "out" / "nightly.eml")
    parsed = email.message_from_bytes(path.read_bytes(), policy=default_policy)
    assert parsed["Subject"] == "nightly report"
    assert parsed["To"] == "a@example.org, b@example.org"
    assert parsed["Message-ID"].endswith("@example.org>")
    assert [part.get_content_type() for part in parsed.walk()] == [
        "multipart/mixed",
        "multipart/alternative",
        "text/plain",
        "text/html",
        "application/json",
        "application/octet-stream",
    ]
    assert [part.get_filename() for part in parsed.iter_attachments()] == ["r.json", "r.xml"]


def test_text_only_message_has_no_html_part():
    settings = settings_from_table(TABLE, "h")
    message = build_message(settings, subject="s", text="only text")
    assert message.get_content_type() == "text/plain"
    assert message.get_content().strip() == "only text"


@pytest.mark.parametrize("project", ["p", "lineparser", "a-rather-long-project-name", "x" * 60])
def test_the_subject_reads_back_as_written_whatever_its_length(tmp_path, project):
    # A subject of 70 to 78 characters used to go whole onto a folded line
    # ("Subject:\r\n [harness] ..."), read back with a leading blank.
    counts = {"new": 2, "regressed": 0, "fixed": 0, "open": 2}
    subject = subject_line(project=project, branch="main", sha7="6fc88dd", counts=counts)
    long_line = "‹ " + "frame " * 40
    message = build_message(
        settings_from_table(TABLE, "h"), subject=subject, text=long_line, html=f"<p>{long_line}"
    )
    raw = write_eml(message, tmp_path / "m.eml").read_bytes()
    assert email.message_from_bytes(raw, policy=default_policy)["Subject"] == subject
    header, _, body = raw.partition(b"\n\n")
    assert max(len(line) for line in body.splitlines()) <= 78  # bodies still encoded as before

"""The night's changes from statuses, its exit code, and the [nightly]/[email] tables."""

from pathlib import Path

import pytest

from harness import config
from harness.errors import ConfigError
from harness.nightly import Failure, classify, count, exit_code
from harness.nightly_mail import top_frames
from harness.render.view import FindingView
from harness.triage.cluster import cluster
from tests.unit.reportbuilders import leak_report


def test_changes_since_the_last_night():
    before = {"a": "open", "b": "fixed", "c": "open", "d": "fixed", "e": "muted"}
    now = {"a": "open", "b": "regressed", "c": "fixed", "d": "fixed", "e": "muted", "f": "new"}
    changes = classify(now, before)
    assert changes == {"a": "open", "b": "regressed", "c": "fixed", "f": "new"}
    counts = count(changes, now)
    assert counts == {"new": 1, "regressed": 1, "fixed": 1, "open": 3, "muted": 1}


def test_a_failed_step_wins_over_new_findings():
    counts = {"new": 1, "regressed": 0, "fixed": 0, "open": 1}
    assert exit_code(counts, ("new", "regressed"), ()) == 1
    assert exit_code(counts, (), ()) == 0
    assert exit_code(counts, ("new",), (Failure("build", "asan", "failed"),)) == 3


@pytest.mark.parametrize(
    ("text", "line", "words"),
    [
        ('[nightly]\nprofiles = ["asan", "bogus"]\n', 2, ["unknown profile 'bogus'"]),
        ('[nightly]\nfail_on = ["fixed"]\n', 2, ["'fail_on'", "new, regressed, open"]),
        ('[email]\nhost = "h"\nfrom = "a@b"\nto = "c@d"\ntls = "tls"\n', 5, ["[email] tls"]),
        ('[email]\nhost = "h"\nfrom = "a@b"\nto = "c@d"\npassword = "x"\n', 5, ["password_env"]),
        # named as the README writes it, `from`, unless the file says `sender`
        ('[email]\nhost = "h"\nto = "c@d"\n', 1, ["[email] from is required"]),
        ('[email]\nhost = "h"\nfrom = 3\nto = "c@d"\n', 3, ["[email] from: expected"]),
        ('[email]\nhost = "h"\nsender = 3\nto = "c@d"\n', 3, ["[email] sender: expected"]),
        (
            '[email]\nfrom = "a@b"\nto = "c@d"\nhots = "h"\n',
            4,
            ["hots: unknown key", "password_env, from, to"],
        ),
    ],
)
def test_nightly_and_email_errors_name_the_line(tmp_path: Path, text, line, words):
    path = tmp_path / "harness.toml"
    path.write_text(text)
    with pytest.raises(ConfigError) as caught:
        config.load(path)
    assert caught.value.line == line
    for word in words:
        assert word in str(caught.value)


def test_email_table_becomes_mail_settings(tmp_path: Path):
    path = tmp_path / "harness.toml"
    path.write_text('[email]\nhost = "h"\nfrom = "a@b"\nto = ["c@d"]\ntls = "none"\n')
    loaded = config.load(path)
    assert loaded.email is not None
    assert (loaded.email.sender, loaded.email.to, loaded.email.port) == ("a@b", ("c@d",), 25)
    assert loaded.nightly.profiles == ("asan",)
    assert loaded.nightly.fail_on == ("new", "regressed")


def test_the_mail_shows_the_stack_past_the_allocator_and_libc():
    alloc = ("__interceptor_malloc", "normalize", "main", "__libc_start_main", "_start")
    (found,) = cluster([leak_report(alloc=alloc)])
    view = FindingView(found.finding, "new", None, 1, found.finding.reports[0], None)
    assert [line.split()[1] for line in top_frames(view)] == ["normalize", "main"]

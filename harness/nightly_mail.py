"""The nightly mail: whether to send it, its text and HTML bodies, and delivery.

The body leads with the counts, then any step that failed (with the
compiler's message), then each new and regressed finding (title, severity,
first-seen commit, reproducer, top frames), then the fixed ones. The night's
HTML report is attached. Nothing goes out when nothing changed and nothing
failed, unless [email] always_send is set.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from email.message import EmailMessage
from pathlib import Path
from typing import TYPE_CHECKING

from harness import mail, vcs
from harness.errors import ToolError, UsageError
from harness.mail import MailSettings
from harness.model import Commit
from harness.nightly import FIXED, NEW, REGRESSED, Failure, checkout_label, summary_line
from harness.project import Project
from harness.render.escape import clean, html_text
from harness.render.view import FindingView, deciding_stack, format_frame
from harness.report import ReportData
from harness.reproducers import stored_path
from harness.store import Store
from harness.triage.signature import is_ignored

if TYPE_CHECKING:
    import git

TOP_FRAMES = 5
SECTIONS = ((NEW, "New"), (REGRESSED, "Regressed"), (FIXED, "Fixed"))


@dataclass(frozen=True, slots=True)
class Mode:
    dry_run: bool = False
    no_mail: bool = False


@dataclass(frozen=True, slots=True)
class Outcome:
    """`state`: sent, not needed, off (--no-mail), dry-run, failed, or not configured."""

    state: str
    eml: Path | None = None
    failure: Failure | None = None


@dataclass(frozen=True, slots=True)
class Item:
    """One finding as the mail shows it."""

    id: str
    change: str
    title: str
    severity: str
    security: bool
    first_seen: str
    reproducers: tuple[str, ...]
    frames: tuple[str, ...]


def check(settings: MailSettings | None, mode: Mode, env: Mapping[str, str]) -> None:
    """Before the night starts: a login whose password variable is not set is a
    configuration error (exit 2), not something to find out after an hour of runs."""
    if settings is None or mode.no_mail or mode.dry_run or not settings.username:
        return
    if (settings.password_env or "") not in env:
        raise UsageError(
            f"[email] username is set but the environment variable {settings.password_env} "
            "holding the SMTP password is not: export it, or run with --no-mail"
        )


def deliver(
    store: Store,
    project: Project,
    data: ReportData,
    *,
    commit: Commit,
    counts: Mapping[str, int],
    failures: Sequence[Failure],
    report: Path,
    mode: Mode,
    env: Mapping[str, str],
) -> Outcome:
    """Send (or with --dry-run write as .eml next to `report`) the night's mail."""
    settings = project.require_config().email
    if settings is None:
        return Outcome("not configured")
    if mode.no_mail:
        return Outcome("off")
    changed = any(counts.get(name, 0) for name, _ in SECTIONS)
    if not (changed or failures or settings.always_send):
        return Outcome("not needed")
    items = mail_items(store, project.root, data)
    message = compose(settings, data, commit, counts, failures, items, report)
    if mode.dry_run:
        return Outcome("dry-run", mail.write_eml(message, report.with_suffix(".eml")))
    try:
        mail.send(settings, message, env)
    except ToolError as error:
        return Outcome("failed", failure=Failure("mail", None, str(error)))
    return Outcome("sent")


def mail_items(store: Store, root: Path, data: ReportData) -> tuple[Item, ...]:
    repo = vcs.repository(root)
    items = []
    for view in data.view().findings:
        change = view.status or ""
        if change not in dict(SECTIONS):
            continue
        first = data.stored[view.finding.id].first_commit
        items.append(
            Item(
                id=view.finding.id,
                change=change,
                title=view.finding.title,
                severity=view.finding.severity,
                security=view.finding.security,
                first_seen=_commit_line(repo, first),
                reproducers=_reproducers(store, root, view.finding.id),
                frames=top_frames(view),
            )
        )
    return tuple(items)


def _commit_line(repo: git.Repo | None, sha: str | None) -> str:
    if not sha:
        return "unknown"
    info = vcs.info(repo, sha)
    return " ".join(part for part in (info.sha7, info.subject) if part)


def _reproducers(store: Store, root: Path, finding: str) -> tuple[str, ...]:
    found = []
    for rep in store.reproducers(finding):
        what = f"{rep.target} [{rep.profile}]"
        if rep.sha256:
            copy = stored_path(root, rep.sha256).relative_to(root)
            what += f" {copy}" + (f" (was {rep.input})" if rep.input else "")
        found.append(what)
    return tuple(found)


def top_frames(view: FindingView) -> tuple[str, ...]:
    """The top of the deciding stack, past the runtime, allocator and libc frames
    the signature skips too (all of it when nothing else is there)."""
    report = view.representative
    stack = deciding_stack(report) if report else None
    if stack is not None and stack.frames:
        telling = [frame for frame in stack.frames if not is_ignored(frame)] or stack.frames
        return tuple(format_frame(frame) for frame in telling[:TOP_FRAMES])
    return tuple(
        f"#{n} {f.function or f.key}" + (f" {f.file}:{f.line}" if f.file else "")
        for n, f in enumerate(view.finding.frames)
    )


def compose(
    settings: MailSettings,
    data: ReportData,
    commit: Commit,
    counts: Mapping[str, int],
    failures: Sequence[Failure],
    items: Sequence[Item],
    report: Path,
) -> EmailMessage:
    subject = mail.subject_line(
        settings.subject,
        project=data.project,
        branch=commit.branch,
        sha7=commit.sha[:7] if commit.sha else None,
        counts=counts,
    )
    heading = f"{data.project} {checkout_label(commit)}"
    attachments = [(report.name, report.read_bytes(), "text/html")] if report.is_file() else []
    return mail.build_message(
        settings,
        subject=subject,
        text=text_body(heading, counts, failures, items),
        html=html_body(heading, counts, failures, items),
        attachments=attachments,
    )


def text_body(
    heading: str, counts: Mapping[str, int], failures: Sequence[Failure], items: Sequence[Item]
) -> str:
    lines = [f"{clean(heading)}: {summary_line(counts)}", ""]
    for failure in failures:
        lines += [failure.title, ""]
        lines += ["    " + line for line in clean(failure.text).splitlines()]
        lines.append("")
    for change, name in SECTIONS:
        chosen = [item for item in items if item.change == change]
        if not chosen:
            continue
        lines += [f"{name} ({len(chosen)})", ""]
        for item in chosen:
            lines += _text_item(item, full=change != FIXED)
    lines.append("The night's HTML report is attached.")
    return "\n".join(lines) + "\n"


def _text_item(item: Item, *, full: bool) -> list[str]:
    security = ", security" if item.security else ""
    lines = [f"  [{item.severity}{security}] {clean(item.title)}  (id {item.id})"]
    if full:
        lines.append(f"    first seen: {clean(item.first_seen)}")
        lines += [f"    reproducer: {clean(rep)}" for rep in item.reproducers]
        lines += [f"      {clean(frame)}" for frame in item.frames]
    lines.append("")
    return lines


def html_body(
    heading: str, counts: Mapping[str, int], failures: Sequence[Failure], items: Sequence[Item]
) -> str:
    parts = [
        '<!DOCTYPE html><html><body style="font-family:sans-serif">',
        f"<h2>{html_text(heading)}</h2>",
        f"<p><strong>{html_text(summary_line(counts))}</strong></p>",
    ]
    for failure in failures:
        parts.append(f'<h3 style="color:#b31d28">{html_text(failure.title)}</h3>')
        parts.append(f"<pre>{html_text(failure.text)}</pre>")
    for change, name in SECTIONS:
        chosen = [item for item in items if item.change == change]
        if chosen:
            parts.append(f"<h3>{name} ({len(chosen)})</h3><ul>")
            parts += [_html_item(item, full=change != FIXED) for item in chosen]
            parts.append("</ul>")
    parts.append("<p>The night's HTML report is attached.</p></body></html>")
    return "\n".join(parts) + "\n"


def _html_item(item: Item, *, full: bool) -> str:
    security = ", security" if item.security else ""
    text = (
        f"<li><strong>{html_text(item.title)}</strong> "
        f"[{html_text(item.severity + security)}] <code>{html_text(item.id)}</code>"
    )
    if full:
        text += f"<br>first seen: <code>{html_text(item.first_seen)}</code>"
        text += "".join(
            f"<br>reproducer: <code>{html_text(rep)}</code>" for rep in item.reproducers
        )
        if item.frames:
            text += f"<pre>{html_text(chr(10).join(item.frames))}</pre>"
    return text + "</li>"

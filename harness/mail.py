"""Mail: settings from harness.toml's [email] table, message building, and SMTP.

The password never lives in a file: the settings name the environment variable
that holds it. Every SMTP failure becomes a ToolError (exit 3) naming host:port
and what to check.
"""

from __future__ import annotations

import os
import smtplib
import ssl
import string
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import formatdate, make_msgid
from pathlib import Path
from typing import Any

from harness.errors import ConfigError, ToolError, UsageError

DEFAULT_SUBJECT = (
    "[harness] {project} {branch}@{sha7}: {new} new, {regressed} regressed, "
    "{fixed} fixed, {open} open"
)
SUBJECT_FIELDS = ("project", "branch", "sha7", "new", "regressed", "fixed", "open", "muted")
TLS_MODES = ("none", "starttls", "ssl")
DEFAULT_PORTS = {"none": 25, "starttls": 587, "ssl": 465}
DEFAULT_TIMEOUT = 30.0
# The longest header line SMTP carries (RFC 5322: 998 characters before CRLF)
SMTP_LINE_LIMIT = 998


@dataclass(frozen=True, slots=True)
class MailSettings:
    """How and to whom the nightly mail goes. `password_env` names an environment variable."""

    host: str
    port: int
    tls: str
    sender: str
    to: tuple[str, ...]
    cafile: str | None = None
    username: str | None = None
    password_env: str | None = None
    subject: str = DEFAULT_SUBJECT
    always_send: bool = False

    @property
    def address(self) -> str:
        return f"{self.host}:{self.port}"


# key → (accepted types, description for the error message)
_KEYS: dict[str, tuple[tuple[type, ...], str]] = {
    "host": ((str,), "a host name"),
    "port": ((int,), "a port number"),
    "tls": ((str,), "one of " + ", ".join(TLS_MODES)),
    "cafile": ((str,), "the path of a CA certificate file"),
    "username": ((str,), "a user name"),
    "password_env": ((str,), "the name of an environment variable"),
    "sender": ((str,), "a mail address"),
    "to": ((str, list), "a mail address or a list of them"),
    "subject": ((str,), "a subject template"),
    "always_send": ((bool,), "true or false"),
}


def settings_from_table(table: Mapping[str, Any], path: str) -> MailSettings:
    """Validate the [email] table of the configuration file at `path` into MailSettings."""
    for key, value in table.items():
        _check_type(key, value, path)
    if "password" in table:
        raise ConfigError(
            "email.password: the password is never stored in a file; set email.password_env "
            "to the name of an environment variable that holds it",
            path,
        )
    for key in ("host", "sender", "to"):
        if not table.get(key):
            raise ConfigError(f"email.{key} is required in the [email] table", path)
    tls = table.get("tls", "starttls")
    if tls not in TLS_MODES:
        raise ConfigError(f"email.tls: expected one of {', '.join(TLS_MODES)}, got {tls!r}", path)
    port = table.get("port", DEFAULT_PORTS[tls])
    if not 0 < port < 65536:
        raise ConfigError(f"email.port: {port} is not a port number (1-65535)", path)
    to = (table["to"],) if isinstance(table["to"], str) else tuple(table["to"])
    if not all(isinstance(address, str) and address for address in to):
        raise ConfigError("email.to: expected a list of mail addresses", path)
    password_env = table.get("password_env")
    if password_env is not None and not password_env.isidentifier():
        raise ConfigError(f"email.password_env: {password_env!r} is not a variable name", path)
    if table.get("username") and not password_env:
        raise ConfigError("email.username is set: set email.password_env as well", path)
    subject = table.get("subject", DEFAULT_SUBJECT)
    unknown = _unknown_fields(subject)
    if unknown:
        fields = ", ".join("{" + name + "}" for name in SUBJECT_FIELDS)
        raise ConfigError(f"email.subject: unknown field {{{unknown}}}; use {fields}", path)
    return MailSettings(
        host=table["host"],
        port=port,
        tls=tls,
        sender=table["sender"],
        to=to,
        cafile=table.get("cafile"),
        username=table.get("username"),
        password_env=password_env,
        subject=subject,
        always_send=table.get("always_send", False),
    )


def _check_type(key: str, value: Any, path: str) -> None:
    if key == "password":
        return
    if key not in _KEYS:
        known = ", ".join(_KEYS)
        raise ConfigError(f"email.{key}: unknown key (known: {known})", path)
    types, description = _KEYS[key]
    # bool is an int in Python, but `port = true` is a mistake, not port 1.
    if not isinstance(value, types) or (isinstance(value, bool) and bool not in types):
        raise ConfigError(f"email.{key}: expected {description}, got {value!r}", path)


def _unknown_fields(template: str) -> str | None:
    try:
        parsed = list(string.Formatter().parse(template))
    except ValueError:
        return template
    for _, name, _, _ in parsed:
        if name is not None and name not in SUBJECT_FIELDS:
            return name
    return None


def subject_line(
    template: str = DEFAULT_SUBJECT,
    *,
    project: str | None,
    branch: str | None,
    sha7: str | None,
    counts: Mapping[str, int],
) -> str:
    """The subject for a night's mail: `template` filled in, on one line."""
    values: dict[str, Any] = {name: counts.get(name, 0) for name in SUBJECT_FIELDS[3:]}
    values.update(project=project or "project", branch=branch or "detached", sha7=sha7 or "-")
    try:
        subject = template.format(**values)
    except (KeyError, IndexError, ValueError) as error:
        raise UsageError(f"mail subject template {template!r} is not valid: {error}") from error
    # A branch name can hold anything; a line break would end the header.
    return " ".join(subject.split())


def build_message(
    settings: MailSettings,
    *,
    subject: str,
    text: str,
    html: str | None = None,
    attachments: Sequence[tuple[str, bytes, str]] = (),
) -> EmailMessage:
    """A text (+ HTML alternative) message, with attachments as (filename, data, mimetype)."""
    message = EmailMessage()
    message["Subject"] = " ".join(subject.split())
    message["From"] = settings.sender
    message["To"] = ", ".join(settings.to)
    message["Date"] = formatdate(localtime=True)
    message["Message-ID"] = make_msgid(domain=settings.sender.rpartition("@")[2] or None)
    message.set_content(text)
    if html is not None:
        message.add_alternative(html, subtype="html")
    for filename, data, mimetype in attachments:
        maintype, _, subtype = mimetype.partition("/")
        message.add_attachment(
            data,
            maintype=maintype or "application",
            subtype=subtype or "octet-stream",
            filename=filename,
        )
    # The bodies are encoded by now, in lines of 76. Python folds a header that
    # would fit on a line of its own onto a continuation line ("Subject:\r\n
    # [harness] ..."), which its own parser reads back with a leading blank:
    # fold headers only past what SMTP allows.
    message.policy = message.policy.clone(max_line_length=SMTP_LINE_LIMIT)
    return message


def write_eml(message: EmailMessage, path: str | os.PathLike[str]) -> Path:
    """Write `message` as an .eml file (what --dry-run leaves instead of sending)."""
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_bytes(message.as_bytes())
    return target


def send(
    settings: MailSettings,
    message: EmailMessage,
    env: Mapping[str, str] = os.environ,
    timeout: float = DEFAULT_TIMEOUT,
) -> None:
    """Send `message` over SMTP as `settings` say; any failure raises ToolError."""
    password = _password(settings, env)
    try:
        with _connect(settings, timeout) as smtp:
            if settings.username and password is not None:
                smtp.login(settings.username, password)
            smtp.send_message(message)
    except smtplib.SMTPAuthenticationError as error:
        raise ToolError(
            f"SMTP server {settings.address} refused the login of {settings.username!r} "
            f"({_reply(error)}): check email.username and the password in "
            f"${settings.password_env}"
        ) from error
    except smtplib.SMTPNotSupportedError as error:
        raise ToolError(
            f"SMTP server {settings.address} does not support what email.tls or email.username "
            f"ask for ({error}): check email.tls and whether the server needs a login"
        ) from error
    except (smtplib.SMTPServerDisconnected, smtplib.SMTPConnectError) as error:
        raise ToolError(
            f"SMTP server {settings.address} closed the connection ({_reply(error)}): check "
            "email.tls (ssl usually on port 465, starttls on 587) and email.port"
        ) from error
    except smtplib.SMTPException as error:
        raise ToolError(
            f"SMTP server {settings.address} rejected the mail ({_reply(error)}): "
            + _rejection_hint(error)
        ) from error
    except ssl.SSLError as error:
        raise ToolError(
            f"TLS with SMTP server {settings.address} failed ({error}): check email.tls "
            "(ssl usually on port 465, starttls on 587) and email.cafile"
        ) from error
    except TimeoutError as error:
        raise ToolError(
            f"SMTP server {settings.address} did not answer within {timeout:g}s: check "
            "email.host, email.port and the firewall"
        ) from error
    except OSError as error:
        raise ToolError(
            f"could not reach SMTP server {settings.address} ({error}): check email.host "
            "and email.port, and that a server is listening there"
        ) from error


def _password(settings: MailSettings, env: Mapping[str, str]) -> str | None:
    if not settings.username:
        return None
    name = settings.password_env or ""
    if name not in env:
        raise UsageError(
            f"email.username is set but the environment variable {name} holding the SMTP "
            "password is not: export it before running"
        )
    return env[name]


def _connect(settings: MailSettings, timeout: float) -> smtplib.SMTP:
    if settings.tls == "ssl":
        return smtplib.SMTP_SSL(
            settings.host, settings.port, timeout=timeout, context=_context(settings)
        )
    smtp = smtplib.SMTP(settings.host, settings.port, timeout=timeout)
    if settings.tls == "starttls":
        try:
            smtp.starttls(context=_context(settings))
            smtp.ehlo()
        except BaseException:
            smtp.close()
            raise
    return smtp


def _context(settings: MailSettings) -> ssl.SSLContext:
    # With a cafile, only that CA is trusted: the usual case is a private CA.
    try:
        return ssl.create_default_context(cafile=settings.cafile)
    except (OSError, ssl.SSLError) as error:
        raise ToolError(
            f"cannot load email.cafile {settings.cafile} ({error}): give a PEM file of the "
            f"CA that signed the certificate of {settings.address}"
        ) from error


def _rejection_hint(error: smtplib.SMTPException) -> str:
    if getattr(error, "smtp_code", None) == 530:
        return "the server wants a login: set email.username and email.password_env"
    return "check email.sender, email.to and the server's relay rules"


def _reply(error: smtplib.SMTPException) -> str:
    code = getattr(error, "smtp_code", None)
    text = getattr(error, "smtp_error", b"")
    if isinstance(text, bytes):
        text = text.decode("utf-8", "replace")
    return f"{code} {text}".strip() if code else str(error)

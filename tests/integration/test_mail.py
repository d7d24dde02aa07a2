"""Mail over a real SMTP server (aiosmtpd on 127.0.0.1): plain, STARTTLS, SSL, AUTH, failures."""

from __future__ import annotations

import datetime
import ipaddress
import ssl
from dataclasses import dataclass, replace
from email.message import EmailMessage
from pathlib import Path

import pytest
from aiosmtpd.smtp import AuthResult, LoginPassword
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from harness.errors import ToolError, UsageError
from harness.mail import MailSettings, build_message, send
from tests.smtp_server import Inbox, free_port, serve

PASSWORD_ENV = "HARNESS_TEST_SMTP_PASSWORD"


@dataclass(frozen=True)
class Certificates:
    cafile: Path
    certfile: Path
    keyfile: Path

    def server_context(self) -> ssl.SSLContext:
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(self.certfile, self.keyfile)
        return context


def _name(common_name: str) -> x509.Name:
    return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)])


@pytest.fixture(scope="module")
def certificates(tmp_path_factory) -> Certificates:
    """A private CA and a server certificate it signed for 127.0.0.1 and localhost."""
    folder = tmp_path_factory.mktemp("tls")
    now = datetime.datetime.now(datetime.UTC)
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca = (
        x509.CertificateBuilder()
        .subject_name(_name("harness test CA"))
        .issuer_name(_name("harness test CA"))
        .public_key(ca_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(days=1))
        .not_valid_after(now + datetime.timedelta(days=2))
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .add_extension(
            x509.KeyUsage(False, False, False, False, False, True, True, False, False),
            critical=True,
        )
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(ca_key.public_key()), False)
        .sign(ca_key, hashes.SHA256())
    )
    key = ec.generate_private_key(ec.SECP256R1())
    names = [x509.DNSName("localhost"), x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]
    cert = (
        x509.CertificateBuilder()
        .subject_name(_name("localhost"))
        .issuer_name(ca.subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(days=1))
        .not_valid_after(now + datetime.timedelta(days=2))
        .add_extension(x509.SubjectAlternativeName(names), critical=False)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()), False
        )
        .sign(ca_key, hashes.SHA256())
    )
    result = Certificates(folder / "ca.pem", folder / "server.pem", folder / "server.key")
    result.cafile.write_bytes(ca.public_bytes(serialization.Encoding.PEM))
    result.certfile.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    result.keyfile.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return result


def settings(port: int, **changes) -> MailSettings:
    base = MailSettings(
        host="127.0.0.1",
        port=port,
        tls="none",
        sender="harness@example.org",
        to=("dev@example.org", "lead@example.org"),
    )
    return replace(base, **changes)


def nightly_message(mail_settings: MailSettings) -> EmailMessage:
    return build_message(
        mail_settings,
        subject="[harness] samples main@0123456: 1 new, 0 regressed, 0 fixed, 2 open",
        text="1 new finding: heap-buffer-overflow WRITE in parse_header",
        html="<p>1 new finding: <b>heap-buffer-overflow</b> WRITE in parse_header</p>",
        attachments=[("report.sarif", b'{"version": "2.1.0"}', "application/sarif+json")],
    )


def authenticator(server, session, envelope, mechanism, auth_data):
    ok = (
        isinstance(auth_data, LoginPassword)
        and auth_data.login == b"nightly"
        and auth_data.password == b"s3cret"
    )
    # handled=False: the server, not this callback, answers a failure with 535.
    return AuthResult(success=ok, handled=False)


def test_plain_smtp_delivers_text_html_and_attachment():
    inbox = Inbox()
    for port in serve(inbox):
        mail_settings = settings(port)
        send(mail_settings, nightly_message(mail_settings), env={})
    (received,) = inbox.messages
    assert inbox.recipients == [["dev@example.org", "lead@example.org"]]
    assert received["From"] == "harness@example.org"
    assert received["To"] == "dev@example.org, lead@example.org"
    assert received["Subject"].startswith("[harness] samples main@0123456: 1 new")
    assert received.get_content_type() == "multipart/mixed"
    alternative, attachment = received.iter_parts()
    assert alternative.get_content_type() == "multipart/alternative"
    text = received.get_body(("plain",))
    html = received.get_body(("html",))
    assert text is not None and "heap-buffer-overflow WRITE" in text.get_content()
    assert html is not None and "<b>heap-buffer-overflow</b>" in html.get_content()
    assert attachment.get_filename() == "report.sarif"
    assert attachment.get_content_type() == "application/sarif+json"
    assert attachment.get_content() == b'{"version": "2.1.0"}'


def test_starttls_verifies_the_server_against_the_given_cafile(certificates):
    inbox = Inbox()
    for port in serve(inbox, tls_context=certificates.server_context(), require_starttls=True):
        mail_settings = settings(port, tls="starttls", cafile=str(certificates.cafile))
        send(mail_settings, nightly_message(mail_settings), env={})
    assert len(inbox.messages) == 1


def test_starttls_without_the_ca_fails_verification(certificates):
    inbox = Inbox()
    for port in serve(inbox, tls_context=certificates.server_context(), require_starttls=True):
        mail_settings = settings(port, tls="starttls")
        with pytest.raises(ToolError, match=rf"127\.0\.0\.1:{port}.*email\.cafile"):
            send(mail_settings, nightly_message(mail_settings), env={})
    assert inbox.messages == []


def test_starttls_against_a_server_without_tls_is_a_tool_error():
    inbox = Inbox()
    for port in serve(inbox):
        mail_settings = settings(port, tls="starttls")
        with pytest.raises(ToolError, match=r"does not support.*email\.tls") as caught:
            send(mail_settings, nightly_message(mail_settings), env={})
    assert caught.value.exit_code == 3


def test_implicit_tls_on_an_ssl_port(certificates):
    inbox = Inbox()
    for port in serve(inbox, ssl_context=certificates.server_context()):
        mail_settings = settings(port, tls="ssl", cafile=str(certificates.cafile))
        send(mail_settings, nightly_message(mail_settings), env={})
    assert len(inbox.messages) == 1


def auth_options(certificates: Certificates) -> dict:
    return {
        "tls_context": certificates.server_context(),
        "require_starttls": True,
        "authenticator": authenticator,
        "auth_required": True,
    }


def test_login_with_the_password_from_the_environment(certificates):
    inbox = Inbox()
    for port in serve(inbox, **auth_options(certificates)):
        mail_settings = settings(
            port,
            tls="starttls",
            cafile=str(certificates.cafile),
            username="nightly",
            password_env=PASSWORD_ENV,
        )
        send(mail_settings, nightly_message(mail_settings), env={PASSWORD_ENV: "s3cret"})
    assert len(inbox.messages) == 1


def test_wrong_password_is_a_tool_error_naming_the_variable(certificates):
    inbox = Inbox()
    for port in serve(inbox, **auth_options(certificates)):
        mail_settings = settings(
            port,
            tls="starttls",
            cafile=str(certificates.cafile),
            username="nightly",
            password_env=PASSWORD_ENV,
        )
        with pytest.raises(ToolError, match=rf"127\.0\.0\.1:{port}.*\${PASSWORD_ENV}"):
            send(mail_settings, nightly_message(mail_settings), env={PASSWORD_ENV: "wrong"})
        with pytest.raises(UsageError, match=PASSWORD_ENV):
            send(mail_settings, nightly_message(mail_settings), env={})
    assert inbox.messages == []


def test_server_requiring_auth_rejects_an_anonymous_mail(certificates):
    inbox = Inbox()
    for port in serve(inbox, **auth_options(certificates)):
        mail_settings = settings(port, tls="starttls", cafile=str(certificates.cafile))
        with pytest.raises(ToolError, match=rf"127\.0\.0\.1:{port}.*email\.username"):
            send(mail_settings, nightly_message(mail_settings), env={})
    assert inbox.messages == []


def test_refused_connection_is_a_tool_error():
    port = free_port()  # nothing listens there once the probing socket is closed
    mail_settings = settings(port)
    with pytest.raises(ToolError, match=rf"could not reach SMTP server 127\.0\.0\.1:{port}"):
        send(mail_settings, nightly_message(mail_settings), env={}, timeout=5)


def test_missing_cafile_is_a_tool_error(tmp_path):
    mail_settings = settings(free_port(), tls="ssl", cafile=str(tmp_path / "nope.pem"))
    with pytest.raises(ToolError, match=r"cannot load email\.cafile"):
        send(mail_settings, nightly_message(mail_settings), env={}, timeout=5)

"""The mailer on real SMTP servers: the mail catcher, and aiosmtpd servers that require AUTH and STARTTLS."""

from __future__ import annotations

import ipaddress
import ssl
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from email import policy
from email.message import EmailMessage
from email.parser import BytesParser
from email.utils import parsedate_to_datetime
from pathlib import Path
from typing import Any

import aiosmtplib
import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, AuthResult, Envelope, LoginPassword, Session
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from deploy.mailcatcher import read_messages
from deploy.ports import free_port
from services.followup.mailer import Mailer, mailer_from
from services.followup.messages import Email, reminder
from services.followup.settings import FollowupSettings
from tests.integration import test_components

# The AUTH server below runs without TLS on purpose, to see the credentials arrive; aiosmtpd warns about that.
pytestmark = pytest.mark.filterwarnings("ignore:Requiring AUTH while not requiring TLS:UserWarning")

mailcatcher = test_components.mailcatcher  # the real mail catcher of deploy/, one per test

LINK = "http://intake.example/cases/RUM-000123"
MESSAGE_ID = "<reminder-7-1@rummelig.invalid>"
USER, PASSWORD = "followup", "s3cret-smtp-password"


def an_email() -> Email:
    """A reminder with an HTML alternative and non-ASCII Danish text."""
    return reminder(
        check="six-month",
        case_reference="RUM-000123",
        left_on=date(2026, 3, 31),
        record_by=date(2026, 9, 30),
        number=1,
        of=2,
        link=LINK,
        proposed_situation="education",
    )


@dataclass
class Catcher:
    """An aiosmtpd handler that keeps each envelope and the credentials it was sent with."""

    accepted: list[Envelope] = field(default_factory=list)
    logins: list[tuple[str, str]] = field(default_factory=list)

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        """Keep the message."""
        self.accepted.append(envelope)
        return "250 OK"

    def authenticate(self, server: SMTP, session: Session, envelope: Envelope, mechanism: str, data: Any) -> AuthResult:
        """Accept only USER with PASSWORD, and remember every attempt."""
        assert isinstance(data, LoginPassword)
        login, password = data.login.decode(), data.password.decode()
        self.logins.append((login, password))
        ok = (login, password) == (USER, PASSWORD)
        return AuthResult(success=ok, handled=False)  # not handled: aiosmtpd answers 535 itself on a failure

    def message(self) -> EmailMessage:
        """The one message accepted, parsed."""
        [envelope] = self.accepted
        return read_bytes(envelope.original_content or b"")


def read_bytes(raw: bytes) -> EmailMessage:
    """Parse a raw message the way the mail catcher does."""
    return BytesParser(policy=policy.default).parsebytes(raw)


@pytest.fixture
def catcher() -> Catcher:
    """A fresh handler."""
    return Catcher()


@pytest.fixture
def auth_server(catcher: Catcher) -> Iterator[int]:
    """An SMTP server that requires AUTH (over plain text, as only a test may); yields its port."""
    controller = Controller(
        catcher,
        hostname="127.0.0.1",
        port=free_port(),
        server_hostname="auth.test",
        auth_required=True,
        auth_require_tls=False,
        authenticator=catcher.authenticate,
    )
    controller.start()
    try:
        yield controller.port
    finally:
        controller.stop()


def self_signed(folder: Path) -> tuple[Path, Path]:
    """A certificate for 127.0.0.1 signed by its own key; returns the certificate and key files."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = datetime.now(UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(minutes=5))
        .not_valid_after(now + timedelta(days=1))
        .add_extension(x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]), False)
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    cert_file, key_file = folder / "cert.pem", folder / "key.pem"
    cert_file.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_file.write_bytes(
        key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    )
    return cert_file, key_file


@pytest.fixture
def starttls_server(catcher: Catcher, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[int]:
    """An SMTP server that requires STARTTLS and then AUTH, with a certificate the client is made to trust."""
    cert_file, key_file = self_signed(tmp_path)
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(cert_file, key_file)
    monkeypatch.setenv("SSL_CERT_FILE", str(cert_file))  # the client's default context trusts only this certificate
    controller = Controller(
        catcher,
        hostname="127.0.0.1",
        port=free_port(),
        server_hostname="tls.test",
        tls_context=context,
        require_starttls=True,
        auth_required=True,
        authenticator=catcher.authenticate,
    )
    controller.start()
    try:
        yield controller.port
    finally:
        controller.stop()


def settings(port: int, **extra: Any) -> FollowupSettings:
    """Follow-up settings pointing at a local SMTP server."""
    return FollowupSettings(
        database_url="postgresql+asyncpg://unused/unused", smtp_host="127.0.0.1", smtp_port=port, **extra
    )


async def test_a_sent_email_is_caught_with_text_and_html_the_given_message_id_and_auto_submitted(
    mailcatcher: tuple[Path, int, int],
) -> None:
    mail_dir, smtp_port, _ = mailcatcher
    mailer = Mailer(host="127.0.0.1", port=smtp_port, sender="reminders@example.org")
    email = an_email()
    await mailer.send(to="caseworker@aarhus.example.dk", email=email, message_id=MESSAGE_ID)

    [caught] = read_messages(mail_dir)
    assert caught["From"] == "reminders@example.org"
    assert caught["To"] == "caseworker@aarhus.example.dk"
    assert caught["Subject"] == email.subject
    assert caught["Message-ID"] == MESSAGE_ID
    assert caught["Auto-Submitted"] == "auto-generated"
    assert abs(parsedate_to_datetime(str(caught["Date"])) - datetime.now(UTC)) < timedelta(minutes=1)
    assert caught.get_content_type() == "multipart/alternative"
    text, html = caught.get_body(("plain",)), caught.get_body(("html",))
    assert text is not None and html is not None
    assert isinstance(text, EmailMessage) and isinstance(html, EmailMessage)
    assert text.get_content().replace("\r\n", "\n") == email.text
    assert html.get_content().replace("\r\n", "\n") == email.html
    assert LINK in text.get_content() and f'href="{LINK}"' in html.get_content()


async def test_credentials_are_sent_to_a_server_that_requires_auth(auth_server: int, catcher: Catcher) -> None:
    mailer = mailer_from(settings(auth_server, smtp_username=USER, smtp_password=PASSWORD))
    await mailer.send(to="caseworker@aarhus.example.dk", email=an_email(), message_id=MESSAGE_ID)
    assert catcher.logins == [(USER, PASSWORD)]
    assert catcher.message()["Message-ID"] == MESSAGE_ID


async def test_a_wrong_password_raises_and_nothing_is_sent(auth_server: int, catcher: Catcher) -> None:
    mailer = Mailer(host="127.0.0.1", port=auth_server, sender="r@example.org", username=USER, password="wrong")
    with pytest.raises(aiosmtplib.SMTPAuthenticationError):
        await mailer.send(to="caseworker@aarhus.example.dk", email=an_email(), message_id=MESSAGE_ID)
    assert catcher.accepted == []


async def test_without_credentials_a_server_that_requires_auth_refuses_the_mail(auth_server: int) -> None:
    mailer = Mailer(host="127.0.0.1", port=auth_server, sender="r@example.org")
    with pytest.raises(aiosmtplib.SMTPException):
        await mailer.send(to="caseworker@aarhus.example.dk", email=an_email(), message_id=MESSAGE_ID)


async def test_with_starttls_the_mail_and_credentials_go_over_tls(starttls_server: int, catcher: Catcher) -> None:
    mailer = mailer_from(settings(starttls_server, smtp_starttls=True, smtp_username=USER, smtp_password=PASSWORD))
    await mailer.send(to="caseworker@aarhus.example.dk", email=an_email(), message_id=MESSAGE_ID)
    assert catcher.logins == [(USER, PASSWORD)]
    assert catcher.message()["Subject"] == an_email().subject


async def test_with_starttls_off_a_server_that_requires_it_refuses_the_mail(
    starttls_server: int, catcher: Catcher
) -> None:
    mailer = Mailer(host="127.0.0.1", port=starttls_server, sender="r@example.org")
    with pytest.raises(aiosmtplib.SMTPException):
        await mailer.send(to="caseworker@aarhus.example.dk", email=an_email(), message_id=MESSAGE_ID)
    assert catcher.accepted == [] and catcher.logins == []


async def test_a_closed_port_raises_so_the_caller_can_retry() -> None:
    mailer = Mailer(host="127.0.0.1", port=free_port(), sender="r@example.org", timeout=5)
    with pytest.raises(aiosmtplib.SMTPConnectError):
        await mailer.send(to="caseworker@aarhus.example.dk", email=an_email(), message_id=MESSAGE_ID)


def test_the_mailer_never_shows_its_password() -> None:
    mailer = mailer_from(settings(1025, smtp_username=USER, smtp_password=PASSWORD))
    assert PASSWORD not in repr(mailer)
    assert PASSWORD not in repr(settings(1025, smtp_password=PASSWORD))

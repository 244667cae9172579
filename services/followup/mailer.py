"""Sending email over real SMTP (aiosmtplib): a plain-text part and an HTML alternative, marked auto-generated.

A failure raises whatever aiosmtplib raises; the caller retries with backoff. The Message-ID is the caller's, fixed
per reminder, so a receiver can drop a resend after a crash.
"""

from __future__ import annotations

from datetime import UTC, datetime
from email.message import EmailMessage
from email.utils import format_datetime

import aiosmtplib

from services.followup.messages import Email
from services.followup.settings import FollowupSettings


class Mailer:
    """An SMTP client for reminder and digest emails."""

    def __init__(
        self,
        *,
        host: str,
        port: int,
        sender: str,
        starttls: bool = False,
        username: str | None = None,
        password: str | None = None,
        timeout: float = 10.0,
    ) -> None:
        self._host, self._port, self._sender, self._timeout = host, port, sender, timeout
        self._starttls, self._username, self._password = starttls, username, password

    def __repr__(self) -> str:
        """Where mail goes, never the credentials."""
        return f"Mailer(host={self._host!r}, port={self._port}, sender={self._sender!r}, starttls={self._starttls})"

    async def send(self, *, to: str, email: Email, message_id: str) -> None:
        """Send one email as text with an HTML alternative; raises if the SMTP server does not accept it."""
        message = EmailMessage()
        message["From"] = self._sender
        message["To"] = to
        message["Subject"] = email.subject
        message["Message-ID"] = message_id
        message["Date"] = format_datetime(datetime.now(UTC))
        message["Auto-Submitted"] = "auto-generated"  # RFC 3834: no out-of-office replies, please
        message.set_content(email.text)
        message.add_alternative(email.html, subtype="html")
        await aiosmtplib.send(
            message,
            hostname=self._host,
            port=self._port,
            start_tls=self._starttls,  # False, never None: None would upgrade whenever the server offers it
            username=self._username,
            password=self._password,
            timeout=self._timeout,
        )


def mailer_from(settings: FollowupSettings) -> Mailer:
    """The Mailer the settings describe."""
    password = settings.smtp_password
    return Mailer(
        host=settings.smtp_host,
        port=settings.smtp_port,
        sender=str(settings.mail_from),
        starttls=settings.smtp_starttls,
        username=settings.smtp_username,
        password=None if password is None else password.get_secret_value(),
    )

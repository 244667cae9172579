"""Sending email over real SMTP (aiosmtplib)."""

from __future__ import annotations

from email.message import EmailMessage

import aiosmtplib


class Mailer:
    """An SMTP client for reminder emails."""

    def __init__(self, *, host: str, port: int, sender: str, timeout: float = 10.0) -> None:
        self._host, self._port, self._sender, self._timeout = host, port, sender, timeout

    async def send(self, *, to: str, subject: str, body: str, message_id: str) -> None:
        """Send one plain-text email; the fixed Message-ID lets a receiver drop a resend after a crash."""
        message = EmailMessage()
        message["From"] = self._sender
        message["To"] = to
        message["Subject"] = subject
        message["Message-ID"] = message_id
        message.set_content(body)
        await aiosmtplib.send(message, hostname=self._host, port=self._port, timeout=self._timeout)

"""A real SMTP server that keeps every message as a .eml file, with a tiny HTTP page listing them."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import html
import json
import re
import sys
import uuid
from datetime import UTC, datetime
from email import policy
from email.message import EmailMessage
from email.parser import BytesHeaderParser, BytesParser
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

from aiosmtpd.smtp import SMTP, Envelope, Session

from deploy.ports import LOCALHOST, PortInUse, ensure_port_free

MAX_MESSAGE = 1024 * 1024
# Exactly the names we write; anything else (such as "../..") is never opened.
NAME = re.compile(r"^\d{8}T\d{12}Z-[0-9a-f]{32}\.eml$")
MAX_REQUEST_HEAD = 16 * 1024


def _message_names(mail_dir: Path) -> list[str]:
    """Return the names of the stored messages, oldest first."""
    return sorted(p.name for p in mail_dir.iterdir() if NAME.match(p.name))


def read_messages(mail_dir: Path) -> list[EmailMessage]:
    """Return every stored message, parsed, oldest first."""
    parser = BytesParser(policy=policy.default)
    return [parser.parsebytes((mail_dir / name).read_bytes()) for name in _message_names(mail_dir)]


def _save(mail_dir: Path, data: bytes) -> str:
    """Write one message atomically and return its name."""
    name = f"{datetime.now(UTC):%Y%m%dT%H%M%S%f}Z-{uuid.uuid4().hex}.eml"
    tmp = mail_dir / f".{name}.tmp"
    tmp.write_bytes(data)
    # Rename last, so a reader never sees half a message.
    tmp.replace(mail_dir / name)
    return name


class _Handler:
    """aiosmtpd handler that stores each accepted message."""

    def __init__(self, mail_dir: Path) -> None:
        self.mail_dir = mail_dir

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        """Store the message with its envelope sender and recipients on top."""
        content = envelope.original_content or b""
        # The envelope says who really got the mail (Bcc recipients are in no header).
        head = f"X-Envelope-From: {envelope.mail_from}\r\nX-Envelope-To: {', '.join(envelope.rcpt_tos)}\r\n"
        await asyncio.to_thread(_save, self.mail_dir, head.encode() + content)
        return "250 Message accepted for delivery"


def _prepare(mail_dir: Path) -> None:
    """Create the mail folder and drop messages half-written by a run that was killed mid-message."""
    mail_dir.mkdir(parents=True, exist_ok=True)
    for leftover in mail_dir.glob(".*.tmp"):
        leftover.unlink()


def _summaries(mail_dir: Path) -> list[dict[str, Any]]:
    """Return name, sender, recipients, subject and dates of every message, oldest first."""
    parser = BytesHeaderParser(policy=policy.default)
    out = []
    for name in _message_names(mail_dir):
        msg = parser.parsebytes((mail_dir / name).read_bytes())
        received = datetime.strptime(name[:21], "%Y%m%dT%H%M%S%f").replace(tzinfo=UTC).isoformat()
        out.append(
            {
                "name": name,
                "from": str(msg.get("From", "")),
                "to": str(msg.get("To", "")),
                "subject": str(msg.get("Subject", "")),
                # Many senders (aiosmtplib among them) add no Date header; the time we received it is always known.
                "date": str(msg.get("Date", "")) or received,
                "received": received,
                "recipients": [r.strip() for r in str(msg.get("X-Envelope-To", "")).split(",") if r.strip()],
            }
        )
    return out


def _page(summaries: list[dict[str, Any]]) -> str:
    """Return the HTML list of messages, newest first."""
    rows = "".join(
        f"<tr><td>{html.escape(s['received'][:19].replace('T', ' '))} UTC</td>"
        f"<td>{html.escape(s['from'])}</td><td>{html.escape(s['to'])}</td>"
        f'<td><a href="/messages/{html.escape(s["name"])}">{html.escape(s["subject"]) or "(no subject)"}</a>'
        "</td></tr>"
        for s in reversed(summaries)
    )
    return (
        '<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Caught mail</title></head><body>'
        f"<h1>Caught mail ({len(summaries)})</h1><table><thead><tr><th>Time</th><th>From</th><th>To</th>"
        f"<th>Subject</th></tr></thead><tbody>{rows}</tbody></table></body></html>"
    )


def _route(mail_dir: Path, method: str, target: str) -> tuple[int, str, bytes]:
    """Return status, content type and body for one request."""
    if method not in ("GET", "HEAD"):
        return 405, "text/plain; charset=utf-8", b"method not allowed\n"
    path = urlsplit(target).path
    if path == "/health":
        return 200, "text/plain; charset=utf-8", b"ok"
    if path == "/":
        return 200, "text/html; charset=utf-8", _page(_summaries(mail_dir)).encode()
    if path == "/api/messages":
        return 200, "application/json", json.dumps(_summaries(mail_dir)).encode()
    if path.startswith("/messages/"):
        name = unquote(path.removeprefix("/messages/"))
        if NAME.match(name) and (mail_dir / name).is_file():
            return 200, "text/plain; charset=utf-8", (mail_dir / name).read_bytes()
    return 404, "text/plain; charset=utf-8", b"not found\n"


async def _http(mail_dir: Path, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    """Answer one HTTP/1.1 request and close the connection."""
    try:
        head = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), timeout=10)
        method, target, _ = head.split(b"\r\n", 1)[0].decode("latin-1").split(" ", 2)
    except (asyncio.IncompleteReadError, asyncio.LimitOverrunError, TimeoutError, ValueError):
        # Also what a bare port probe (connect, then close) ends up as; nobody is left to answer.
        writer.close()
        return
    try:
        status, ctype, body = await asyncio.to_thread(_route, mail_dir, method, target)
    except Exception as exc:  # noqa: BLE001 (one broken file must not stop the catcher; report it instead)
        status, ctype, body = 500, "text/plain; charset=utf-8", f"{type(exc).__name__}: {exc}\n".encode()
    reason = {200: "OK", 404: "Not Found", 405: "Method Not Allowed", 500: "Internal Server Error"}[status]
    # nosniff: mail bodies are shown as text, never rendered as HTML by a browser guessing.
    writer.write(
        f"HTTP/1.1 {status} {reason}\r\nContent-Type: {ctype}\r\nContent-Length: {len(body)}\r\n"
        "X-Content-Type-Options: nosniff\r\nCache-Control: no-store\r\nConnection: close\r\n\r\n".encode()
    )
    if method != "HEAD":
        writer.write(body)
    with contextlib.suppress(ConnectionError):  # the client may hang up before reading the answer
        await writer.drain()
    writer.close()


async def serve(mail_dir: Path, *, smtp_port: int, http_port: int, host: str = LOCALHOST) -> None:
    """Run the SMTP and HTTP servers until cancelled."""
    ensure_port_free(smtp_port, "mail catcher SMTP", "--smtp-port")
    ensure_port_free(http_port, "mail catcher HTTP", "--http-port")
    _prepare(mail_dir)
    handler = _Handler(mail_dir)
    loop = asyncio.get_running_loop()
    # A fixed hostname: aiosmtpd's default looks up the FQDN, which can hang on machines with slow DNS.
    smtp = await loop.create_server(
        lambda: SMTP(handler, data_size_limit=MAX_MESSAGE, hostname="mailcatcher", enable_SMTPUTF8=True),
        host,
        smtp_port,
    )
    web = await asyncio.start_server(lambda r, w: _http(mail_dir, r, w), host, http_port, limit=MAX_REQUEST_HEAD)
    async with smtp, web:
        print(
            f"mailcatcher: SMTP on {host}:{smtp_port}, web on http://{host}:{http_port}/, mail in {mail_dir}",
            flush=True,
        )
        await asyncio.gather(smtp.serve_forever(), web.serve_forever())


def main(argv: list[str] | None = None) -> int:
    """Run the mail catcher from the command line."""
    parser = argparse.ArgumentParser(prog="python -m deploy.mailcatcher", description=__doc__)
    parser.add_argument("--dir", type=Path, required=True, help="folder for the .eml files")
    parser.add_argument("--smtp-port", type=int, default=1025)
    parser.add_argument("--http-port", type=int, default=8025)
    args = parser.parse_args(argv)
    try:
        asyncio.run(serve(args.dir, smtp_port=args.smtp_port, http_port=args.http_port))
    except PortInUse as exc:
        print(f"mailcatcher: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        pass
    return 0


if __name__ == "__main__":
    sys.exit(main())

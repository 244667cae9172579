"""The real components of deploy/ start, serve and stop on free ports in a temporary folder."""

from __future__ import annotations

import asyncio
import contextlib
import json
import socket
import subprocess
import sys
from collections.abc import Iterator
from email.message import EmailMessage
from pathlib import Path

import aiosmtplib
import asyncpg
import pytest
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer
from aiokafka.admin import AIOKafkaAdminClient, NewTopic

from deploy.kafka import KafkaBroker
from deploy.mailcatcher import read_messages
from deploy.ports import PortInUse, free_port, wait_for_port
from deploy.postgres import PostgresServer

REPO = Path(__file__).resolve().parents[2]


@contextlib.contextmanager
def listening() -> Iterator[int]:
    """Hold a listening socket on a free port for the duration of a with block."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen()
        yield int(sock.getsockname()[1])


async def _consume_one(bootstrap: str, topic: str) -> bytes | None:
    """Read the first message of a topic from the beginning."""
    consumer = AIOKafkaConsumer(topic, bootstrap_servers=bootstrap, auto_offset_reset="earliest", group_id=None)
    await consumer.start()
    try:
        record = await asyncio.wait_for(consumer.getone(), timeout=30)
        value: bytes | None = record.value
        return value
    finally:
        await consumer.stop()


@pytest.mark.timeout(240)
async def test_kafka_round_trip_and_restart_keeps_data(tmp_path: Path) -> None:
    broker = KafkaBroker(tmp_path / "kafka", port=free_port(), controller_port=free_port())
    broker.start()
    try:
        assert broker.is_running() and broker.pid is not None
        admin = AIOKafkaAdminClient(bootstrap_servers=broker.bootstrap_servers)
        await admin.start()
        try:
            await admin.create_topics([NewTopic("components.check", num_partitions=1, replication_factor=1)])
        finally:
            await admin.close()
        producer = AIOKafkaProducer(bootstrap_servers=broker.bootstrap_servers, acks="all")
        await producer.start()
        try:
            await producer.send_and_wait("components.check", b"hello")
        finally:
            await producer.stop()
        assert await _consume_one(broker.bootstrap_servers, "components.check") == b"hello"

        # Killed like a crash, then started again on the same folder: the message is still there.
        broker.kill()
        assert not broker.is_running()
        broker.start()
        assert await _consume_one(broker.bootstrap_servers, "components.check") == b"hello"
    finally:
        broker.stop()
    assert not broker.is_running()


def test_kafka_port_in_use(tmp_path: Path) -> None:
    with pytest.raises(PortInUse, match="already in use"), listening() as port:
        KafkaBroker(tmp_path / "kafka", port=port, controller_port=free_port()).start()


@pytest.fixture
def postgres(tmp_path: Path) -> Iterator[PostgresServer]:
    server = PostgresServer(tmp_path / "pg", port=free_port())
    server.start()
    try:
        yield server
    finally:
        server.stop()
    assert not server.is_running()


async def test_postgres_ensure_database_is_idempotent(postgres: PostgresServer) -> None:
    await postgres.ensure_database("components_check")
    await postgres.ensure_database("components_check")
    conn = await asyncpg.connect(postgres.dsn("components_check"))
    try:
        await conn.execute("CREATE TABLE t (x int)")
        await conn.execute("INSERT INTO t VALUES (41)")
        assert await conn.fetchval("SELECT x + 1 FROM t") == 42
        assert await conn.fetchval("SHOW fsync") == "on"
    finally:
        await conn.close()
    assert postgres.url("components_check").startswith("postgresql+asyncpg://postgres@127.0.0.1:")
    with pytest.raises(ValueError):
        await postgres.ensure_database('x"; DROP DATABASE postgres; --')


async def test_postgres_restart_after_crash_keeps_data(postgres: PostgresServer) -> None:
    await postgres.ensure_database("kept")
    conn = await asyncpg.connect(postgres.dsn("kept"))
    try:
        await conn.execute("CREATE TABLE kept (x int)")
        await conn.execute("INSERT INTO kept VALUES (41), (42)")  # committed: on disk before the crash (fsync on)
    finally:
        await conn.close()
    postgres.kill()
    assert not postgres.is_running()
    postgres.start()
    conn = await asyncpg.connect(postgres.dsn("kept"))
    try:
        assert [r["x"] for r in await conn.fetch("SELECT x FROM kept ORDER BY x")] == [41, 42]
    finally:
        await conn.close()


def test_postgres_port_in_use(postgres: PostgresServer, tmp_path: Path) -> None:
    with pytest.raises(PortInUse, match=f"port {postgres.port} \\(PostgreSQL\\)"):
        PostgresServer(tmp_path / "other", port=postgres.port).start()


@pytest.fixture
def mailcatcher(tmp_path: Path) -> Iterator[tuple[Path, int, int]]:
    mail_dir, smtp_port, http_port = tmp_path / "mail", free_port(), free_port()
    cmd = [
        sys.executable,
        "-m",
        "deploy.mailcatcher",
        "--dir",
        str(mail_dir),
        "--smtp-port",
        str(smtp_port),
        "--http-port",
        str(http_port),
    ]
    proc = subprocess.Popen(cmd, cwd=REPO)
    try:
        wait_for_port("127.0.0.1", http_port, timeout=15)
        wait_for_port("127.0.0.1", smtp_port, timeout=15)
        yield mail_dir, smtp_port, http_port
    finally:
        proc.terminate()
        proc.wait(10)


async def _get(port: int, raw_path: str) -> tuple[int, bytes]:
    """Send a GET with the path exactly as given (no client-side normalising) and return status and body."""
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    writer.write(f"GET {raw_path} HTTP/1.1\r\nHost: localhost\r\n\r\n".encode())
    await writer.drain()
    response = await reader.read()
    writer.close()
    head, _, body = response.partition(b"\r\n\r\n")
    return int(head.split()[1]), body


async def test_mailcatcher_catches_and_lists_mail(mailcatcher: tuple[Path, int, int]) -> None:
    mail_dir, smtp_port, http_port = mailcatcher
    msg = EmailMessage()
    msg["From"] = "noreply@rummelig.test"
    msg["To"] = "deltager@example.dk"
    msg["Subject"] = "Velkommen <til> forløbet"
    msg.set_content("Hej og velkommen.")
    await aiosmtplib.send(msg, hostname="127.0.0.1", port=smtp_port)

    status, body = await _get(http_port, "/api/messages")
    assert status == 200
    [listed] = json.loads(body)
    assert listed["subject"] == "Velkommen <til> forløbet"
    assert listed["to"] == "deltager@example.dk"
    assert read_messages(mail_dir)[0].get_content().strip() == "Hej og velkommen."

    status, page = await _get(http_port, "/")
    assert status == 200 and b"Velkommen &lt;til&gt;" in page
    status, raw = await _get(http_port, f"/messages/{listed['name']}")
    assert status == 200 and b"Subject:" in raw
    assert (await _get(http_port, "/health")) == (200, b"ok")
    for evil in ("/messages/..%2f..%2fetc%2fpasswd", "/messages/../../etc/passwd", "/messages/%2e%2e"):
        assert (await _get(http_port, evil))[0] == 404


async def test_mailcatcher_refuses_oversized_mail(mailcatcher: tuple[Path, int, int]) -> None:
    mail_dir, smtp_port, _ = mailcatcher
    msg = EmailMessage()
    msg["From"], msg["To"], msg["Subject"] = "a@rummelig.test", "b@example.dk", "too big"
    msg.set_content("x" * (1100 * 1024))
    with pytest.raises(aiosmtplib.SMTPException):
        await aiosmtplib.send(msg, hostname="127.0.0.1", port=smtp_port)
    assert read_messages(mail_dir) == []


def test_mailcatcher_port_in_use(tmp_path: Path) -> None:
    with listening() as port:
        cmd = [
            sys.executable,
            "-m",
            "deploy.mailcatcher",
            "--dir",
            str(tmp_path),
            "--smtp-port",
            str(port),
            "--http-port",
            str(free_port()),
        ]
        result = subprocess.run(cmd, cwd=REPO, capture_output=True, text=True, timeout=30)
    assert result.returncode == 2
    assert f"port {port} (mail catcher SMTP) is already in use" in result.stderr

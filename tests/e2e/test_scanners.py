"""The personal-data scanners on the real stack, each shown finding a synthetic CPR number planted where it looks (a
table, a topic, a log line, an email), with its dash and without, and finding nothing of one never planted: a scan
that finds nothing proves nothing until the scanner has been seen to find (issue 23).

Every plant is removed afterwards, so that the erasure journey's scans of the whole stack stay clean in any order."""

from __future__ import annotations

import json
import random
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from email.message import EmailMessage
from uuid import uuid4

import aiosmtplib
import asyncpg
import pytest
from aiokafka import AIOKafkaProducer
from aiokafka.admin import AIOKafkaAdminClient, NewTopic

from deploy.mailcatcher import read_messages
from deploy.ports import LOCALHOST
from deploy.stack import Stack
from deploy.synthetic import synthetic_citizen
from tests.fixtures import kafka_tools
from tests.fixtures.kafka_tools import eventually
from tests.fixtures.personal_data import found_in_logs, found_in_mail, found_in_tables, found_on_topics

pytestmark = pytest.mark.stack
Record = tuple[bytes, list[tuple[str, bytes]], bytes | None]  # value, headers, key


def _cprs(count: int, *, seed: int) -> list[str]:
    """Distinct made-up CPR numbers (a fixed seed, so that a failure can be replayed), never a real person's."""
    rng = random.Random(seed)
    cprs = [synthetic_citizen(rng).cpr for _ in range(count)]
    assert len(set(cprs)) == count
    return cprs


def _forms(cpr: str) -> list[str]:
    """A CPR number as it may be written: with its dash and without."""
    return [cpr, cpr.replace("-", "")]


def _naming(found: list[str], values: list[str]) -> list[str]:
    """The findings that name one of the values."""
    return [finding for finding in found if any(repr(value) in finding for value in values)]


async def test_the_table_scanner_finds_a_cpr_number_planted_as_text_or_as_bytes(stack: Stack) -> None:
    planted, absent = _cprs(2, seed=2026_23_01)
    probe = f"scanner_probe_{uuid4().hex[:8]}"
    connection = await asyncpg.connect(stack.postgres.dsn("intake"))
    try:
        await connection.execute(f"CREATE TABLE {probe}_text (note text); CREATE TABLE {probe}_bytes (blob bytea)")
        for value in _forms(planted):
            await connection.execute(f"INSERT INTO {probe}_text (note) VALUES ($1)", f"note: {value}.")
            # plain UTF-8 bytes, as a column meant for ciphertext would hold a plaintext written by mistake
            await connection.execute(f"INSERT INTO {probe}_bytes (blob) VALUES ($1)", f"note: {value}.".encode())
        scanned, found = await found_in_tables(stack, [*_forms(planted), *_forms(absent)])
    finally:
        await connection.execute(f"DROP TABLE IF EXISTS {probe}_text; DROP TABLE IF EXISTS {probe}_bytes")
        await connection.close()
    assert scanned > 0
    assert sorted(found) == sorted(
        f"{value!r} in intake.{probe}_{kind}" for value in _forms(planted) for kind in ("text", "bytes")
    )
    assert _naming(found, _forms(absent)) == []


@asynccontextmanager
async def _throwaway_topic(stack: Stack, monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[str]:
    """A topic of one partition no service reads or counts, deleted afterwards."""
    topic = f"scanner-probe-{uuid4().hex[:8]}"
    admin = AIOKafkaAdminClient(bootstrap_servers=stack.kafka.bootstrap_servers)
    await admin.start()
    try:
        await admin.create_topics([NewTopic(topic, num_partitions=1, replication_factor=1)])
        # read_topic knows the partitions of the system's own topics only
        monkeypatch.setitem(kafka_tools.PARTITIONS, topic, 1)
        yield topic
    finally:
        await admin.delete_topics([topic])
        await admin.close()


async def _send(producer: AIOKafkaProducer, topic: str, records: list[Record]) -> None:
    for value, headers, key in records:
        await producer.send_and_wait(topic, value, key=key, headers=headers)


def _note(text: str) -> bytes:
    return json.dumps({"note": text}).encode()


async def test_the_topic_scanner_finds_a_cpr_number_in_a_value_a_header_or_a_key(
    stack: Stack, producer: AIOKafkaProducer, monkeypatch: pytest.MonkeyPatch
) -> None:
    in_value, in_header, in_key, absent = _cprs(4, seed=2026_23_02)
    records: list[Record] = [
        *((_note(value), [], None) for value in _forms(in_value)),
        *((_note("nothing here"), [("note", value.encode())], None) for value in _forms(in_header)),
        *((_note("nothing here"), [], value.encode()) for value in _forms(in_key)),
    ]
    forbidden = [*_forms(in_value), *_forms(in_header), *_forms(in_key), *_forms(absent)]
    async with _throwaway_topic(stack, monkeypatch) as topic:
        await _send(producer, topic, records)
        scanned, found = await found_on_topics(stack, forbidden, topics=[topic])
    assert scanned == len(records)
    assert sorted(f for f in found if "CPR-like" not in f) == sorted(
        f"{value!r} on {topic}" for cpr in (in_value, in_header, in_key) for value in _forms(cpr)
    )
    assert _naming(found, _forms(absent)) == []


async def test_the_topic_scanner_reports_a_cpr_like_number_it_was_not_told_of(
    stack: Stack, producer: AIOKafkaProducer, monkeypatch: pytest.MonkeyPatch
) -> None:
    in_value, in_header, in_key, absent = _cprs(4, seed=2026_23_03)
    records: list[Record] = [
        (_note(in_value), [], None),
        (_note("nothing here"), [("note", in_header.replace("-", "").encode())], None),
        (_note("nothing here"), [], in_key.encode()),
        # no CPR number, only numbers that merely resemble one: an id whose groups are digits, a phone number
        (_note(f"{uuid4()} 00000000-0000-4000-8000-000000000000 +45 61 62 63 64"), [], str(uuid4()).encode()),
    ]
    async with _throwaway_topic(stack, monkeypatch) as topic:
        await _send(producer, topic, records)
        scanned, found = await found_on_topics(stack, _forms(absent), topics=[topic])
    assert (scanned, found) == (len(records), [f"a CPR-like number on {topic}"] * 3)


def test_the_log_scanner_finds_a_cpr_number_on_a_log_line(stack: Stack) -> None:
    planted, absent = _cprs(2, seed=2026_23_04)
    log = stack.config.state_dir / "logs" / f"scanner-probe-{uuid4().hex[:8]}.log"
    try:
        log.write_text(f"level=info event=probe cpr={planted}\nlevel=info event=probe cpr={planted.replace('-', '')}\n")
        scanned, found = found_in_logs(stack, [*_forms(planted), *_forms(absent)])
    finally:
        log.unlink(missing_ok=True)
    assert scanned > 0
    assert sorted(found) == sorted(f"{value!r} in {log.name}" for value in _forms(planted))
    assert _naming(found, _forms(absent)) == []


async def test_the_mail_scanner_finds_a_cpr_number_in_an_email_and_reports_one_it_was_not_told_of(
    stack: Stack,
) -> None:
    planted, in_subject, in_body, absent = _cprs(4, seed=2026_23_05)
    probe = f"planted-{uuid4().hex[:12]}"
    mails = {  # address: subject, body
        f"{probe}@example.org": ("Probe", f"CPR-nummer {planted}, også skrevet {planted.replace('-', '')}.\n"),
        f"{probe}-subject@example.org": (f"Probe {in_subject}", "Intet her.\n"),
        f"{probe}-body@example.org": ("Probe", f"CPR-nummer {in_body.replace('-', '')}.\n"),
        f"{probe}-clean@example.org": ("Probe", "Intet personnummer her, telefon +45 61 62 63 64.\n"),
    }
    try:
        for to, (subject, body) in mails.items():
            message = EmailMessage()
            message["From"], message["To"], message["Subject"] = "scanner-probe@example.org", to, subject
            message.set_content(body)
            await aiosmtplib.send(message, hostname=LOCALHOST, port=stack.config.smtp_port)

        async def caught() -> bool:
            return set(mails) <= {str(m["To"]) for m in read_messages(stack.mail_dir)}

        await eventually(caught, timeout=10)
        scanned, found = found_in_mail(stack, [*_forms(planted), *_forms(absent)])
    finally:
        # the catcher keeps every message as a file: ours go, so that no later scan of all mail reports them
        for path in stack.mail_dir.glob("*.eml"):
            if probe.encode() in path.read_bytes():
                path.unlink()
    assert scanned >= len(mails)
    assert {f for f in found if "CPR-like" not in f} == {
        f"{value!r} in an email to {probe}@example.org" for value in _forms(planted)
    }
    assert {f for f in found if "CPR-like" in f and probe in f} == {
        f"a CPR-like number to {probe}{label}@example.org" for label in ("", "-subject", "-body")
    }
    assert _naming(found, _forms(absent)) == []

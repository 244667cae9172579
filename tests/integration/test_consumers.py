"""Consumers on the real broker: duplicates change nothing (an exit delivered twice: with first_deliveries returning
every id the test fails, four checks instead of two), poison is dead-lettered, restarts lose nothing."""

from __future__ import annotations

import functools
from datetime import date
from typing import Any
from uuid import UUID, uuid4

import asyncpg
import pytest
from aiokafka import AIOKafkaProducer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient

from deploy.stack import Stack
from services.topology import subscriptions
from shared.contracts import ParticipationCompleted, to_event
from shared.envelope import CloudEvent
from shared.topics import (
    ENROLMENT_COMMANDS,
    FOLLOWUP_COMMANDS,
    PARTICIPATION_EVENTS,
    REFERRAL_EVENTS,
    dead_letter_topic,
)
from tests.fixtures.events import referral_event, send
from tests.fixtures.kafka_tools import eventually, read_topic

pytestmark = pytest.mark.stack


async def fetch(stack: Stack, service: str, query: str, *args: Any) -> Any:
    """One value from a service's database."""
    conn = await asyncpg.connect(stack.postgres.dsn(service))
    try:
        return await conn.fetchval(query, *args)
    finally:
        await conn.close()


async def test_a_duplicate_delivery_changes_nothing(stack: Stack, producer: AIOKafkaProducer) -> None:
    # An exit, whose effects no key caps: a second copy would schedule follow-up's checks for a second exit and count
    # another exit in reporting (tests/handlers/test_duplicate_deliveries.py shows it without the inbox check).
    referred = referral_event()
    pid = UUID(referred.data["participant_id"])
    await send(producer, REFERRAL_EVENTS, referred)
    await eventually(
        functools.partial(fetch, stack, "followup", "SELECT 1 FROM followup_case WHERE participant_id = $1", pid)
    )
    left = to_event(
        ParticipationCompleted(participant_id=pid, course_id="duplicates", left_on=date(2026, 6, 30)), source="tests"
    )
    await send(producer, PARTICIPATION_EVENTS, left)
    again = await producer.send_and_wait(  # the same ce_id again, as after a relay crash
        PARTICIPATION_EVENTS,
        left.value(),
        key=left.subject.encode(),
        headers=[(k, v.encode()) for k, v in left.headers().items()],
    )
    readers = [name for name, topics in subscriptions().items() if PARTICIPATION_EVENTS in topics]
    copy = TopicPartition(PARTICIPATION_EVENTS, again.partition)

    async def read_past_the_copy() -> bool:  # every reader's group has committed beyond the second copy
        admin = AIOKafkaAdminClient(bootstrap_servers=stack.kafka.bootstrap_servers)
        await admin.start()
        try:
            for group in readers:
                committed = (await admin.list_consumer_group_offsets(group)).get(copy)
                if committed is None or committed.offset <= again.offset:
                    return False
            return True
        finally:
            await admin.close()

    await eventually(read_past_the_copy, timeout=60)
    query = "SELECT count(*) FROM processed_event WHERE event_id = $1"
    exits = "SELECT count(*) FROM deadline WHERE participant_id = $1 AND exit_number > 1"
    assert await fetch(stack, "followup", "SELECT count(*) FROM deadline WHERE participant_id = $1", pid) == 2
    assert await fetch(stack, "followup", exits, pid) == 0
    assert await fetch(stack, "reporting", "SELECT exits FROM participant_progress WHERE participant_id = $1", pid) == 1
    assert await fetch(stack, "intake", "SELECT count(*) FROM timeline_entry WHERE event_id = $1", left.id) <= 1
    for service in readers:
        assert await fetch(stack, service, query, left.id) == 1


def _malicious() -> tuple[bytes, list[tuple[str, bytes]]]:
    event = referral_event()
    data = {**event.data, "programme_id": "x'); DROP TABLE participant_progress;--", "municipality": "<script>"}
    bad = event.model_copy(update={"data": data})
    return bad.value(), [(k, v.encode()) for k, v in bad.headers().items()]


POISON: dict[str, tuple[bytes, list[tuple[str, bytes]]]] = {
    "malicious data": _malicious(),
    "missing fields": (
        b'{"participant_id": "00000000-0000-4000-8000-000000000001"}',
        [(k, v.encode()) for k, v in referral_event().headers().items()],
    ),
    "not json": (b"\x00\xff not json", [("ce_specversion", b"1.0")]),
    "no envelope": (b'{"participant_id": "x"}', []),
    "oversized": (b'{"pad": "' + b"x" * 70_000 + b'"}', [("ce_specversion", b"1.0")]),
    # FastStream decodes every header before our code runs: this one must not stop the partition for ever
    "a header that is not UTF-8": (
        referral_event().value(),
        [*((k, v.encode()) for k, v in referral_event().headers().items() if k != "ce_source"), ("ce_source", b"\xff")],
    ),
}


@pytest.mark.parametrize("kind", POISON)
async def test_a_poison_message_is_dead_lettered_and_the_consumer_goes_on(
    stack: Stack, producer: AIOKafkaProducer, kind: str
) -> None:
    value, headers = POISON[kind]
    key = str(uuid4()).encode()
    await producer.send_and_wait(REFERRAL_EVENTS, value, key=key, headers=headers)
    after = referral_event()
    after = after.model_copy(update={"subject": key.decode(), "data": {**after.data, "participant_id": key.decode()}})
    await send(producer, REFERRAL_EVENTS, after)  # same key, same partition: behind the poison
    await eventually(
        lambda: fetch(
            stack, "reporting", "SELECT count(*) FROM participant_progress WHERE participant_id = $1", after.subject
        )
    )
    dlt = dead_letter_topic(REFERRAL_EVENTS, "reporting")
    parked = [r for r in await read_topic(stack.kafka.bootstrap_servers, dlt) if r.key == key]
    assert len(parked) == 1
    headers_out = {k: v.decode() for k, v in parked[0].headers}
    assert headers_out["dlt_reason"] == "invalid"
    assert headers_out["dlt_topic"] == REFERRAL_EVENTS
    assert parked[0].value == value


async def test_an_event_with_invalid_data_is_dead_lettered_with_the_reason(
    stack: Stack, producer: AIOKafkaProducer
) -> None:
    bad = CloudEvent(
        type="participation.completed",
        version=1,
        source="tests",
        subject=str(uuid4()),
        data={"participant_id": "not-a-uuid", "left_on": "yesterday"},
    )
    await send(producer, PARTICIPATION_EVENTS, bad)
    dlt = dead_letter_topic(PARTICIPATION_EVENTS, "reporting")

    async def parked() -> list[Any]:
        return [r for r in await read_topic(stack.kafka.bootstrap_servers, dlt) if r.key == bad.subject.encode()]

    records = await eventually(parked)
    reason = dict(records[0].headers)["dlt_error"].decode()
    assert "participation.completed v1 data invalid" in reason


async def test_an_event_whose_subject_is_not_the_participant_it_names_is_dead_lettered_by_every_reader(
    stack: Stack, producer: AIOKafkaProducer
) -> None:
    event = referral_event("mismatch-tests")
    stray = event.model_copy(update={"subject": str(uuid4())})  # the data names another participant
    await send(producer, REFERRAL_EVENTS, stray)
    for service in ("intake", "followup", "reporting"):
        dlt = dead_letter_topic(REFERRAL_EVENTS, service)

        async def parked(dlt: str = dlt) -> list[Any]:
            return [r for r in await read_topic(stack.kafka.bootstrap_servers, dlt) if r.key == stray.subject.encode()]

        records = await eventually(parked)
        headers = {k: v.decode() for k, v in records[0].headers}
        assert headers["dlt_reason"] == "invalid", service
        assert "is not the participant_id" in headers["dlt_error"], service
    assert (
        await fetch(
            stack,
            "reporting",
            "SELECT count(*) FROM participant_progress WHERE participant_id = $1::uuid",
            event.subject,
        )
        == 0
    )


async def test_a_service_killed_mid_stream_resumes_from_its_committed_offset_without_loss(
    stack: Stack, producer: AIOKafkaProducer
) -> None:
    events = [referral_event("restart-tests") for _ in range(300)]

    async def processed() -> int:
        return int(
            await fetch(
                stack, "reporting", "SELECT count(*) FROM participant_progress WHERE programme_id = 'restart-tests'"
            )
        )

    for event in events[:150]:
        await send(producer, REFERRAL_EVENTS, event)
    await eventually(lambda: _at_least(processed, 20))
    stack.stop_service("reporting", kill=True)  # kill -9, mid-stream
    for event in events[150:]:
        await send(producer, REFERRAL_EVENTS, event)  # arrives while the service is down
    stack.start_service("reporting")
    await stack.wait_healthy("reporting")
    assert await eventually(lambda: _equals(processed, 300), timeout=60) == 300
    ids = [e.id for e in events]
    assert (
        await fetch(stack, "reporting", "SELECT count(*) FROM processed_event WHERE event_id = ANY($1::uuid[])", ids)
        == 300
    )


async def _at_least(probe: Any, n: int) -> bool:
    return bool(await probe() >= n)


async def _equals(probe: Any, n: int) -> int | None:
    value = await probe()
    return value if value == n else None


@pytest.mark.parametrize("topic", sorted({t for topics in subscriptions().values() for t in topics}))
async def test_every_subscription_parks_poison_on_its_own_dead_letter_topic(
    stack: Stack, producer: AIOKafkaProducer, topic: str
) -> None:
    key = f"poison-{uuid4()}".encode()
    await producer.send_and_wait(topic, b"\x00garbage", key=key, headers=[("ce_specversion", b"1.0")])
    for service, topics in subscriptions().items():
        if topic not in topics:
            continue
        dlt = dead_letter_topic(topic, service)

        async def parked(dlt: str = dlt) -> list[Any]:
            return [r for r in await read_topic(stack.kafka.bootstrap_servers, dlt) if r.key == key]

        records = await eventually(parked)
        assert dict(records[0].headers)["dlt_consumer"].decode() == service


@pytest.mark.parametrize("topic", [ENROLMENT_COMMANDS, FOLLOWUP_COMMANDS])
async def test_an_unknown_command_type_is_dead_lettered_not_ignored(
    stack: Stack, producer: AIOKafkaProducer, topic: str
) -> None:
    command = CloudEvent(type="participation.teleport", version=1, source="tests", subject=str(uuid4()), data={})
    await send(producer, topic, command)
    service = topic.split(".")[0]

    async def parked() -> list[Any]:
        return [
            r
            for r in await read_topic(stack.kafka.bootstrap_servers, dead_letter_topic(topic, service))
            if r.key == command.subject.encode()
        ]

    records = await eventually(parked)
    assert "unknown command type" in dict(records[0].headers)["dlt_error"].decode()

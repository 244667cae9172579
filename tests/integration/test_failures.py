"""Processes die and infrastructure restarts: nothing is lost, nothing is applied twice."""

from __future__ import annotations

import asyncio
import random
import time
from typing import Any

import asyncpg
import httpx
import pytest
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer
from aiokafka.admin import AIOKafkaAdminClient

from deploy.stack import SERVICES, Stack
from deploy.synthetic import referral_body, synthetic_citizen
from services.topology import subscriptions
from shared.topics import REFERRAL_EVENTS, dead_letter_topic
from tests.fixtures.events import referral_event, send
from tests.fixtures.kafka_tools import eventually, read_topic

pytestmark = pytest.mark.stack
rng = random.Random(31)
# every service whose consumer group reads REFERRAL_EVENTS, as the handlers they register say (enrolment included)
REFERRAL_CONSUMERS = tuple(name for name, topics in subscriptions().items() if REFERRAL_EVENTS in topics)
MARKED = "SELECT 1 AS marked FROM processed_event WHERE consumer = $1 AND event_id = $2"
# What shared/dead_letter.py logs when a consumer's handler meets a database or network outage and waits it out.
OUTAGE_LOG = '"outage while consuming, waiting"'


async def _progress_rows(stack: Stack, participant_id: str) -> int:
    conn = await asyncpg.connect(stack.postgres.dsn("reporting"))
    try:
        return int(
            await conn.fetchval("SELECT count(*) FROM participant_progress WHERE participant_id = $1", participant_id)
        )
    finally:
        await conn.close()


async def _all_healthy(stack: Stack) -> None:
    await asyncio.gather(*(stack.wait_healthy(name, timeout=90) for name in SERVICES))


async def _row(stack: Stack, database: str, query: str, *args: Any) -> dict[str, Any] | None:
    conn = await asyncpg.connect(stack.postgres.dsn(database))
    try:
        row = await conn.fetchrow(query, *args)
        return None if row is None else dict(row)
    finally:
        await conn.close()


def _log_size(stack: Stack, name: str) -> int:
    path = stack.config.state_dir / "logs" / f"{name}.log"
    return path.stat().st_size if path.exists() else 0


def _log_since(stack: Stack, name: str, offset: int) -> str:
    with (stack.config.state_dir / "logs" / f"{name}.log").open("rb") as log:
        log.seek(offset)
        return log.read().decode("utf-8", "replace")


async def _lag(stack: Stack, groups: tuple[str, ...]) -> dict[str, int]:
    """Records not yet committed by each consumer group, over every partition the group has committed on."""
    admin = AIOKafkaAdminClient(bootstrap_servers=stack.kafka.bootstrap_servers)
    ends = AIOKafkaConsumer(bootstrap_servers=stack.kafka.bootstrap_servers, enable_auto_commit=False)
    await admin.start()
    await ends.start()
    try:
        lag: dict[str, int] = {}
        for group in groups:
            committed = await admin.list_consumer_group_offsets(group)
            end = await ends.end_offsets(list(committed))
            lag[group] = sum(end[tp] - max(meta.offset, 0) for tp, meta in committed.items())
        return lag
    finally:
        await ends.stop()
        await admin.close()


async def _idle(stack: Stack, groups: tuple[str, ...]) -> bool:
    return not any((await _lag(stack, groups)).values())


async def _async(value: bool) -> bool:
    return value


async def test_a_referral_committed_while_kafka_is_crashed_survives_a_crash_of_intake_and_is_delivered(
    stack: Stack, intake: httpx.AsyncClient
) -> None:
    await asyncio.to_thread(stack.kafka.kill)
    try:
        response = await intake.post("/referrals", json=referral_body(synthetic_citizen(rng)))
        assert response.status_code == 201  # the database holds the referral and its event (outbox)
        participant_id = response.json()["participant_id"]
        stack.stop_service("intake", kill=True)  # kill -9 before the relay could publish
    finally:
        await asyncio.to_thread(stack.kafka.start)
    stack.start_service("intake")
    await _all_healthy(stack)
    assert await eventually(lambda: _progress_rows(stack, participant_id), timeout=60) == 1


async def test_the_services_carry_on_after_postgresql_crashes_and_restarts(
    stack: Stack, intake: httpx.AsyncClient
) -> None:
    # Committed before the crash, in every database it reaches: intake's participant (personal data encrypted),
    # follow-up's case and reporting's row (both from referral.registered), enrolment's participation.
    citizen = synthetic_citizen(rng)
    referred = await intake.post("/referrals", json=referral_body(citizen))
    assert referred.status_code == 201, referred.text
    participant_id, case_reference = referred.json()["participant_id"], referred.json()["case_reference"]
    enrolled = await intake.post(f"/participants/{participant_id}/enrolment", json={"course_id": "plus-aarhus-2026"})
    assert enrolled.status_code == 200, enrolled.text
    assert enrolled.json()["fact"]["type"] == "enrolment.confirmed"
    progress_sql = (
        "SELECT programme_id, municipality, referred, enrolled FROM participant_progress WHERE participant_id = $1"
    )
    case_sql = "SELECT case_reference, caseworker_email FROM followup_case WHERE participant_id = $1"
    participation_sql = "SELECT course_id, status, enrolled_on FROM participation WHERE participant_id = $1"

    async def reported() -> dict[str, Any] | None:
        row = await _row(stack, "reporting", progress_sql, participant_id)
        return row if row is not None and row["enrolled"] else None  # the referral and the enrolment both applied

    progress = await eventually(reported, timeout=60)
    assert progress == {"programme_id": "rummelig-plus", "municipality": "751", "referred": True, "enrolled": True}
    case = await eventually(lambda: _row(stack, "followup", case_sql, participant_id), timeout=60)
    assert case["case_reference"] == case_reference
    # Enrolment committed the participation before it published the fact intake answered with.
    participation = await _row(stack, "enrolment", participation_sql, participant_id)
    assert participation is not None and participation["course_id"] == "plus-aarhus-2026"
    assert participation["status"] == "enrolled"

    await asyncio.to_thread(stack.postgres.kill)  # SIGKILL: no shutdown checkpoint, recovery replays the WAL
    try:  # while it is down, an outage is answered as one: 503, try again, at once
        began = time.monotonic()
        down = await intake.post("/referrals", json=referral_body(synthetic_citizen(rng)))
        assert (down.status_code, down.headers.get("retry-after")) == (503, "5"), down.text
        assert down.json()["type"] == "urn:rummelig:problem:unavailable" and time.monotonic() - began < 10
    finally:
        await asyncio.to_thread(stack.postgres.start)
    await _all_healthy(stack)

    # Nothing committed before the crash is lost.
    read = await intake.get(f"/participants/{participant_id}")
    assert read.status_code == 200, read.text
    participant = read.json()
    assert participant["case_reference"] == case_reference
    assert participant["cpr"] == citizen.cpr.replace("-", "") and participant["name"] == citizen.name
    assert await _row(stack, "reporting", progress_sql, participant_id) == progress
    assert await _row(stack, "followup", case_sql, participant_id) == case
    assert await _row(stack, "enrolment", participation_sql, participant_id) == participation

    # And the services carry on: a new referral travels and is enrolled as before the crash.
    response = await intake.post("/referrals", json=referral_body(synthetic_citizen(rng)))
    assert response.status_code == 201, response.text
    new_id = response.json()["participant_id"]
    assert await eventually(lambda: _progress_rows(stack, new_id), timeout=60) == 1
    enrolled = await intake.post(f"/participants/{new_id}/enrolment", json={"course_id": "plus-aarhus-2026"})
    assert enrolled.status_code == 200, enrolled.text


async def test_a_command_the_owner_cannot_answer_in_time_gets_202_and_is_answered_later(
    stack: Stack, intake: httpx.AsyncClient
) -> None:
    participant_id = (await intake.post("/referrals", json=referral_body(synthetic_citizen(rng)))).json()[
        "participant_id"
    ]
    stack.stop_service("enrolment")
    try:
        response = await intake.post(
            f"/participants/{participant_id}/enrolment",
            json={"course_id": "plus-aarhus-2026"},
            headers={"Prefer": "wait=1"},
        )
        assert response.status_code == 202, response.text
        command_id = response.json()["command_id"]
        assert response.headers["location"] == f"/commands/{command_id}"
        timeline = (await intake.get(f"/participants/{participant_id}/timeline")).json()
        assert [c["id"] for c in timeline["pending_commands"]] == [command_id]
    finally:
        stack.start_service("enrolment")
        await stack.wait_healthy("enrolment")

    async def answered() -> str | None:
        status = (await intake.get(f"/commands/{command_id}")).json()["status"]
        return None if status == "pending" else str(status)

    assert await eventually(answered, timeout=60) == "accepted"
    timeline = (await intake.get(f"/participants/{participant_id}/timeline")).json()
    assert timeline["pending_commands"] == []


async def test_events_consumed_while_postgresql_is_down_are_applied_after_it_returns_not_dead_lettered(
    stack: Stack, producer: AIOKafkaProducer
) -> None:
    event = referral_event("outage-tests")
    # The consumers are idle first (nothing left over from earlier tests), so the record each of them meets the
    # outage with below is this event: the outage log line does not name the record.
    await eventually(lambda: _idle(stack, REFERRAL_CONSUMERS), timeout=60)
    logged = {name: _log_size(stack, name) for name in REFERRAL_CONSUMERS}
    await asyncio.to_thread(stack.postgres.stop)
    try:
        await send(producer, REFERRAL_EVENTS, event)

        def met() -> list[str]:
            return [name for name in REFERRAL_CONSUMERS if OUTAGE_LOG in _log_since(stack, name, logged[name])]

        # Every consumer has the event and is waiting the outage out (its handler failed on the database at least
        # once), rather than the restart coming before the event was consumed.
        await eventually(lambda: _async(met() == list(REFERRAL_CONSUMERS)), timeout=30)
    finally:
        await asyncio.to_thread(stack.postgres.start)
    assert await eventually(lambda: _progress_rows(stack, event.subject), timeout=90) == 1
    await _all_healthy(stack)

    async def applied_by_every_reader() -> bool:  # before the dead-letter topics are read: each has settled it
        marks = [await _row(stack, name, MARKED, name, event.id) for name in REFERRAL_CONSUMERS]
        return all(marks)

    await eventually(applied_by_every_reader, timeout=90)
    for service in REFERRAL_CONSUMERS:
        parked = await read_topic(stack.kafka.bootstrap_servers, dead_letter_topic(REFERRAL_EVENTS, service))
        assert not [r for r in parked if r.key == event.subject.encode()], service

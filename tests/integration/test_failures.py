"""Processes die and infrastructure restarts: nothing is lost, nothing is applied twice."""

from __future__ import annotations

import asyncio
import random

import asyncpg
import httpx
import pytest
from aiokafka import AIOKafkaProducer

from deploy.stack import SERVICES, Stack
from deploy.synthetic import referral_body, synthetic_citizen
from shared.topics import REFERRAL_EVENTS, dead_letter_topic
from tests.fixtures.events import referral_event, send
from tests.fixtures.kafka_tools import eventually, read_topic

pytestmark = pytest.mark.stack
rng = random.Random(31)


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
    await asyncio.to_thread(stack.postgres.kill)
    await asyncio.to_thread(stack.postgres.start)
    await _all_healthy(stack)
    response = await intake.post("/referrals", json=referral_body(synthetic_citizen(rng)))
    assert response.status_code == 201, response.text
    participant_id = response.json()["participant_id"]
    assert await eventually(lambda: _progress_rows(stack, participant_id), timeout=60) == 1
    enrolled = await intake.post(f"/participants/{participant_id}/enrolment", json={"course_id": "vet-aarhus-2026"})
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
            json={"course_id": "vet-aarhus-2026"},
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
    await asyncio.to_thread(stack.postgres.stop)
    try:
        await send(producer, REFERRAL_EVENTS, event)
        await asyncio.sleep(3)  # every consumer meets the outage
    finally:
        await asyncio.to_thread(stack.postgres.start)
    assert await eventually(lambda: _progress_rows(stack, event.subject), timeout=90) == 1
    await _all_healthy(stack)
    for service in ("reporting", "followup", "intake"):
        parked = await read_topic(stack.kafka.bootstrap_servers, dead_letter_topic(REFERRAL_EVENTS, service))
        assert not [r for r in parked if r.key == event.subject.encode()], service

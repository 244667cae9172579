"""A record of an older event version, produced before the change, is still consumed after it, by every reader."""

from __future__ import annotations

import json
from typing import Any

import pytest
from aiokafka import AIOKafkaProducer

from deploy.stack import Stack
from services.topology import subscriptions
from shared.topics import REFERRAL_EVENTS, dead_letter_topic
from tests.fixtures.kafka_tools import eventually, read_topic
from tests.fixtures.records import recorded
from tests.integration.test_consumers import fetch

pytestmark = pytest.mark.stack


async def test_a_v1_referral_kept_from_before_v2_is_consumed_by_every_reader_as_v2(
    stack: Stack, producer: AIOKafkaProducer
) -> None:
    record = recorded("referral.registered.v1")
    participant = record["key"]
    await producer.send_and_wait(
        REFERRAL_EVENTS,
        record["value"].encode(),
        key=participant.encode(),
        headers=[(k, v.encode()) for k, v in record["headers"].items()],
    )

    async def reporting_row() -> Any:
        return await fetch(
            stack, "reporting", "SELECT age_band FROM participant_progress WHERE participant_id = $1", participant
        )

    async def followup_case() -> Any:
        return await fetch(
            stack, "followup", "SELECT case_reference FROM followup_case WHERE participant_id = $1", participant
        )

    async def timeline_data() -> Any:
        return await fetch(
            stack,
            "intake",
            "SELECT data->>'age_band_esf_plus' FROM timeline_entry WHERE participant_id = $1",
            participant,
        )

    assert await eventually(reporting_row) == "over-54"
    assert await eventually(followup_case) == "RUM-900001"

    async def enrolment_referral() -> Any:
        return await fetch(
            stack, "enrolment", "SELECT target_group FROM referral WHERE participant_id = $1", participant
        )

    assert await eventually(timeline_data) == "55-and-over"  # upcast: the v2 field, derived from v1's band
    assert await eventually(enrolment_referral) == json.loads(record["value"])["target_group"]
    readers = [service for service, topics in subscriptions().items() if REFERRAL_EVENTS in topics]
    assert set(readers) == {"intake", "enrolment", "followup", "reporting"}
    for service in readers:
        parked = await read_topic(stack.kafka.bootstrap_servers, dead_letter_topic(REFERRAL_EVENTS, service))
        assert [r for r in parked if r.key == participant.encode()] == [], service

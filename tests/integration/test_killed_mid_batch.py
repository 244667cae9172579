"""A consumer killed with -9 in the middle of its batches of effects no unique key caps: exits, each of which
schedules a participant's checks for a later exit in follow-up and counts one more exit in reporting. Its offsets are
then rewound to before the first exit, as if the crash had come between each batch's commit in the database and its
offsets' commit in Kafka: every exit comes again, those applied already among them. The inbox lets each apply once:
every participant ends with the one exit's two checks and one exit counted. (Without the inbox check the same test
counts the applied ones twice: shown by making shared.inbox.first_deliveries return every id given, 2026-12-05.)"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from datetime import date
from uuid import UUID, uuid4

import asyncpg
import pytest
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition
from aiokafka.errors import KafkaError

from deploy.stack import Stack
from shared.contracts import ParticipationCompleted, to_event
from shared.topics import PARTICIPATION_EVENTS, REFERRAL_EVENTS, dead_letter_topic
from tests.fixtures.events import referral, send
from tests.fixtures.kafka_tools import PARTITIONS, eventually, read_topic

pytestmark = pytest.mark.stack
PARTICIPANTS = 400
PROGRAMME = "mid-batch-tests"
# per service: how many of the participants' exits it has applied so far
APPLIED = {
    "followup": "SELECT count(*) FROM deadline WHERE participant_id = ANY($1::uuid[]) AND check_kind = 'six-month'",
    "reporting": "SELECT coalesce(sum(exits), 0) FROM participant_progress WHERE participant_id = ANY($1::uuid[])",
}


async def _ends(stack: Stack, topic: str) -> dict[TopicPartition, int]:
    """The end offset of each of the topic's partitions now."""
    client = AIOKafkaConsumer(bootstrap_servers=stack.kafka.bootstrap_servers, enable_auto_commit=False)
    await client.start()
    try:
        partitions = [TopicPartition(topic, p) for p in range(PARTITIONS[topic])]
        client.assign(partitions)
        return dict(await client.end_offsets(partitions))
    finally:
        await client.stop()


def _counter(stack: Stack, service: str, pids: list[UUID]) -> Callable[[], Awaitable[int]]:
    async def count() -> int:
        conn = await asyncpg.connect(stack.postgres.dsn(service))
        try:
            return int(await conn.fetchval(APPLIED[service], pids))
        finally:
            await conn.close()

    return count


async def _started(applied: Callable[[], Awaitable[int]]) -> int:
    """Wait until the service has applied some of the exits; how many."""
    while (done := await applied()) == 0:
        await asyncio.sleep(0.01)
    return done


async def _rewind(stack: Stack, group: str, offsets: dict[TopicPartition, int]) -> None:
    """Set the group's committed offsets back; Kafka takes them once the killed member has left the group (its
    session expired), so the commit is tried until it is taken."""
    committer = AIOKafkaConsumer(
        bootstrap_servers=stack.kafka.bootstrap_servers, group_id=group, enable_auto_commit=False
    )
    await committer.start()
    try:
        committer.assign(list(offsets))

        async def taken() -> bool:
            try:
                await committer.commit(dict(offsets))
            except KafkaError:
                return False  # the group still has the dead member
            return True

        await eventually(taken, timeout=90, interval=1.0)
    finally:
        await committer.stop()


async def test_consumers_killed_in_the_middle_of_their_batches_of_exits_apply_each_exit_once(
    stack: Stack, producer: AIOKafkaProducer
) -> None:
    pids = [uuid4() for _ in range(PARTICIPANTS)]
    for pid in pids:
        await send(producer, REFERRAL_EVENTS, to_event(referral(pid, programme_id=PROGRAMME), source="tests"))
    counters = {service: _counter(stack, service, pids) for service in APPLIED}

    async def referred() -> bool:  # the exits then wait for no fact
        conn = await asyncpg.connect(stack.postgres.dsn("followup"))
        try:
            cases = await conn.fetchval(
                "SELECT count(*) FROM followup_case WHERE participant_id = ANY($1::uuid[])", pids
            )
        finally:
            await conn.close()
        return bool(cases == PARTICIPANTS)

    await eventually(referred, timeout=60)
    exits = [
        to_event(
            ParticipationCompleted(participant_id=pid, course_id="mid-batch", left_on=date(2026, 6, 30)), source="tests"
        )
        for pid in pids
    ]
    before = await _ends(stack, PARTICIPATION_EVENTS)
    for event in exits:
        await send(producer, PARTICIPATION_EVENTS, event)
    done = dict(zip(APPLIED, await asyncio.gather(*(_started(counters[s]) for s in APPLIED)), strict=True))
    for service in APPLIED:
        stack.stop_service(service, kill=True)  # kill -9, and reaped
    print(f"killed with -9 after applying {done} of {PARTICIPANTS} exits; offsets rewound to before the first")
    assert all(0 < n < PARTICIPANTS for n in done.values()), done  # in the middle, not before or after
    await asyncio.gather(*(_rewind(stack, service, before) for service in APPLIED))
    for service in APPLIED:
        stack.start_service(service)
    await asyncio.gather(*(stack.wait_healthy(service) for service in APPLIED))

    for applied in counters.values():

        async def all_applied(applied: Callable[[], Awaitable[int]] = applied) -> bool:
            return await applied() >= PARTICIPANTS

        await eventually(all_applied, timeout=90)
    conn = await asyncpg.connect(stack.postgres.dsn("followup"))
    try:
        checks = await conn.fetch(
            "SELECT participant_id, check_kind, exit_number FROM deadline WHERE participant_id = ANY($1::uuid[])", pids
        )
    finally:
        await conn.close()
    assert sorted({(c["check_kind"], c["exit_number"]) for c in checks}) == [("leaving-outcome", 1), ("six-month", 1)]
    assert len(checks) == 2 * PARTICIPANTS
    conn = await asyncpg.connect(stack.postgres.dsn("reporting"))
    try:
        exits_counted = await conn.fetch(
            "SELECT exits, count(*) AS n FROM participant_progress"
            " WHERE participant_id = ANY($1::uuid[]) GROUP BY exits",
            pids,
        )
    finally:
        await conn.close()
    assert [(r["exits"], r["n"]) for r in exits_counted] == [(1, PARTICIPANTS)]
    for service in APPLIED:
        parked = await read_topic(stack.kafka.bootstrap_servers, dead_letter_topic(PARTICIPATION_EVENTS, service))
        keys = {str(pid).encode() for pid in pids}
        assert not [r for r in parked if r.key in keys], service

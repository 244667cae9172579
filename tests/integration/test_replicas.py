"""Two replicas of enrolment and follow-up share the work: every command is answered once, every reminder sent once."""

from __future__ import annotations

import asyncio
import os
import random
import signal
from collections import Counter
from collections.abc import AsyncIterator, Iterator
from contextlib import contextmanager
from datetime import date, timedelta
from typing import Any

import asyncpg
import httpx
import pytest

from deploy.mailcatcher import read_messages
from deploy.ports import free_port
from deploy.stack import Stack
from deploy.synthetic import referral_body, synthetic_citizen
from shared.clock import today_in_copenhagen
from shared.fund_rules import add_months
from tests.fixtures.kafka_tools import eventually

pytestmark = pytest.mark.stack
PARTICIPANTS = 6
COURSE = "plus-aarhus-2026"


@pytest.fixture(scope="module")
async def replicas(stack: Stack) -> AsyncIterator[list[str]]:
    """A second enrolment and a second follow-up process, healthy."""
    keys = [stack.start_replica("enrolment", free_port()), stack.start_replica("followup", free_port())]
    try:
        await asyncio.gather(*(stack.wait_healthy(key) for key in keys))
        yield keys
    finally:
        for key in keys:
            stack.stop_service(key)


async def _deadlines(stack: Stack, participant_ids: list[str]) -> list[dict[str, Any]]:
    """The open deadlines of these participants in follow-up's database, with whether the next reminder is far off."""
    conn = await asyncpg.connect(stack.postgres.dsn("followup"))
    try:
        rows = await conn.fetch(
            "SELECT participant_id, check_kind, reminders_sent, locked_until,"
            " next_reminder_at > now() + interval '6 days' AS next_far_off"
            " FROM deadline WHERE participant_id = ANY($1::uuid[]) AND status = 'open'",
            participant_ids,
        )
        return [dict(r) for r in rows]
    finally:
        await conn.close()


async def _make_due(stack: Stack, participant_id: str) -> None:
    """Let a participant's open deadlines fall due now, as if the time had passed."""
    conn = await asyncpg.connect(stack.postgres.dsn("followup"))
    try:
        await conn.execute(
            "UPDATE deadline SET next_reminder_at = now() WHERE participant_id = $1 AND status = 'open'",
            participant_id,
        )
    finally:
        await conn.close()


async def _complete(intake: httpx.AsyncClient, rng: random.Random, left_on: date) -> tuple[str, str]:
    """Refer, enrol, start and complete one participant; returns the participant id and the case reference."""
    referred_on = left_on - timedelta(days=45)
    referral = referral_body(synthetic_citizen(rng), referred_on=referred_on.isoformat())
    referred = (await intake.post("/referrals", json=referral)).json()
    pid = referred["participant_id"]
    for path, body in [
        ("enrolment", {"course_id": COURSE, "enrolled_on": (left_on - timedelta(days=40)).isoformat()}),
        ("start", {"started_on": (left_on - timedelta(days=30)).isoformat()}),
        ("completion", {"completed_on": left_on.isoformat()}),
    ]:
        response = await intake.post(f"/participants/{pid}/{path}", json=body, headers={"Prefer": "wait=10"})
        assert response.status_code == 200, response.text
    return pid, referred["case_reference"]


@contextmanager
def _paused(stack: Stack, keys: list[str]) -> Iterator[None]:
    """Freeze processes (SIGSTOP) and let them go on afterwards (SIGCONT), as if they were very slow."""
    pids = [stack.services[key].pid for key in keys]
    for pid in pids:
        os.kill(pid, signal.SIGSTOP)
    try:
        yield
    finally:
        for pid in pids:
            os.kill(pid, signal.SIGCONT)


async def test_with_two_replicas_each_command_is_answered_once_and_each_reminder_sent_once(
    replicas: list[str], stack: Stack, intake: httpx.AsyncClient
) -> None:
    rng = random.Random(2)
    left_on = add_months(today_in_copenhagen(), -7)
    cases: list[str] = []
    participants: list[str] = []
    for _ in range(PARTICIPANTS):
        pid, case = await _complete(intake, rng, left_on)
        participants.append(pid)
        cases.append(case)

    def reminders() -> Counter[tuple[str, str]]:
        found: Counter[tuple[str, str]] = Counter()
        for message in read_messages(stack.mail_dir):
            subject = str(message["Subject"])
            for case in cases:
                if case in subject:
                    found[(case, "six-month" if "six-month" in subject else "leaving")] += 1
        return found

    async def all_sent() -> bool:
        return len(reminders()) == 2 * PARTICIPANTS

    await eventually(all_sent, timeout=60)

    # Each sending is recorded once and the next reminder is a week away: from now on no round of either replica
    # can claim these deadlines again, so any second send must come from a claim made before this point.
    async def recorded() -> bool:
        rows = await _deadlines(stack, participants)
        return len(rows) == 2 * PARTICIPANTS and all(
            r["reminders_sent"] == 1 and r["locked_until"] is None and r["next_far_off"] for r in rows
        )

    await eventually(recorded, timeout=30)

    # A replica sends everything it claimed in one round before it claims again. So once a replica has sent a
    # marker reminder that fell due only now, every claim it made earlier has been sent too, double sends included.
    # Each replica gets a marker of its own: the other one is frozen while the marker falls due and is sent.
    followups = [key for key in stack.services if key == "followup" or key.startswith("followup-replica-")]
    assert len(followups) == 2, followups
    markers = [(await _complete(intake, rng, today_in_copenhagen()))[0] for _ in followups]  # due in 4 weeks

    async def scheduled() -> bool:
        return len(await _deadlines(stack, markers)) == 2 * len(markers)

    await eventually(scheduled, timeout=30)
    for key, marker in zip(followups, markers, strict=True):
        with _paused(stack, [other for other in followups if other != key]):
            await _make_due(stack, marker)  # as if the four weeks had passed

            async def marker_sent(marker: str = marker) -> bool:
                return all(r["reminders_sent"] == 1 for r in await _deadlines(stack, [marker]))

            await eventually(marker_sent, timeout=30)  # sent by `key`, the only one awake

    assert set(reminders().values()) == {1}
    for key in replicas:
        assert stack.services[key].poll() is None, f"{key} died:\n{stack.log_tail(key)}"

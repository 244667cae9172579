"""Two replicas of enrolment and follow-up share the work: every command is answered once, every reminder sent once."""

from __future__ import annotations

import asyncio
import random
from collections import Counter
from collections.abc import AsyncIterator
from datetime import timedelta

import httpx
import pytest

from deploy.mailcatcher import read_messages
from deploy.ports import free_port
from deploy.stack import Stack
from deploy.synthetic import referral_body, synthetic_citizen
from services.followup.domain import add_months
from shared.clock import today_in_copenhagen
from tests.fixtures.kafka_tools import eventually

pytestmark = pytest.mark.stack
PARTICIPANTS = 6


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


async def test_with_two_replicas_each_command_is_answered_once_and_each_reminder_sent_once(
    replicas: list[str], stack: Stack, intake: httpx.AsyncClient
) -> None:
    rng = random.Random(2)
    left_on = add_months(today_in_copenhagen(), -7)
    cases: list[str] = []
    for _ in range(PARTICIPANTS):
        referred = (await intake.post("/referrals", json=referral_body(synthetic_citizen(rng)))).json()
        pid = referred["participant_id"]
        cases.append(referred["case_reference"])
        for path, body in [
            ("enrolment", {"course_id": "flex-odder-2026"}),
            ("start", {"started_on": (left_on - timedelta(days=30)).isoformat()}),
            ("completion", {"completed_on": left_on.isoformat()}),
        ]:
            response = await intake.post(f"/participants/{pid}/{path}", json=body, headers={"Prefer": "wait=10"})
            assert response.status_code == 200, response.text

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
    await asyncio.sleep(3)  # rounds of both replicas' reminder loops: a double send would show now
    assert set(reminders().values()) == {1}
    for key in replicas:
        assert stack.services[key].poll() is None, f"{key} died:\n{stack.log_tail(key)}"

"""Withdrawal before start on the real stack: on the timeline, not followed up, its seat given to the first waiting."""

from __future__ import annotations

import random
from datetime import timedelta
from typing import Any

import asyncpg
import httpx
import pytest

from deploy.stack import Stack
from deploy.synthetic import referral_body, synthetic_citizen
from shared.clock import today_in_copenhagen
from tests.fixtures.kafka_tools import eventually

pytestmark = pytest.mark.stack
rng = random.Random(61)
COURSE = "plus-aarhus-2026"


async def _post(intake: httpx.AsyncClient, pid: str, path: str, body: dict[str, Any]) -> dict[str, Any]:
    response = await intake.post(f"/participants/{pid}/{path}", json=body, headers={"Prefer": "wait=10"})
    assert response.status_code == 200, response.text
    return response.json()  # type: ignore[no-any-return]


async def test_a_withdrawn_participant_is_on_the_timeline_and_never_followed_up(intake: httpx.AsyncClient) -> None:
    today = today_in_copenhagen()
    body = referral_body(synthetic_citizen(rng), referred_on=(today - timedelta(days=10)).isoformat())
    pid = (await intake.post("/referrals", json=body)).json()["participant_id"]
    await _post(intake, pid, "enrolment", {"course_id": COURSE, "enrolled_on": (today - timedelta(days=5)).isoformat()})
    withdrawn_on = (today - timedelta(days=4)).isoformat()
    withdrawn = await _post(intake, pid, "withdrawal", {"withdrawn_on": withdrawn_on, "reason": "declined"})
    assert withdrawn["fact"]["type"] == "participation.withdrawn"

    # The marker: the same participant re-enrols, starts and drops out. Follow-up reads one participant's facts in
    # order, so once it has scheduled the drop-out's checks it has read the withdrawal before them.
    dropped_on = today - timedelta(days=1)
    await _post(intake, pid, "enrolment", {"course_id": COURSE, "enrolled_on": (today - timedelta(days=3)).isoformat()})
    await _post(intake, pid, "start", {"started_on": (today - timedelta(days=2)).isoformat()})
    await _post(intake, pid, "drop-out", {"dropped_out_on": dropped_on.isoformat(), "reason": "job"})

    async def scheduled() -> list[dict[str, Any]]:
        events = (await intake.get(f"/participants/{pid}/timeline")).json()["events"]
        found = [e for e in events if e["type"] == "followup.check-scheduled"]
        return found if len(found) >= 2 else []

    checks = await eventually(scheduled, timeout=30)
    assert {c["data"]["left_on"] for c in checks} == {dropped_on.isoformat()}  # none from the withdrawal
    assert len(checks) == 2
    timeline = [e["type"] for e in (await intake.get(f"/participants/{pid}/timeline")).json()["events"]]
    assert timeline.index("participation.withdrawn") < timeline.index("participation.dropped-out")


async def test_a_withdrawal_gives_the_seat_to_the_first_waiting_and_their_timeline_shows_it(
    intake: httpx.AsyncClient, stack: Stack
) -> None:
    course_id = f"waiting-{rng.randrange(10**6)}"
    conn = await asyncpg.connect(stack.postgres.dsn("enrolment"))
    try:  # a course of the test's own: one seat, waiting list open
        await conn.execute(
            "INSERT INTO course (id, programme_id, subproject_id, municipality, title, starts_on, ends_on, capacity,"
            " waiting_list_open) VALUES ($1, 'rummelig-plus', 'plus-aarhus', '751', 'One seat', $2, $3, 1,"
            " true)",
            course_id,
            today_in_copenhagen() - timedelta(days=30),
            today_in_copenhagen() + timedelta(days=60),
        )
    finally:
        await conn.close()
    seated, waiting = [
        (await intake.post("/referrals", json=referral_body(synthetic_citizen(rng)))).json()["participant_id"]
        for _ in range(2)
    ]
    assert (await _post(intake, seated, "enrolment", {"course_id": course_id}))["fact"]["type"] == "enrolment.confirmed"
    queued = await _post(intake, waiting, "enrolment", {"course_id": course_id})
    assert (queued["fact"]["type"], queued["fact"]["data"]["position"]) == ("enrolment.waitlisted", 1)

    withdrawn = await _post(
        intake, seated, "withdrawal", {"withdrawn_on": today_in_copenhagen().isoformat(), "reason": "declined"}
    )
    assert withdrawn["fact"]["type"] == "participation.withdrawn"  # not the promotion it caused for someone else

    async def promoted() -> list[str]:
        events = (await intake.get(f"/participants/{waiting}/timeline")).json()["events"]
        types = [e["type"] for e in events]
        return types if "enrolment.confirmed" in types else []

    types = await eventually(promoted, timeout=30)
    assert types.index("enrolment.waitlisted") < types.index("enrolment.confirmed")

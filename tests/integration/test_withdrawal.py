"""Withdrawal before start on the real stack: the fact reaches the timeline, and follow-up schedules nothing for it."""

from __future__ import annotations

import random
from datetime import timedelta
from typing import Any

import httpx
import pytest

from deploy.synthetic import referral_body, synthetic_citizen
from shared.clock import today_in_copenhagen
from tests.fixtures.kafka_tools import eventually

pytestmark = pytest.mark.stack
rng = random.Random(61)
COURSE = "vet-aarhus-2026"


async def _post(intake: httpx.AsyncClient, pid: str, path: str, body: dict[str, Any]) -> dict[str, Any]:
    response = await intake.post(f"/participants/{pid}/{path}", json=body, headers={"Prefer": "wait=10"})
    assert response.status_code == 200, response.text
    return response.json()  # type: ignore[no-any-return]


async def test_a_withdrawn_participant_is_on_the_timeline_and_never_followed_up(intake: httpx.AsyncClient) -> None:
    today = today_in_copenhagen()
    pid = (await intake.post("/referrals", json=referral_body(synthetic_citizen(rng)))).json()["participant_id"]
    await _post(intake, pid, "enrolment", {"course_id": COURSE})
    withdrawn = await _post(intake, pid, "withdrawal", {"withdrawn_on": today.isoformat(), "reason": "declined"})
    assert withdrawn["fact"]["type"] == "participation.withdrawn"

    # The marker: the same participant re-enrols, starts and drops out. Follow-up reads one participant's facts in
    # order, so once it has scheduled the drop-out's checks it has read the withdrawal before them.
    dropped_on = today - timedelta(days=1)
    await _post(intake, pid, "enrolment", {"course_id": COURSE})
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

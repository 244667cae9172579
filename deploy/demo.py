"""Demo data for the local stack: synthetic participants at every stage of the path, through the real API."""

from __future__ import annotations

import random
from datetime import timedelta

import httpx

from deploy.synthetic import referral_body, synthetic_citizen
from shared.clock import today_in_copenhagen
from shared.fund_rules import add_months

SEED = 4242


async def load_demo(intake_url: str, token: str, *, participants: int = 12) -> int:
    """Refer synthetic citizens and walk most of them some way along the path; returns how many were referred."""
    rng = random.Random(SEED)
    today = today_in_copenhagen()
    referred = 0
    async with httpx.AsyncClient(base_url=intake_url, headers={"Authorization": f"Bearer {token}"}, timeout=30) as api:
        # Drawn up front so a rerun meets the same citizens (and skips them) whatever happened to each.
        citizens = [
            (synthetic_citizen(rng), rng.choice(["ordinary-employment", "job-seeking", "education"]))
            for _ in range(participants)
        ]
        for i, (citizen, situation) in enumerate(citizens):
            response = await api.post("/referrals", json=referral_body(citizen))
            if response.status_code == 409:
                continue  # already loaded by an earlier run
            response.raise_for_status()
            referred += 1
            pid = response.json()["participant_id"]
            left_on = add_months(today, -(i % 8))
            steps = [
                ("enrolment", {"course_id": "vet-aarhus-2026"}),
                ("start", {"started_on": (left_on - timedelta(days=90)).isoformat()}),
                ("completion", {"completed_on": left_on.isoformat()}),
                ("leaving-outcome", {"situation": situation, "observed_on": left_on.isoformat()}),
            ]
            for path, body in steps[: i % 5]:
                (await api.post(f"/participants/{pid}/{path}", json=body)).raise_for_status()
    return referred

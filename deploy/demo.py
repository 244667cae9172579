"""Demo data for the local stack: synthetic participants at every stage of the path, through the real API."""

from __future__ import annotations

import random
from collections.abc import Callable
from datetime import date, timedelta

import httpx

from deploy.simulate import Mix, drive, plan
from deploy.synthetic import referral_body, synthetic_citizen
from shared.clock import today_in_copenhagen
from shared.fund_rules import add_months

SEED = 4242


HISTORICAL = {  # Rummelig imidt's veterans' course, within the programme's real period
    "programme_id": "rummelig-imidt",
    "subproject_id": "war-veterans-aarhus",
    "target_group": "war-veterans",
}
HISTORICAL_COURSE, HISTORICAL_FROM = "vet-aarhus-2017", date(2017, 1, 9)
CURRENT_COURSE = "plus-aarhus-2026"  # the illustrative programme running today


SIMULATED = Mix(  # a cohort with every stage and outcome, for the operator's figures
    subprojects={"plus-aarhus": (CURRENT_COURSE, 1.0)},
    municipalities={"751": 0.5, "727": 0.3, "766": 0.2},
    target_groups={"long-term-unemployed": 0.6, "war-veterans": 0.25, "psychologically-vulnerable": 0.15},
)
SIMULATED_FROM = date(2026, 1, 5)  # the course's first day: every simulated check is due by the end of 2026


async def load_demo(intake_url: str, token_for: Callable[[str], str], *, participants: int = 12) -> int:
    """Demo cases written by hand (below), then a simulated cohort of the illustrative programme (deploy.simulate);
    returns how many were referred."""
    referred = await _cases(intake_url, token_for("751"), participants=participants)
    cohort = plan(SIMULATED, participants, random.Random(SEED + 1), first=SIMULATED_FROM)
    return referred + len(await drive(intake_url, token_for, "rummelig-plus", cohort))


async def _cases(intake_url: str, token: str, *, participants: int) -> int:
    """Refer synthetic citizens and walk most of them some way along the path; returns how many were referred.

    Two thirds are loaded into Rummelig imidt as a caseworker would enter a past year's cases (dated in 2017-18,
    so their follow-ups are long overdue); the rest are current cases of the illustrative programme running today.
    """
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
            historical = i < participants * 2 // 3
            if historical:
                enrolled_on = HISTORICAL_FROM + timedelta(days=14 * i)
                left_on = enrolled_on + timedelta(days=7 + 120)
                course, overrides = HISTORICAL_COURSE, HISTORICAL
            else:
                left_on = add_months(today, -(i % 6))
                enrolled_on = left_on - timedelta(days=7 + 90)
                course, overrides = CURRENT_COURSE, {}
            body = referral_body(citizen, **overrides, referred_on=(enrolled_on - timedelta(days=5)).isoformat())
            response = await api.post("/referrals", json=body)
            if response.status_code == 409:
                continue  # already loaded by an earlier run
            response.raise_for_status()
            referred += 1
            pid = response.json()["participant_id"]
            steps = [
                ("enrolment", {"course_id": course, "enrolled_on": enrolled_on.isoformat()}),
                ("start", {"started_on": (enrolled_on + timedelta(days=7)).isoformat()}),
                ("completion", {"completed_on": left_on.isoformat()}),
                ("leaving-outcome", {"situation": situation, "observed_on": left_on.isoformat()}),
            ]
            for path, step in steps[: i % 5]:
                (await api.post(f"/participants/{pid}/{path}", json=step)).raise_for_status()
    return referred

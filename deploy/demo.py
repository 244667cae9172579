"""Demo data for the local stack: generated (never real), the same every time (a fixed seed), and driven through the
caseworker API as caseworkers would record it.

- **Today, in Rummelig plus** (the illustrative programme running now): the demo caseworker's cases at every step,
  dated from today: waiting for a course, enrolled, in progress, just left with the outcome upon leaving due, left
  weeks ago with it overdue, the six-month result due and overdue, whole paths and a drop-out. Their follow-ups fall
  due at once, so the mail catcher holds reminders (and, with the launcher's escalation grace of 0, a coordinator's
  digest) within a minute. Then a simulated cohort of the programme's first months of 2026.
- **History, in Rummelig imidt** (2015-2022): a third of the cohort built from the seeds' final results table
  (deploy/seed_cohort.py), over its sub-projects and years, so that its dashboard shows targets, trends and
  breakdowns with numbers.

A referral the API answers 409 (an open case of the same citizen) was loaded by an earlier start and is skipped; the
launcher writes a marker once a load has finished, so that a second start loads nothing.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

import httpx

from deploy.seed_cohort import seed_cohort
from deploy.simulate import Mix, Simulated, drive, plan, steps_of
from deploy.synthetic import SyntheticCitizen, referral_body, synthetic_citizen
from shared.clock import today_in_copenhagen
from shared.fund_rules import add_months, six_months_after

SEED = 4242
CURRENT = {"programme_id": "rummelig-plus", "subproject_id": "plus-aarhus"}
CURRENT_COURSE, CURRENT_COURSE_STARTS = "plus-aarhus-2026", date(2026, 1, 5)
DEMO_MUNICIPALITY = "751"  # Aarhus: the launcher's printed caseworker, team lead and provider work there
DEMO_MARKER = "demo-loaded"  # in the state folder once a load has finished: a second start loads nothing
SIMULATED = Mix(  # the programme's first months, for its figures
    subprojects={"plus-aarhus": (CURRENT_COURSE, 1.0)},
    municipalities={"751": 0.5, "727": 0.3, "766": 0.2},
    target_groups={"long-term-unemployed": 0.6, "war-veterans": 0.25, "psychologically-vulnerable": 0.15},
)
SIMULATED_PARTICIPANTS = 60
HISTORY_SHARE = 3  # every third of the seeds' cohort: about 330 participants


@dataclass(frozen=True)
class Stage:
    """Cases of today's programme at one step: how many, when they left (days ago; None: not yet), and how far
    their path is recorded."""

    name: str
    count: int
    left_days_ago: int | None = None
    steps: tuple[str, ...] = ()


def _six_month_due_days_ago(days: int, today: date) -> int:
    """How many days ago someone left whose six-month result fell due `days` ago."""
    return (today - add_months(today - timedelta(days=days), -6)).days


def stages(today: date) -> tuple[Stage, ...]:
    """Today's cases, step by step (the follow-up's schedule: the outcome upon leaving is asked for on day 14 and
    escalated on day 26; the six-month result is asked for when due and escalated 14 days later)."""
    return (
        Stage("referred", 2),
        Stage("enrolled", 2, steps=("enrolment",)),
        Stage("in-progress", 3, steps=("enrolment", "start")),
        Stage("outcome-due", 2, 15, ("enrolment", "start", "completion")),
        Stage("outcome-overdue", 1, 27, ("enrolment", "start", "completion")),
        Stage("dropped-out", 1, 20, ("enrolment", "start", "drop-out", "leaving-outcome")),
        Stage("six-month-due", 2, _six_month_due_days_ago(2, today), ("enrolment", "start", "completion", "outcome")),
        Stage(
            "six-month-overdue", 1, _six_month_due_days_ago(16, today), ("enrolment", "start", "completion", "outcome")
        ),
        Stage("whole-path", 2, 250, ("enrolment", "start", "completion", "outcome", "six-month")),
    )


def _calls(stage: Stage, today: date, rng: random.Random) -> tuple[date, list[tuple[str, dict[str, Any]]]]:
    """The referral date and the API calls after it that put one case of the stage where it stands."""
    left_on = today - timedelta(days=stage.left_days_ago) if stage.left_days_ago is not None else None
    started_on = (left_on - timedelta(days=60)) if left_on else today - timedelta(days=30)
    enrolled_on = started_on - timedelta(days=7) if "start" in stage.steps else today - timedelta(days=5)
    calls: dict[str, tuple[str, dict[str, Any]]] = {
        "enrolment": ("enrolment", {"course_id": CURRENT_COURSE, "enrolled_on": enrolled_on.isoformat()}),
        "start": ("start", {"started_on": started_on.isoformat()}),
    }
    if left_on is not None:
        situation = rng.choice(["ordinary-employment", "job-seeking", "education"])
        calls |= {
            "completion": ("completion", {"completed_on": left_on.isoformat()}),
            "drop-out": ("drop-out", {"dropped_out_on": left_on.isoformat(), "reason": "illness"}),
            "outcome": ("leaving-outcome", {"situation": situation, "observed_on": left_on.isoformat()}),
            "leaving-outcome": ("leaving-outcome", {"situation": "inactive", "observed_on": left_on.isoformat()}),
            "six-month": (
                "six-month-result",
                {"situation": "ordinary-employment", "observed_on": six_months_after(left_on).isoformat()},
            ),
        }
    return enrolled_on - timedelta(days=3), [calls[step] for step in stage.steps]


@dataclass(frozen=True)
class Plan:
    """The whole demo, drawn up front so that every start meets the same citizens."""

    today: list[tuple[SyntheticCitizen, str, date, list[tuple[str, dict[str, Any]]]]]
    simulated: list[Simulated]
    history: list[Simulated]

    @property
    def participants(self) -> int:
        """How many citizens the demo refers."""
        return len(self.today) + len(self.simulated) + len(self.history)


def demo_plan(today: date | None = None) -> Plan:
    """Today's cases, the simulated first months and the history, from the fixed seed; a case whose dates would lie
    before its course or after today (a clock set far from 2026) is left out."""
    today = today or today_in_copenhagen()
    rng = random.Random(SEED)
    cases = []
    for stage in stages(today):
        for _ in range(stage.count):
            citizen = synthetic_citizen(rng)
            referred_on, calls = _calls(stage, today, rng)
            if referred_on >= CURRENT_COURSE_STARTS and _last_day(calls, referred_on) <= today:
                cases.append((citizen, stage.name, referred_on, calls))
    simulated = plan(SIMULATED, SIMULATED_PARTICIPANTS, random.Random(SEED + 1), first=CURRENT_COURSE_STARTS)
    history = seed_cohort(random.Random(SEED + 2))[::HISTORY_SHARE]
    return Plan(cases, [w for w in simulated if _walked_by(w) <= today], history)


def _last_day(calls: list[tuple[str, dict[str, Any]]], since: date) -> date:
    days = [date.fromisoformat(v) for _, body in calls for k, v in body.items() if k.endswith("_on")]
    return max([since, *days])


def _walked_by(who: Simulated) -> date:
    return _last_day(steps_of(who), who.referred_on)


async def load_demo(
    intake_url: str, token_for: Callable[[str], str], *, progress: Callable[[int, int], None] | None = None
) -> int:
    """Refer and walk the whole demo through intake; returns how many were referred now (0 when an earlier start
    loaded them). `progress(done, of)` is told as it goes."""
    demo = demo_plan()
    done = 0

    def walked() -> None:
        nonlocal done
        done += 1
        if progress is not None:
            progress(done, demo.participants)

    referred = await _today(intake_url, token_for(DEMO_MUNICIPALITY), demo, walked)
    referred += len(await drive(intake_url, token_for, "rummelig-plus", demo.simulated, walked=walked))
    history = await drive(
        intake_url, token_for, "rummelig-imidt", demo.history, concurrency=8, per_course=8, walked=walked
    )
    return referred + len(history)


async def _today(intake_url: str, token: str, demo: Plan, walked: Callable[[], None]) -> int:
    """Today's cases, in the demo caseworker's name; how many were referred now."""
    referred = 0
    headers = {"Authorization": f"Bearer {token}", "Prefer": "wait=10"}
    async with httpx.AsyncClient(base_url=intake_url, headers=headers, timeout=30) as api:
        for citizen, _, referred_on, calls in demo.today:
            body = referral_body(citizen, **CURRENT, referred_on=referred_on.isoformat())
            answer = await api.post("/referrals", json=body)
            if answer.status_code != 409:  # 409: an earlier start referred this citizen
                answer.raise_for_status()
                referred += 1
                pid = answer.json()["participant_id"]
                for route, step in calls:
                    (await api.post(f"/participants/{pid}/{route}", json=step)).raise_for_status()
            walked()
    return referred

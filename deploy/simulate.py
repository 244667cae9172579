"""Drive a synthetic cohort through the real intake API with chosen distributions, and say what the report must show.

    .venv/bin/python -m deploy.simulate [--participants 40] [--seed 1] [--programme rummelig-plus]

`plan` draws each participant (sub-project, municipality, target group, gender, path, outcome upon leaving, six-month
result) from a `Mix`; `drive` refers them and records every step through intake as caseworkers would, dated in the
past so that every check is due; `expected` counts the plan by the fund's rules, independently of reporting's SQL,
so that a test can compare the two. Used for demo data, the stack test of the figures, and benchmarks.
"""

from __future__ import annotations

import argparse
import asyncio
import random
from collections import Counter
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

import httpx

from deploy.synthetic import SyntheticCitizen, referral_body, synthetic_citizen
from shared import fund_rules
from shared.clock import today_in_copenhagen

Path = str  # "withdrawn", "started", "completed", "dropped-out:<reason>"
EMPLOYED_KINDS = ("ordinary-employment", "social-economy-employment", "self-employed", "flex-job")


@dataclass(frozen=True)
class Mix:
    """What a simulated cohort is drawn from: weights per choice (they need not add up to 1)."""

    subprojects: Mapping[str, tuple[str, float]]  # sub-project -> (its course, weight)
    municipalities: Mapping[str, float]
    target_groups: Mapping[str, float]
    genders: Mapping[str, float] = field(default_factory=lambda: {"female": 0.45, "male": 0.45, "non-binary": 0.1})
    paths: Mapping[Path, float] = field(
        default_factory=lambda: {
            "withdrawn": 0.1,
            "started": 0.1,
            "completed": 0.5,
            "dropped-out:job": 0.1,
            "dropped-out:illness": 0.2,
        }
    )
    outcomes: Mapping[str, float] = field(
        default_factory=lambda: {
            "ordinary-employment": 0.3,
            "social-economy-employment": 0.1,
            "job-seeking": 0.3,
            "education": 0.1,
            "inactive": 0.1,
            "none": 0.1,
        }
    )
    six_months: Mapping[str, float] = field(
        default_factory=lambda: {"ordinary-employment": 0.4, "job-seeking": 0.3, "unreachable": 0.1, "none": 0.2}
    )


@dataclass(frozen=True)
class Simulated:
    """One participant as planned: who, where, and what happens to them."""

    citizen: SyntheticCitizen
    subproject_id: str
    course_id: str
    municipality: str
    target_group: str
    gender: str
    path: Path
    outcome: str  # upon leaving, or "none"
    six_months: str  # or "none"
    enrolled_on: date

    @property
    def started_on(self) -> date:
        """Seven days after the enrolment."""
        return self.enrolled_on + timedelta(days=7)

    @property
    def left_on(self) -> date:
        """Sixty days after the start."""
        return self.started_on + timedelta(days=60)

    @property
    def leaves(self) -> bool:
        """Completes or drops out."""
        return self.path == "completed" or self.path.startswith("dropped-out")

    @property
    def referred_on(self) -> date:
        """Three days before the enrolment."""
        return self.enrolled_on - timedelta(days=3)

    @property
    def age(self) -> int:
        """The age at entry: on the start date, or on the referral date for one who never started."""
        on = self.referred_on if self.path == "withdrawn" else self.started_on
        return fund_rules.age_on(self.citizen.birth_date, on)

    @property
    def age_band(self) -> str:
        """The ESF 2014-20 age band at entry."""
        return fund_rules.age_band(self.age)

    @property
    def age_band_esf_plus(self) -> str:
        """The ESF+ age band at entry."""
        return fund_rules.age_band_esf_plus(self.age)


def _pick(rng: random.Random, weights: Mapping[str, float]) -> str:
    keys = sorted(weights)
    return rng.choices(keys, weights=[weights[k] for k in keys])[0]


def plan(mix: Mix, n: int, rng: random.Random, *, first: date | None = None) -> list[Simulated]:
    """n participants drawn from the mix, enrolled a day apart from `first` (by default about ten months ago, so that
    every check is due by today)."""
    first = first or today_in_copenhagen() - timedelta(days=310 + n)
    cohort = []
    for i in range(n):
        subproject = _pick(rng, {s: w for s, (_, w) in mix.subprojects.items()})
        path = _pick(rng, mix.paths)
        leaves = path == "completed" or path.startswith("dropped-out")
        cohort.append(
            Simulated(
                citizen=synthetic_citizen(rng, born_between=(1962, 2003)),
                subproject_id=subproject,
                course_id=mix.subprojects[subproject][0],
                municipality=_pick(rng, mix.municipalities),
                target_group=_pick(rng, mix.target_groups),
                gender=_pick(rng, mix.genders),
                path=path,
                outcome=_pick(rng, mix.outcomes) if leaves else "none",
                six_months=_pick(rng, mix.six_months) if leaves else "none",
                enrolled_on=first + timedelta(days=i),
            )
        )
    return cohort


async def drive(
    intake_url: str,
    token_for: Callable[[str], str],
    programme_id: str,
    cohort: list[Simulated],
    *,
    concurrency: int = 1,
    per_course: int | None = None,
    walked: Callable[[], None] | None = None,
) -> list[str]:
    """Refer and walk every planned participant through intake (caseworkers of their municipality); the ids of those
    referred now, in the cohort's order (a citizen an earlier run referred is skipped).

    By default one participant after the other. With `concurrency` above 1, that many are walked at once, each one's
    steps still in order, and at most `per_course` of them on one course at a time: a participant walked to the end
    frees their seat, so keeping `per_course` below a course's free seats fills no course that walking them one by
    one would not have filled. `walked` is called after each participant (a progress report).
    """
    if concurrency < 1 or (per_course is not None and per_course < 1):
        raise ValueError("concurrency and per_course are at least 1")
    walking = asyncio.Semaphore(concurrency)
    on_course: dict[str, asyncio.Semaphore] = {}
    ids: list[str | None] = [None] * len(cohort)
    async with httpx.AsyncClient(
        base_url=intake_url, timeout=30, limits=httpx.Limits(max_connections=max(concurrency, 10))
    ) as api:

        async def walk(index: int, who: Simulated) -> None:
            seats = on_course.setdefault(who.course_id, asyncio.Semaphore(per_course or concurrency))
            async with walking, seats:
                ids[index] = await _walk(api, token_for, programme_id, who)
            if walked is not None:
                walked()

        if concurrency == 1:
            for index, who in enumerate(cohort):
                ids[index] = await _walk(api, token_for, programme_id, who)
                if walked is not None:
                    walked()
        else:
            async with asyncio.TaskGroup() as walks:  # the first failure cancels the others and is raised
                for index, who in enumerate(cohort):
                    walks.create_task(walk(index, who))
    return [pid for pid in ids if pid is not None]


async def _walk(
    api: httpx.AsyncClient, token_for: Callable[[str], str], programme_id: str, who: Simulated
) -> str | None:
    """One participant's referral and steps, in order; their id, or None if an earlier run referred them."""
    headers = {"Authorization": f"Bearer {token_for(who.municipality)}", "Prefer": "wait=10"}
    body = referral_body(
        who.citizen,
        programme_id=programme_id,
        subproject_id=who.subproject_id,
        target_group=who.target_group,
        gender=who.gender,
        referred_on=who.referred_on.isoformat(),
    )
    referred = await api.post("/referrals", json=body, headers=headers)
    if referred.status_code == 409:
        return None  # driven by an earlier run with the same seed: its path is recorded already
    referred.raise_for_status()
    pid = str(referred.json()["participant_id"])
    for path, step in steps_of(who):
        answer = await api.post(f"/participants/{pid}/{path}", json=step, headers=headers)
        if answer.status_code != 200:
            raise RuntimeError(f"{path} of {who.path}: {answer.status_code} {answer.text}")
        if answer.json().get("fact", {}).get("type") == "enrolment.waitlisted":
            break  # the course is full: this one waits for a seat (the plan's figures no longer hold)
    return pid


def steps_of(who: Simulated) -> list[tuple[str, dict[str, Any]]]:
    """The API calls that record a planned participant's path after the referral: (route, body), in order."""
    steps: list[tuple[str, dict[str, Any]]] = [
        ("enrolment", {"course_id": who.course_id, "enrolled_on": who.enrolled_on.isoformat()})
    ]
    if who.path == "withdrawn":
        return [*steps, ("withdrawal", {"withdrawn_on": who.started_on.isoformat(), "reason": "declined"})]
    steps.append(("start", {"started_on": who.started_on.isoformat()}))
    if who.path == "completed":
        steps.append(("completion", {"completed_on": who.left_on.isoformat()}))
    elif who.path.startswith("dropped-out"):
        reason = who.path.split(":", 1)[1]
        steps.append(("drop-out", {"dropped_out_on": who.left_on.isoformat(), "reason": reason}))
    if who.outcome != "none":
        observed = who.left_on + timedelta(days=10)
        steps.append(("leaving-outcome", {"situation": who.outcome, "observed_on": observed.isoformat()}))
    if who.six_months != "none":
        observed = fund_rules.six_months_after(who.left_on) + timedelta(days=3)
        steps.append(("six-month-result", {"situation": who.six_months, "observed_on": observed.isoformat()}))
    return steps


# What each checked figure counts, in the plan's own terms (the rules of DOMAIN.md, written apart from the SQL).
CHECKED: dict[str, Callable[[Simulated], bool]] = {
    "recruited": lambda w: True,
    "enrolled": lambda w: True,
    "withdrawn": lambda w: w.path == "withdrawn",
    "participants": lambda w: w.path != "withdrawn",
    "completed": lambda w: w.path == "completed",
    "dropped-out": lambda w: w.path.startswith("dropped-out"),
    "stopped-early-for-job-or-education": lambda w: w.path in ("dropped-out:job", "dropped-out:education"),
    "left": lambda w: w.leaves,
    "employed-upon-leaving": lambda w: w.outcome in EMPLOYED_KINDS,
    "employed-ordinary-upon-leaving": lambda w: w.outcome == "ordinary-employment",
    "employed-social-economy-upon-leaving": lambda w: w.outcome == "social-economy-employment",
    "job-seeking-upon-leaving": lambda w: w.outcome == "job-seeking",
    "self-supporting": lambda w: w.outcome in ("ordinary-employment", "social-economy-employment", "self-employed"),
    "outcome-recorded": lambda w: w.outcome != "none",
    "CR02": lambda w: w.outcome == "education",
    "employed-six-months-after": lambda w: w.six_months in EMPLOYED_KINDS,
    "six-month-result-recorded": lambda w: w.six_months != "none",
}
BREAKDOWNS: dict[str, Callable[[Simulated], str]] = {
    "subproject_id": lambda w: w.subproject_id,
    "municipality": lambda w: w.municipality,
    "target_group": lambda w: w.target_group,
    "gender": lambda w: w.gender,
    "age_band": lambda w: w.age_band,
}


def expected(cohort: list[Simulated], *, fund: str = "esf-2014-2020") -> dict[str, dict[str, Any]]:
    """The checked figures the report must give back: each total, and each breakdown's cells with a count (ages in
    the bands of the programme's fund)."""
    breakdowns = dict(BREAKDOWNS)
    if fund == "esf-plus-2021-2027":
        breakdowns["age_band"] = lambda w: w.age_band_esf_plus
    found: dict[str, dict[str, Any]] = {}
    for figure, counts in CHECKED.items():
        chosen = [w for w in cohort if counts(w)]
        found[figure] = {
            "value": len(chosen),
            "breakdowns": {name: dict(Counter(key(w) for w in chosen)) for name, key in breakdowns.items()},
        }
    return found


def main() -> None:
    """Drive a cohort through the local stack's intake (./deploy/up must be running)."""
    from deploy.stack import DEFAULT_STATE, Stack, StackConfig

    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--participants", type=int, default=40)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--programme", default="rummelig-plus")
    parser.add_argument("--subproject", default="plus-aarhus")
    parser.add_argument("--course", default="plus-aarhus-2026")
    parser.add_argument("--first", type=date.fromisoformat, default=date(2026, 1, 5), help="the first enrolment date")
    args = parser.parse_args()
    stack = Stack(StackConfig(state_dir=DEFAULT_STATE))
    mix = Mix(
        subprojects={args.subproject: (args.course, 1.0)},
        municipalities={"751": 0.6, "727": 0.4},
        target_groups={"long-term-unemployed": 0.7, "war-veterans": 0.3},
    )
    cohort = plan(mix, args.participants, random.Random(args.seed), first=args.first)

    def token_for(municipality: str) -> str:
        return stack.token(role="caseworker", municipality=municipality, email=f"cw-{municipality}@example.dk")

    ids = asyncio.run(drive(stack.url("intake"), token_for, args.programme, cohort))
    print(f"{len(ids)} participants driven through intake into {args.programme}")


if __name__ == "__main__":
    main()

"""Synthetic DREAM-style register extracts for the demo and the tests: made-up weeks for made-up people, never real.

    .venv/bin/python -m deploy.synthetic_register OUT.csv [--agreement 0.8] [--others 200] [--seed 1]

reads the participants of an intake (its settings from the environment, as the service reads them): each one's CPR
number, six-month checks and the six-month result their caseworker recorded; and writes an extract covering every
week up to last week in which, for each check, the register agrees with the caseworker's record with the chosen
probability. `--others` adds people referred to no programme, whom the import must skip. ./deploy/up writes one for
the demo itself.
"""

from __future__ import annotations

import argparse
import asyncio
import csv
import random
import sys
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

from sqlmodel import col, select

from deploy.synthetic import synthetic_citizen
from services.intake.domain import wire_name
from services.intake.personal_data.keys import opened
from services.intake.register.domain import COUNTS_AS, Week, window
from services.intake.register.queries import checks_of
from services.intake.settings import IntakeSettings
from services.intake.tables import Participant, ParticipantKey, TimelineEntry
from shared.contracts import RegisterFinding, SixMonthResultRecorded, SixMonthSituation
from shared.db import create_engine, create_sessionmaker

# A code whose weeks show each finding (services/intake/register/codes.py reads them back); employed and
# self-supporting are weeks without benefit, told apart by the month's employment degree.
CODE_OF: dict[RegisterFinding, str] = {
    "flex-job": "810",
    "education": "651",
    "job-seeking": "111",
    "sickness-benefit": "890",
    "disability-pension": "781",
    "other-benefit": "750",
    "retired": "611",
    "left-the-register": "999",
}
# The finding a register would show for a caseworker's six-month situation (one of them where several fit)
FINDING_OF: dict[SixMonthSituation, RegisterFinding] = {
    "ordinary-employment": "employed",
    "social-economy-employment": "employed",
    "self-employed": "self-supporting",
    "flex-job": "flex-job",
    "wage-subsidy-job": "job-seeking",  # DREAM's codes for wage subsidy are not in our table: activation
    "education": "education",
    "job-seeking": "job-seeking",
    "inactive": "sickness-benefit",
}
# The findings that tell a situation and that these codes can write (no code of ours shows a wage-subsidy job)
DECISIVE: tuple[RegisterFinding, ...] = ("employed", *(f for f in CODE_OF if COUNTS_AS[f] is not None))


@dataclass(frozen=True)
class Check:
    """A six-month check of a person's: its date and what the caseworker recorded (None: nothing, or unreachable)."""

    due_on: date
    recorded: SixMonthSituation | None


@dataclass(frozen=True)
class Planned:
    """A person to write, and the finding planned for each of their checks' dates."""

    cpr: str
    findings: dict[date, RegisterFinding]


def plan(people: Iterable[tuple[str, Sequence[Check]]], *, agreement: float, rng: random.Random) -> list[Planned]:
    """For each check, the finding that agrees with the record with probability `agreement`, else another decisive
    one; a check without a record gets a random decisive finding."""
    planned = []
    for cpr, checks in people:
        findings: dict[date, RegisterFinding] = {}
        for check in checks:
            agreeing = FINDING_OF.get(check.recorded) if check.recorded is not None else None
            if agreeing is not None and rng.random() < agreement:
                findings[check.due_on] = agreeing
            else:
                others = [f for f in DECISIVE if COUNTS_AS[f] != (check.recorded or "") and f != agreeing]
                findings[check.due_on] = rng.choice(others)
        planned.append(Planned(cpr, findings))
    return planned


def write_extract(
    out: Path, planned: Sequence[Planned], *, first: Week, last: Week, others: int, rng: random.Random
) -> int:
    """Write the extract (weeks first..last, their months' degrees) with `others` unknown people; the rows written."""
    weeks = [first]
    while weeks[-1] < last:
        weeks.append(Week.of(weeks[-1].monday + timedelta(weeks=1)))
    months = sorted({f"{w.monday:%Y-%m}" for w in weeks} | {f"{w.sunday:%Y-%m}" for w in weeks})
    rows = list(planned) + [Planned(synthetic_citizen(rng).cpr, {}) for _ in range(others)]
    seen: set[str] = set()
    with out.open("w", newline="", encoding="utf-8") as file:
        writer = csv.writer(file)
        writer.writerow(
            ["cpr"]
            + [f"y_{w.year % 100:02d}{w.week:02d}" for w in weeks]
            + [f"grad_{m.replace('-', '_')}" for m in months]
            + [f"branche_{m.replace('-', '_')}" for m in months]
        )
        written = 0
        for person in rows:
            digits = person.cpr.replace("-", "")
            if digits in seen:
                continue  # a made-up number drawn twice
            seen.add(digits)
            codes = {w: rng.choice(["", "", "111", "651", "890"]) for w in weeks}
            degrees = {m: rng.choice(["", "0.5", "1"]) for m in months}
            for due_on, finding in person.findings.items():
                for week in window(due_on):
                    codes[week] = CODE_OF.get(finding, "")
                degrees[f"{due_on:%Y-%m}"] = "0.8" if finding == "employed" else ""
            writer.writerow(
                [digits]
                + [codes[w] for w in weeks]
                + [degrees[m] for m in months]
                + ["" if not degrees[m] else "889900" for m in months]
            )
            written += 1
    return written


async def demo_people(settings: IntakeSettings) -> list[tuple[str, list[Check]]]:
    """The participants of the intake these settings name: CPR number, six-month checks, the results recorded."""
    vault = settings.vault()
    engine = create_engine(settings.database_url, pool_size=1, statement_seconds=None)
    try:
        async with create_sessionmaker(engine)() as session:
            found = (
                await session.exec(
                    select(Participant, ParticipantKey).join(
                        ParticipantKey, col(ParticipantKey.participant_id) == col(Participant.id)
                    )
                )
            ).all()
            ids = [p.id for p, _ in found]
            checks = await checks_of(session, ids)
            results = await session.exec(
                select(col(TimelineEntry.participant_id), col(TimelineEntry.data))
                .where(
                    col(TimelineEntry.participant_id).in_(ids),
                    col(TimelineEntry.event_type) == wire_name(SixMonthResultRecorded),
                )
                .order_by(col(TimelineEntry.id))
            )
            recorded = {(pid, data.get("exit_number")): data["situation"] for pid, data in results if data["counts"]}
    finally:
        await engine.dispose()
    people = []
    for participant, key in found:
        if participant.cpr_encrypted is None:
            continue
        data_key = opened(
            vault,
            participant.id,
            legacy_key_id=participant.legacy_key_id,
            master_key_id=key.master_key_id,
            wrapped=key.wrapped_key,
        )
        mine = [
            Check(c.due_on, _recorded(recorded.get((participant.id, c.exit_number))))
            for c in checks
            if c.participant_id == participant.id and c.due_on < date.today()
        ]
        people.append((data_key.decrypt(participant.cpr_encrypted), mine))
    return people


def _recorded(situation: str | None) -> SixMonthSituation | None:
    return None if situation in (None, "unreachable") else situation  # type: ignore[return-value]


def main(argv: list[str] | None = None) -> int:
    """Write a synthetic extract for the local stack's participants."""
    parser = argparse.ArgumentParser(prog="python -m deploy.synthetic_register", description=__doc__)
    parser.add_argument("out", type=Path)
    parser.add_argument("--agreement", type=float, default=0.8, help="how often the register agrees (0 to 1)")
    parser.add_argument("--others", type=int, default=200, help="people referred to no programme")
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args(argv)
    if not 0 <= args.agreement <= 1:
        parser.error("--agreement is a probability, 0 to 1")
    settings = IntakeSettings()  # intake's own settings from the environment: its database and keys
    written, participants = asyncio.run(
        write_for(settings, args.out, agreement=args.agreement, others=args.others, seed=args.seed)
    )
    print(f"wrote {written:,} rows to {args.out}: {participants:,} participants and the rest made up", file=sys.stderr)
    return 0


async def write_for(
    settings: IntakeSettings, out: Path, *, agreement: float, others: int, seed: int = 1
) -> tuple[int, int]:
    """An extract for the participants of the intake the settings name, every week up to last week: the rows
    written, and how many of them are participants."""
    rng = random.Random(seed)
    planned = plan(await demo_people(settings), agreement=agreement, rng=rng)
    dues = [d for p in planned for d in p.findings] or [date.today()]
    last = Week.of(date.today() - timedelta(weeks=1))
    first = Week.of(min(dues) - timedelta(weeks=8))
    written = await asyncio.to_thread(
        write_extract, out, planned, first=min(first, last), last=last, others=others, rng=rng
    )
    return written, len(planned)


if __name__ == "__main__":
    raise SystemExit(main())

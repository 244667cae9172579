"""The bench of the pages' fill: a caseworker's cases referred through intake's own route, and each case's facts
delivered through the consumer intake runs (bench.pages)."""

from __future__ import annotations

import asyncio
import random
from collections.abc import Awaitable, Iterator
from dataclasses import dataclass
from datetime import date, timedelta
from uuid import UUID

import asyncpg
import httpx
from fastapi import FastAPI

from deploy.synthetic import referral_body, synthetic_citizen
from services.enrolment.seed import COURSES, PLUS, PROGRAMMES, SUBPROJECTS
from shared import contracts, fund_rules
from shared.clock import today_in_copenhagen
from shared.consumer import Consumer
from shared.contracts import REGISTRY, AboutParticipant, to_event
from shared.envelope import CloudEvent
from shared.registry import Contract
from shared.relay import OutboxRelay

SEED = 2026
SUBPROJECT = "plus-aarhus"
COURSE = "plus-aarhus-2026"


class ToConsumer:
    """A publisher for shared.relay.OutboxRelay that hands each record to intake's consumer instead of Kafka."""

    def __init__(self, consumer: Consumer, app: FastAPI) -> None:
        self.consumer = consumer
        self.app = app

    async def publish(
        self, message: bytes, topic: str, *, key: bytes, headers: dict[str, str], no_confirm: bool
    ) -> Awaitable[object]:
        """Apply the record where intake subscribes to its topic (as Kafka would deliver it back)."""
        if topic in self.consumer.topics:
            await self.consumer.apply(self.app.state.sessions, CloudEvent.from_kafka(headers, message), topic=topic)
        return asyncio.sleep(0)


@dataclass
class Intake:
    """Intake's app, its consumer and its outbox relay, for delivering facts as Kafka would."""

    app: FastAPI
    consumer: Consumer
    relay: OutboxRelay
    dsn: str

    async def deliver(self, fact: Contract) -> None:
        """A fact from another service, applied once by intake's consumer."""
        event = to_event(fact, source="bench")
        wire = REGISTRY.current(event.type)
        topic = REGISTRY.topic_of(wire.model, among=next(t for t in wire.topics if t in self.consumer.topics))
        if not await self.consumer.apply(self.app.state.sessions, event, topic=topic):
            raise RuntimeError(f"intake's consumer skipped {event.type}")

    async def relay_outbox(self) -> None:
        """Everything intake has staged in its outbox, delivered back to its own consumer."""
        conn = await asyncpg.connect(self.dsn)
        try:
            while await self.relay.publish_batch(conn):
                pass
        finally:
            await conn.close()


def catalogue() -> list[Contract]:
    """The seed's running programme, its Aarhus sub-project and course, as enrolment publishes them."""
    programme = PROGRAMMES[PLUS]
    course = COURSES[COURSE]
    return [
        contracts.ProgrammePublished(
            programme_id=PLUS,
            settings=contracts.ProgrammeSettings.model_validate(programme.model_dump()),
            **programme.model_dump(include={"title", "operator", "region", "starts_on", "ends_on", "fund"}),
        ),
        contracts.SubprojectPublished(
            subproject_id=SUBPROJECT, **SUBPROJECTS[SUBPROJECT].model_dump(exclude={"provider"})
        ),
        contracts.CoursePublished(course_id=COURSE, programme_id=PLUS, **course.model_dump()),
    ]


def short_history(pid: UUID, referred: date, today: date, rng: random.Random) -> list[AboutParticipant]:
    """A case's facts after its referral, drawn from a caseload's mix (a fifth are waiting for their first step)."""
    stage = rng.choices(
        ["referred", "waiting", "enrolled", "withdrawn", "started", "completed", "dropped-out"],
        weights=[15, 5, 15, 5, 30, 20, 10],
    )[0]
    enrolled = min(referred + timedelta(days=rng.randrange(5, 20)), today)
    started = min(enrolled + timedelta(days=rng.randrange(3, 14)), today)
    left = min(started + timedelta(days=rng.randrange(20, 120)), today)
    placed = {"programme_id": PLUS, "subproject_id": SUBPROJECT, "course_id": COURSE}
    facts: list[AboutParticipant] = []
    if stage == "waiting":
        waiting = {"waitlisted_on": enrolled, "position": rng.randrange(1, 9), "re_entry": False}
        return [contracts.EnrolmentWaitlisted(participant_id=pid, **placed, **waiting)]
    if stage != "referred":
        facts.append(contracts.EnrolmentConfirmed(participant_id=pid, enrolled_on=enrolled, re_entry=False, **placed))
    if stage == "withdrawn":
        facts.append(
            contracts.ParticipationWithdrawn(participant_id=pid, course_id=COURSE, withdrawn_on=started, reason="moved")
        )
    if stage in ("started", "completed", "dropped-out"):
        facts.append(contracts.ParticipationStarted(participant_id=pid, course_id=COURSE, started_on=started))
    if stage == "completed":
        facts.append(contracts.ParticipationCompleted(participant_id=pid, course_id=COURSE, left_on=left))
    if stage == "dropped-out":
        facts.append(
            contracts.ParticipationDroppedOut(participant_id=pid, course_id=COURSE, left_on=left, reason="illness")
        )
    if stage in ("completed", "dropped-out"):  # follow-up's check, open: the list's next deadline
        facts.append(leaving_check(pid, left, exit_number=1))
    return facts


def leaving_check(pid: UUID, left: date, *, exit_number: int) -> contracts.CheckScheduled:
    """Follow-up's check of the situation upon leaving, due two weeks after the exit."""
    return contracts.CheckScheduled(
        participant_id=pid,
        check="leaving-outcome",
        exit_number=exit_number,
        left_on=left,
        due_on=left + timedelta(days=14),
        counts_until=fund_rules.upon_leaving_ends(left),
    )


def long_history(pid: UUID, first: date) -> Iterator[AboutParticipant]:
    """A case that comes back again and again: each exit's enrolment, start, leaving, follow-up and re-entry."""
    day, exit_number = first, 0
    placed = {"programme_id": PLUS, "subproject_id": SUBPROJECT, "course_id": COURSE}
    while True:
        exit_number += 1
        again = exit_number > 1
        on = {"participant_id": pid}
        yield contracts.EnrolmentWaitlisted(**on, **placed, waitlisted_on=day, position=3, re_entry=again)
        yield contracts.EnrolmentConfirmed(**on, **placed, enrolled_on=day + timedelta(days=9), re_entry=again)
        started = day + timedelta(days=14)
        if (
            again
        ):  # a re-entry's start entered a day early and corrected (correcting the first would judge the entry anew)
            yield contracts.ParticipationStarted(**on, course_id=COURSE, started_on=started - timedelta(days=1))
            yield contracts.StartCorrected(
                **on,
                course_id=COURSE,
                started_on=started,
                previous_started_on=started - timedelta(days=1),
                correction_reason="entered-wrong",
            )
        else:
            yield contracts.ParticipationStarted(**on, course_id=COURSE, started_on=started)
        left = started + timedelta(days=45)
        if exit_number % 2:
            yield contracts.ParticipationDroppedOut(**on, course_id=COURSE, left_on=left, reason="illness")
        else:
            yield contracts.ParticipationCompleted(**on, course_id=COURSE, left_on=left)
        check = leaving_check(pid, left, exit_number=exit_number)
        yield check
        yield contracts.ReminderSent(**on, check="leaving-outcome", due_on=check.due_on, reminder_number=1)
        observed = left + timedelta(days=16)
        yield contracts.LeavingOutcomeRecorded(
            **on,
            situation="job-seeking",
            employed=False,
            qualification_gained=None,
            observed_on=observed,
            left_on=left,
            exit_number=exit_number,
            counts=True,
            late=False,
            supersedes=None,
        )
        yield contracts.CheckClosed(
            **on, check="leaving-outcome", exit_number=exit_number, left_on=left, reason="recorded"
        )
        six = fund_rules.six_months_after(left)
        yield contracts.CheckScheduled(
            **on,
            check="six-month",
            exit_number=exit_number,
            left_on=left,
            due_on=six,
            counts_until=six + timedelta(weeks=8),
        )
        day = observed + timedelta(days=10)  # back before the six-month result: the re-entry closes the check
        yield contracts.CheckClosed(
            **on, check="six-month", exit_number=exit_number, left_on=left, reason="re-enrolled"
        )


async def fill(intake: Intake, client: httpx.AsyncClient, *, cases: int, entries: int) -> str:
    """Refer the caseworker's cases through POST /referrals and give them histories; the long case's reference."""
    rng = random.Random(SEED)
    today = today_in_copenhagen()
    for fact in catalogue():
        await intake.deliver(fact)
    seen: set[str] = set()
    referred: list[tuple[UUID, str, date]] = []
    while len(referred) < cases:
        citizen = synthetic_citizen(rng)
        if citizen.cpr in seen:
            continue
        seen.add(citizen.cpr)
        first_name = citizen.name.split()[0].lower().replace("ø", "oe")
        contact = {"phone": f"+45 2{rng.randrange(10**6, 10**7)}", "email": f"{first_name}@example.dk"}
        contact["address"] = f"Vestergade {rng.randrange(1, 99)}, 8000 Aarhus C"
        # the long case first, referred long enough ago for its history (a cycle of about 12 facts is 85 days, so
        # 100 entries end before today); the others within the last year
        days_ago = 1000 if not referred else rng.randrange(1, 365)
        on = today - timedelta(days=days_ago)
        body = referral_body(citizen, subproject_id=SUBPROJECT, referred_on=on.isoformat(), contact=contact)
        answer = await client.post("/referrals", json=body)
        if answer.status_code != 201:
            raise RuntimeError(f"referral refused: {answer.status_code} {answer.text}")
        created = answer.json()
        referred.append((UUID(created["participant_id"]), created["case_reference"], on))
    await intake.relay_outbox()  # referral.registered: each case's first timeline entry
    for pid, _, on in referred[1:]:
        for fact in short_history(pid, on, today, rng):
            await intake.deliver(fact)
    pid, reference, on = referred[0]
    on_timeline = 1  # referral.registered
    for fact in long_history(pid, on + timedelta(days=7)):
        first_start = isinstance(fact, contracts.ParticipationStarted) and on_timeline == 3
        if on_timeline + (2 if first_start else 1) > entries:
            break
        await intake.deliver(fact)
        on_timeline += 1
        if first_start:  # intake judges the entry and stages participant.entered: one more entry
            await intake.relay_outbox()
            on_timeline += 1
    await intake.relay_outbox()  # the other cases' participant.entered
    return reference

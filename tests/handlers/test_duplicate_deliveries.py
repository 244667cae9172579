"""A duplicate delivery changes nothing, for effects no unique key caps: an exit, a re-entry, a scheduled check, a
recorded outcome, the counts reporting keeps. One participant's whole path (enrolled, started, completed, an outcome
recorded, enrolled again, started, dropped out) goes through enrolment, follow-up and reporting, every event of it
delivered a second time, and each service's whole database (but its processed marks) compared before and after.

The comparison can fail: with the inbox check removed (every delivery a first one), the same second deliveries
change the databases, and the test says which (test_without_the_inbox_check_the_duplicates_would_change_…).
"""

from __future__ import annotations

from collections.abc import Callable, Collection
from datetime import date
from typing import Any
from uuid import UUID, uuid4

import pytest
from aiokafka import ConsumerRecord
from sqlalchemy import text

import shared.consumer
from shared.batch_consumer import BatchConsumer, PolledRecord
from shared.contracts import (
    EnrolParticipant,
    ParticipationCompleted,
    RecordCompletion,
    RecordDropOut,
    RecordLeavingOutcome,
    RecordStart,
    to_event,
)
from shared.db import SessionMaker
from shared.envelope import CloudEvent
from shared.registry import Contract
from tests.fixtures.events import programme, referral, subproject
from tests.fixtures.handlers import add_course, apply, consumer, outbox_rows, rows, topic_for

PROGRAMME = "duplicate-tests"
SUBPROJECT = f"sub-{PROGRAMME}"
READERS = ("enrolment", "followup", "reporting")
Snapshot = dict[str, list[str]]
Delivery = tuple[str, CloudEvent]  # the service and what it was delivered


async def snapshot(sessions: SessionMaker) -> Snapshot:
    """Every row of every table of a service's database but its processed marks, as text, sorted."""
    async with sessions() as session:
        connection = await session.connection()
        tables = (
            await connection.execute(
                text(
                    "SELECT table_name FROM information_schema.tables WHERE table_schema = 'public'"
                    " AND table_type = 'BASE TABLE' AND table_name NOT IN ('processed_event', 'alembic_version')"
                )
            )
        ).scalars()
        found: Snapshot = {}
        for table in sorted(tables):
            rows = await connection.execute(text(f'SELECT row_to_json(t)::text FROM "{table}" t'))
            found[table] = sorted(rows.scalars())
        return found


def changed(before: Snapshot, after: Snapshot) -> list[str]:
    """The tables whose rows differ."""
    return [table for table in sorted({*before, *after}) if before.get(table) != after.get(table)]


def _event(data: Contract, cause: CloudEvent | None = None) -> CloudEvent:
    return to_event(data, source="tests", cause=cause)


class Path:
    """One participant's path through the three services; each event delivered once, then again, and what the
    second delivery changed."""

    def __init__(self, databases: Callable[[str], SessionMaker]) -> None:
        self.db = {service: databases(service) for service in READERS}
        self.pid = uuid4()
        self.published: dict[str, int] = dict.fromkeys(READERS, 0)  # each service's facts passed on so far
        self.deliveries: list[Delivery] = []
        self.second_changed: dict[tuple[str, str], list[str]] = {}

    async def deliver(self, service: str, event: CloudEvent) -> None:
        """Once (it must be applied), then again; what the second changed is kept."""
        if consumer(service).handler_for(event, topic_for(service, event)) is None:
            return  # not this service's business
        assert await apply(self.db[service], service, event), f"{service} skipped {event.type}"
        self.deliveries.append((service, event))
        before = await snapshot(self.db[service])
        await apply(self.db[service], service, event)
        if difference := changed(before, await snapshot(self.db[service])):
            self.second_changed[(service, event.type)] = difference

    async def command(self, service: str, data: Contract) -> None:
        """A caseworker's command to its owner, then every fact the owner published since, to every reader."""
        await self.deliver(service, _event(data))
        await self.pass_on(service)

    async def pass_on(self, owner: str) -> None:
        """The owner's new facts, in order, to every other service (follow-up's in turn to reporting)."""
        rows = await outbox_rows(self.db[owner], self.pid)
        new, self.published[owner] = rows[self.published[owner] :], len(rows)
        for row in new:
            event = CloudEvent.from_kafka([(k, v.encode()) for k, v in row.headers.items()], row.payload.encode())
            for reader in READERS:
                if reader != owner:
                    await self.deliver(reader, event)
            if owner != "followup":
                await self.pass_on("followup")

    async def walk(self) -> None:
        """Referred, enrolled, started, completed, an outcome recorded, enrolled again, started, dropped out."""
        course = await add_course(self.db["enrolment"], programme_id=PROGRAMME)
        for fact in (programme(PROGRAMME), subproject(SUBPROJECT, PROGRAMME)):
            for reader in ("followup", "reporting"):
                await self.deliver(reader, _event(fact))
        referred = referral(self.pid, programme_id=PROGRAMME, subproject_id=SUBPROJECT, referred_on=date(2026, 1, 20))
        for reader in READERS:
            await self.deliver(reader, _event(referred))
        enrol = {"participant_id": self.pid, "programme_id": PROGRAMME, "course_id": course}
        await self.command("enrolment", EnrolParticipant(**enrol, enrolled_on=date(2026, 2, 1)))
        await self.command("enrolment", RecordStart(participant_id=self.pid, started_on=date(2026, 2, 2)))
        await self.command("enrolment", RecordCompletion(participant_id=self.pid, completed_on=date(2026, 3, 31)))
        outcome = RecordLeavingOutcome(
            participant_id=self.pid, situation="ordinary-employment", observed_on=date(2026, 4, 10)
        )
        await self.command("followup", outcome)
        await self.command("enrolment", EnrolParticipant(**enrol, enrolled_on=date(2026, 5, 1)))
        await self.command("enrolment", RecordStart(participant_id=self.pid, started_on=date(2026, 5, 4)))
        await self.command(
            "enrolment", RecordDropOut(participant_id=self.pid, dropped_out_on=date(2026, 6, 15), reason="illness")
        )


def _facts_of(path: Path) -> set[tuple[str, str]]:
    return {(service, event.type) for service, event in path.deliveries}


async def test_every_event_of_a_whole_path_delivered_twice_changes_nothing_the_second_time(
    service_sessions: Callable[[str], SessionMaker],
) -> None:
    path = Path(service_sessions)
    await path.walk()
    delivered = _facts_of(path)
    # the path is what it should be: two exits, a re-entry, checks scheduled and closed, an outcome
    assert {
        ("followup", "participation.completed"),
        ("followup", "participation.dropped-out"),
        ("reporting", "followup.check-scheduled"),
        ("reporting", "leaving-outcome.recorded"),
        ("enrolment", "enrolment.enrol-participant"),
    } <= delivered
    assert path.second_changed == {}


# What the second delivery of each would change without the inbox check: effects no unique key caps (found by
# the test below, 2026-12-05; the tables each changes in brackets).
UNCAPPED = {
    ("enrolment", "enrolment.enrol-participant"),  # the answer published again (outbox_message); a re-entry
    ("enrolment", "participation.record-start"),  # the same
    ("enrolment", "participation.record-completion"),
    ("enrolment", "participation.record-drop-out"),
    ("followup", "participation.completed"),  # an exit: checks scheduled again for a later exit (deadline, case)
    ("followup", "participation.dropped-out"),
    ("followup", "followup.record-leaving-outcome"),  # a result recorded again (deadline, its fact again)
    ("reporting", "participation.completed"),  # an exit counted again (participant_progress)
    ("reporting", "participation.dropped-out"),
}


async def test_without_the_inbox_check_the_duplicates_would_change_the_databases(
    service_sessions: Callable[[str], SessionMaker], monkeypatch: pytest.MonkeyPatch
) -> None:
    async def every_delivery_a_first(*_: Any, event_ids: Collection[UUID], **__: Any) -> set[UUID]:
        return set(event_ids)

    monkeypatch.setattr(shared.consumer, "first_deliveries", every_delivery_a_first)
    path = Path(service_sessions)
    await path.walk()
    print(dict(sorted(path.second_changed.items())))
    assert set(path.second_changed) >= UNCAPPED, sorted(path.second_changed)


def _record(event: CloudEvent, topic: str, offset: int) -> PolledRecord:
    value = event.value()
    headers = [(k, v.encode()) for k, v in event.headers().items()]
    return ConsumerRecord(topic, 0, offset, 0, 0, event.subject.encode(), value, None, 0, len(value), headers)


async def test_an_exit_twice_in_one_poll_is_applied_once(service_sessions: Callable[[str], SessionMaker]) -> None:
    db, pid = service_sessions("followup"), uuid4()
    referred = referral(pid, programme_id=PROGRAMME, subproject_id=SUBPROJECT, referred_on=date(2026, 1, 20))
    for fact in (programme(PROGRAMME), subproject(SUBPROJECT, PROGRAMME), referred):
        await apply(db, "followup", _event(fact))
    left = _event(ParticipationCompleted(participant_id=pid, course_id="duplicate-tests", left_on=date(2026, 3, 31)))
    topic = topic_for("followup", left)
    batches = BatchConsumer(consumer("followup"), db, broker=None)  # type: ignore[arg-type]  # nothing is parked
    await batches.consume([_record(left, topic, 1), _record(left, topic, 2)])  # one poll, the same record twice
    checks = await rows(db, "SELECT check_kind, exit_number FROM deadline WHERE participant_id = :p", p=pid)
    assert sorted((c["check_kind"], c["exit_number"]) for c in checks) == [("leaving-outcome", 1), ("six-month", 1)]

"""Polls of real events through a real service's consumer (BatchConsumer, the handlers services.topology registers):
two events of one participant out of order across topics, and a poison record in the middle of a batch. The batching
of issue 22 must keep both as they are now."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from uuid import UUID, uuid4

from aiokafka import ConsumerRecord

from shared.batch_consumer import BatchConsumer, PolledRecord
from shared.contracts import ParticipationCompleted, RecordLeavingOutcome, to_event
from shared.db import SessionMaker
from shared.envelope import CloudEvent
from shared.topics import FOLLOWUP_COMMANDS, PARTICIPATION_EVENTS, REFERRAL_EVENTS
from tests.fixtures.events import programme, referral, subproject
from tests.fixtures.handlers import apply, consumer, outbox_rows, rows

PROGRAMME = "real-batch-tests"
SUBPROJECT = f"sub-{PROGRAMME}"


class Parking:
    """The broker's publish, recording what is parked on a dead-letter topic."""

    def __init__(self) -> None:
        self.parked: list[tuple[str, dict[str, str]]] = []

    async def publish(self, value: bytes, topic: str, *, key: bytes | None, headers: dict[str, str]) -> None:
        self.parked.append((topic, headers))


def _record(event: CloudEvent, topic: str, partition: int, offset: int) -> PolledRecord:
    value = event.value()
    headers = [(k, v.encode()) for k, v in event.headers().items()]
    return ConsumerRecord(topic, partition, offset, 0, 0, event.subject.encode(), value, None, 0, len(value), headers)


def _referred(pid: UUID) -> CloudEvent:
    fact = referral(pid, programme_id=PROGRAMME, subproject_id=SUBPROJECT, referred_on=date(2026, 1, 20))
    return to_event(fact, source="tests")


async def _catalogue(db: SessionMaker, service: str) -> None:
    for fact in (programme(PROGRAMME), subproject(SUBPROJECT, PROGRAMME)):
        await apply(db, service, to_event(fact, source="tests"))


async def test_an_outcome_polled_before_its_exit_from_another_topic_waits_for_it_in_the_same_poll(
    service_sessions: Callable[[str], SessionMaker],
) -> None:
    db, pid, parking = service_sessions("followup"), uuid4(), Parking()
    await _catalogue(db, "followup")
    await apply(db, "followup", _referred(pid))
    # the caseworker's outcome overtook the exit it is about: it is on followup.commands, the exit on enrolment's topic
    outcome = RecordLeavingOutcome(participant_id=pid, situation="job-seeking", observed_on=date(2026, 4, 10))
    left = ParticipationCompleted(participant_id=pid, course_id="c", left_on=date(2026, 3, 31))
    poll = [
        _record(to_event(outcome, source="tests"), FOLLOWUP_COMMANDS, 2, 5),
        _record(to_event(left, source="tests"), PARTICIPATION_EVENTS, 0, 7),
    ]
    await BatchConsumer(consumer("followup"), db, parking).consume(poll)  # type: ignore[arg-type]
    checks = await rows(
        db, "SELECT check_kind, exit_number, status FROM deadline WHERE participant_id = :p ORDER BY check_kind", p=pid
    )
    assert [(c["check_kind"], c["exit_number"], c["status"]) for c in checks] == [
        ("leaving-outcome", 1, "closed"),  # the outcome counted for the exit that came after it in the poll
        ("six-month", 1, "open"),
    ]
    assert [r.type for r in await outbox_rows(db, pid) if r.type == "leaving-outcome.recorded"] == [
        "leaving-outcome.recorded"
    ]
    assert parking.parked == []


async def test_a_poison_record_in_the_middle_of_a_batch_is_parked_and_the_others_are_applied(
    service_sessions: Callable[[str], SessionMaker],
) -> None:
    db, parking = service_sessions("reporting"), Parking()
    await _catalogue(db, "reporting")
    before, after = uuid4(), uuid4()
    good = _referred(before)
    poison = good.model_copy(update={"id": uuid4(), "data": {**good.data, "municipality": "<script>"}})
    poll = [
        _record(good, REFERRAL_EVENTS, 0, 1),
        _record(poison, REFERRAL_EVENTS, 0, 2),
        _record(_referred(after), REFERRAL_EVENTS, 0, 3),
    ]
    await BatchConsumer(consumer("reporting"), db, parking).consume(poll)  # type: ignore[arg-type]
    found = await rows(
        db, "SELECT participant_id FROM participant_progress WHERE participant_id IN (:a, :b)", a=before, b=after
    )
    assert {r["participant_id"] for r in found} == {before, after}
    [(topic, headers)] = parking.parked
    assert topic == f"{REFERRAL_EVENTS}.reporting.dlt"
    assert (headers["dlt_reason"], headers["dlt_offset"]) == ("invalid", "2")

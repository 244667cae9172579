"""Reporting's polls folded in memory (shared/row_fold.py) give the rows the same facts give applied one by one.

The same for enrolment's and follow-up's referrals and moves (the contracts they fold). Each participant's path is
applied twice, to two participants: once a record at a time through the consumer, once in
polls through BatchConsumer, which folds them. The rows must be equal, column by column, whatever the poll holds:
several participants interleaved, a path split over polls (rows loaded and updated), duplicates within a poll and
across polls, an exit before the referral from another topic, a catalogue fact (not folded: the poll goes record by
record), and a row another replica inserted between the fold's read and its write.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import UTC, date, datetime, timedelta
from typing import Any
from uuid import UUID, uuid4

import pytest
from aiokafka import ConsumerRecord
from sqlmodel.ext.asyncio.session import AsyncSession

import shared.batch_consumer
from shared.batch_consumer import BatchConsumer, PolledRecord
from shared.contracts import (
    CaseReassigned,
    EnrolmentConfirmed,
    ParticipantEntered,
    ParticipationCompleted,
    ParticipationDroppedOut,
    ParticipationStarted,
    ParticipationWithdrawn,
    to_event,
)
from shared.db import SessionMaker
from shared.envelope import CloudEvent
from shared.registry import Contract
from shared.row_fold import RowFold
from tests.fixtures.events import (
    check_scheduled,
    leaving_outcome_recorded,
    programme,
    referral,
    six_month_result_recorded,
    subproject,
)
from tests.fixtures.handlers import apply, consumer, row, topic_for

SERVICE = "reporting"
PROGRAMME = "folded-poll-tests"
SUBPROJECT = f"sub-{PROGRAMME}"
T0 = datetime(2026, 1, 5, 9, tzinfo=UTC)
Path = list[Contract]


class Written:
    """RowFold, counting the polls it wrote: the folded path was taken."""

    polls = 0

    @staticmethod
    def install(monkeypatch: pytest.MonkeyPatch) -> None:
        Written.polls = 0

        class Counting(RowFold):
            async def write(self, session: AsyncSession) -> None:
                await super().write(session)
                Written.polls += 1

        monkeypatch.setattr(shared.batch_consumer, "RowFold", Counting)


def path(pid: UUID, variant: int) -> Path:
    """A participant's facts in the order they were published; the variant picks the path."""
    left = date(2026, 4, 20) + timedelta(days=variant)
    facts: Path = [
        referral(pid, programme_id=PROGRAMME, subproject_id=SUBPROJECT, referred_on=date(2026, 1, 12)),
        EnrolmentConfirmed(
            participant_id=pid,
            programme_id=PROGRAMME,
            subproject_id=SUBPROJECT,
            course_id="c1",
            enrolled_on=date(2026, 1, 19),
        ),
        ParticipationStarted(participant_id=pid, course_id="c1", started_on=date(2026, 2, 2)),
        ParticipantEntered(
            participant_id=pid,
            programme_id=PROGRAMME,
            entered_on=date(2026, 2, 2),
            age_band="25-54",
            age_band_esf_plus="18-29",
            under_25=False,
            over_54=False,
            long_term_unemployed=variant % 2 == 0,
        ),
    ]
    if variant % 3 == 2:
        return [*facts, ParticipationDroppedOut(participant_id=pid, course_id="c1", left_on=left, reason="illness")]
    facts += [
        ParticipationCompleted(participant_id=pid, course_id="c1", left_on=left),
        check_scheduled(pid, "leaving-outcome", left_on=left, due_on=left + timedelta(weeks=4)),
        leaving_outcome_recorded(pid, "job-seeking", observed_on=left + timedelta(days=3 + variant), left_on=left),
    ]
    if variant % 3 == 1:
        facts.append(
            six_month_result_recorded(pid, "ordinary-employment", observed_on=left + timedelta(days=190), left_on=left)
        )
    return facts


def events(facts: Path) -> list[CloudEvent]:
    """The facts as events, a minute apart, so that both runs see the same times."""
    return [
        to_event(f, source="tests").model_copy(update={"time": T0 + timedelta(minutes=n)}) for n, f in enumerate(facts)
    ]


def polled(event: CloudEvent, offset: int) -> PolledRecord:
    return polled_by(SERVICE, event, offset)


async def progress(db: SessionMaker, pid: UUID) -> dict[str, Any]:
    found = await row(db, "SELECT * FROM participant_progress WHERE participant_id = :p", p=pid)
    assert found is not None, pid
    return {k: v for k, v in found.items() if k != "participant_id"}


async def one_by_one(db: SessionMaker, paths: Sequence[list[CloudEvent]]) -> None:
    for path_events in paths:
        for event in path_events:
            await apply(db, SERVICE, event)


async def in_polls(db: SessionMaker, polls: Sequence[Sequence[CloudEvent]]) -> None:
    batches = BatchConsumer(consumer(SERVICE), db, broker=None)  # type: ignore[arg-type]  # nothing is parked
    offset = 0
    for poll in polls:
        records = []
        for event in poll:
            offset += 1
            records.append(polled(event, offset))
        await batches.consume(records)


@pytest.fixture
async def db(service_sessions: Callable[[str], SessionMaker]) -> SessionMaker:
    sessions = service_sessions(SERVICE)
    for fact in (programme(PROGRAMME), subproject(SUBPROJECT, PROGRAMME)):
        await apply(sessions, SERVICE, to_event(fact, source="tests"))
    return sessions


def twins(count: int) -> tuple[list[UUID], list[UUID], list[list[CloudEvent]], list[list[CloudEvent]]]:
    """For each variant a participant applied one by one and one applied in polls, with the same facts and times."""
    alone, polled_ids = [uuid4() for _ in range(count)], [uuid4() for _ in range(count)]
    return (
        alone,
        polled_ids,
        [events(path(p, v)) for v, p in enumerate(alone)],
        [events(path(p, v)) for v, p in enumerate(polled_ids)],
    )


async def assert_same_rows(db: SessionMaker, alone: list[UUID], polled_ids: list[UUID]) -> None:
    for one, other in zip(alone, polled_ids, strict=True):
        assert await progress(db, other) == await progress(db, one)


async def test_interleaved_participants_in_split_polls_with_duplicates_fold_to_the_rows_of_one_by_one(
    db: SessionMaker, monkeypatch: pytest.MonkeyPatch
) -> None:
    Written.install(monkeypatch)
    alone, polled_ids, alone_events, poll_events = twins(6)
    await one_by_one(db, alone_events)
    # every participant's facts in order, participants interleaved; cut into three polls of different sizes
    interleaved = [e for step in range(max(map(len, poll_events))) for p in poll_events for e in p[step : step + 1]]
    first, second, third = interleaved[:7], interleaved[7:30], interleaved[30:]
    polls = [first, second + second[:4] + first[:2], [*third, third[0]]]  # a poll's own records again, and earlier
    await in_polls(db, polls)
    assert Written.polls == 3  # each poll folded, none record by record
    await assert_same_rows(db, alone, polled_ids)


async def test_an_exit_polled_before_the_referral_folds_to_the_same_row(
    db: SessionMaker, monkeypatch: pytest.MonkeyPatch
) -> None:
    Written.install(monkeypatch)
    alone, polled_ids, alone_events, poll_events = twins(2)
    await one_by_one(db, [[*p[4:], *p[:4]] for p in alone_events])  # the exit's topic ahead of the referral's
    await in_polls(db, [[e for p in poll_events for e in (*p[4:], *p[:4])]])
    assert Written.polls == 1
    await assert_same_rows(db, alone, polled_ids)


async def test_a_catalogue_fact_in_the_poll_sends_it_record_by_record_with_the_same_rows(
    db: SessionMaker, monkeypatch: pytest.MonkeyPatch
) -> None:
    Written.install(monkeypatch)
    alone, polled_ids, alone_events, poll_events = twins(3)
    await one_by_one(db, alone_events)
    catalogue = to_event(programme(PROGRAMME, name="Renamed"), source="tests")
    await in_polls(db, [[*poll_events[0], catalogue, *poll_events[1], *poll_events[2]]])
    assert Written.polls == 0
    await assert_same_rows(db, alone, polled_ids)


async def test_a_row_another_replica_inserted_meanwhile_is_not_overwritten(
    db: SessionMaker, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The fold found no row; another replica inserted one before the fold wrote: the fold's insert fails, and the poll
    is applied record by record on top of the other's row, which keeps what it said."""
    pid = uuid4()
    started = events([ParticipationStarted(participant_id=pid, course_id="c1", started_on=date(2026, 2, 2))])
    withdrawn = ParticipationWithdrawn(
        participant_id=pid, course_id="c1", withdrawn_on=date(2026, 1, 30), reason="declined"
    )

    class Raced(RowFold):
        async def load(self, session: AsyncSession, keys: Any) -> None:
            await super().load(session, keys)
            await apply(db, SERVICE, to_event(withdrawn, source="tests"))  # the other replica, committed

    monkeypatch.setattr(shared.batch_consumer, "RowFold", Raced)
    await in_polls(db, [started])
    stored = await progress(db, pid)
    assert (stored["withdrawn"], stored["started"], stored["entered_on"]) == (True, True, date(2026, 2, 2))


def referrals(pid: UUID, variant: int) -> Path:
    """A referral, a re-referral after a move, and a case moved by a team lead (older than the re-referral when the
    variant is odd: the later caseworker wins, whichever came first)."""
    first = referral(
        pid,
        programme_id=PROGRAMME,
        subproject_id=SUBPROJECT,
        referred_on=date(2026, 1, 12),
        case_reference=f"RUM-{800_000 + variant}",
    )
    again = first.model_copy(update={"municipality": "101", "caseworker_email": f"moved{variant}@example.org"})
    moved_at = T0 + timedelta(minutes=1 if variant % 2 else 10)
    moved = CaseReassigned(
        participant_id=pid,
        case_reference=first.case_reference,
        reassignment_id=uuid4(),
        previous_caseworker_email=first.caseworker_email,
        caseworker_email=f"lead{variant}@example.org",
        reason="workload",
        reassigned_at=moved_at,
    )
    return [first, moved, again] if variant % 3 else [moved, first, again]


@pytest.mark.parametrize(("service", "table"), [("enrolment", "referral"), ("followup", "followup_case")])
async def test_referrals_and_moves_fold_to_the_rows_of_one_by_one(
    service: str, table: str, service_sessions: Callable[[str], SessionMaker], monkeypatch: pytest.MonkeyPatch
) -> None:
    Written.install(monkeypatch)
    db = service_sessions(service)
    for fact in (programme(PROGRAMME), subproject(SUBPROJECT, PROGRAMME)):
        await apply(db, service, to_event(fact, source="tests"))
    alone, folded = [uuid4() for _ in range(6)], [uuid4() for _ in range(6)]
    for variant, pid in enumerate(alone):
        for event in events(referrals(pid, variant)):
            if consumer(service).handler_for(event, topic_for(service, event)) is not None:
                await apply(db, service, event)
    polls = [events(referrals(pid, variant)) for variant, pid in enumerate(folded)]
    batches = BatchConsumer(consumer(service), db, broker=None)  # type: ignore[arg-type]  # nothing is parked
    handled = [[e for e in poll if consumer(service).handler_for(e, topic_for(service, e))] for poll in polls]
    first_half = [e for poll in handled for e in poll[:2]]
    second_half = [e for poll in handled for e in poll[2:]] + first_half[:3]  # and some again
    for offset, poll in enumerate((first_half, second_half)):
        await batches.consume([polled_by(service, e, 100 * offset + n) for n, e in enumerate(poll)])
    assert Written.polls == 2
    for one, other in zip(alone, folded, strict=True):
        found = [await row(db, f"SELECT * FROM {table} WHERE participant_id = :p", p=p) for p in (one, other)]
        assert found[0] is not None and found[1] is not None
        assert {k: v for k, v in found[1].items() if k != "participant_id"} == {
            k: v for k, v in found[0].items() if k != "participant_id"
        }


def polled_by(service: str, event: CloudEvent, offset: int) -> PolledRecord:
    topic = topic_for(service, event)
    value = event.value()
    headers = [(k, v.encode()) for k, v in event.headers().items()]
    return ConsumerRecord(topic, 0, offset, 0, 0, event.subject.encode(), value, None, 0, len(value), headers)

"""A transaction's events are staged in its session and written in one statement as it commits (shared/outbox.py)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Any
from uuid import uuid4

import pytest
from sqlalchemy import event

from shared.contracts import ParticipationStarted
from shared.db import SessionMaker, unit_of_work
from shared.outbox import publish
from tests.fixtures.handlers import outbox_rows

SERVICE = "enrolment"


PID = uuid4()


def started(course: str) -> ParticipationStarted:
    return ParticipationStarted(participant_id=PID, course_id=course, started_on=date(2026, 2, 2))


class Statements:
    """The statements a database's engine ran that insert into the outbox."""

    def __init__(self, sessions: SessionMaker) -> None:
        self.found: list[str] = []
        self._engine = sessions.kw["bind"].sync_engine

    def __enter__(self) -> Statements:
        event.listen(self._engine, "before_cursor_execute", self._seen)
        return self

    def __exit__(self, *_: object) -> None:
        event.remove(self._engine, "before_cursor_execute", self._seen)

    def _seen(self, _conn: Any, _cursor: Any, statement: str, *_: Any) -> None:
        if "INSERT INTO outbox_message" in statement:
            self.found.append(statement)


@pytest.fixture
def db(service_sessions: Callable[[str], SessionMaker]) -> SessionMaker:
    return service_sessions(SERVICE)


async def test_a_transactions_events_are_written_in_one_statement_in_the_order_staged(db: SessionMaker) -> None:
    with Statements(db) as statements:
        async with unit_of_work(db) as session:
            staged = [publish(session, started(f"c{n}"), source="tests") for n in range(5)]
    assert len(statements.found) == 1
    assert [r.event_id for r in await outbox_rows(db, PID)][-5:] == [e.id for e in staged]


async def test_a_rolled_back_transactions_events_are_never_written_even_by_the_same_session(db: SessionMaker) -> None:
    async with db() as session:
        with pytest.raises(RuntimeError):
            async with session.begin():
                lost = publish(session, started("lost"), source="tests")
                raise RuntimeError("the use case failed")
        async with session.begin():  # the same session, a new transaction
            kept = publish(session, started("kept"), source="tests")
    written = {r.event_id for r in await outbox_rows(db, PID)}
    assert kept.id in written
    assert lost.id not in written

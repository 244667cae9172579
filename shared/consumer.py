"""The idempotent consumer every service reads its topics with, dispatching from the contract registry.

Each record is looked up by (type, version), upcast to the current version, parsed once and checked to be about
the subject it names (a Delivery); then the handler the service registered for that contract runs in one transaction
with the mark that the event was processed. A duplicate delivery changes nothing. A poll's deliveries are marked with
one statement (shared/batch_consumer.py), and a projection whose handlers only get and add rows of one table says so
(Folded): a poll of its events is then folded in memory and written with a few statements (shared/row_fold.py).
"""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal
from uuid import UUID

from sqlalchemy import text
from sqlmodel import SQLModel
from sqlmodel.ext.asyncio.session import AsyncSession

from shared.contracts import REGISTRY
from shared.db import SessionMaker, run, unit_of_work
from shared.envelope import CloudEvent, InvalidEvent
from shared.inbox import first_deliveries
from shared.logging import get_logger
from shared.metrics import HANDLER_DURATION
from shared.registry import Contract, Registry, UnknownType

log = get_logger(__name__)

# A handler gets the caller's session (it never commits), the parsed data and the envelope (id, time, causation).
Handler = Callable[[AsyncSession, Any, CloudEvent], Awaitable[None]]
Handlers = Mapping[type[Contract], Handler]
# What became of a record: applied, a duplicate delivery, or a fact this service does not need
Outcome = Literal["applied", "duplicate", "skipped"]


class AwaitingFact(Exception):
    """The record needs a fact from another topic that has not been applied yet: wait for it, never park the record.

    Kafka orders records within a partition only, so a command can overtake the fact it depends on (an enrolment its
    participant's referral). Retried like an outage: the fact is on its topic already and arrives within moments.
    """


@dataclass(frozen=True)
class Delivery:
    """A record's event, parsed and checked, with the handler it goes to (None: not this service's business)."""

    event: CloudEvent
    handler: Handler | None = None
    data: Contract | None = None


@dataclass(frozen=True)
class Folded:
    """The contracts whose handlers only get (by `key`, a field of the data and the table's key column) and add rows
    of one table: a poll of them is folded in memory and written in a few statements (shared/row_fold.py)."""

    model: type[SQLModel]
    contracts: frozenset[type[Contract]]
    key: str = "participant_id"


@dataclass(frozen=True)
class Consumer:
    """One service's consumer: the handler it registered for each contract it reads."""

    name: str
    handlers: Handlers
    registry: Registry = field(default=REGISTRY)
    # SQL run first in each event's transaction: reporting takes a shared lock its rebuild waits on to switch over
    guard: str | None = None
    folded: Folded | None = None

    @property
    def topics(self) -> tuple[str, ...]:
        """The topics this consumer subscribes to: those that carry the contracts it handles."""
        return self.registry.topics_of(self.handlers)

    async def apply(self, sessions: SessionMaker, event: CloudEvent, *, topic: str) -> bool:
        """Apply an event once in a transaction of its own; False if it was skipped (not this service's business, or
        a duplicate). Raises InvalidEvent as outcome does."""
        return await self.outcome(sessions, event, topic=topic) == "applied"

    async def outcome(self, sessions: SessionMaker, event: CloudEvent, *, topic: str) -> Outcome:
        """Apply an event once in a transaction of its own; what became of it.

        Raises InvalidEvent for a record that can never be processed: an unknown type or an unhandled contract on
        a command topic, a version nobody can read, data that does not validate, a subject that is not the data's.
        """
        delivery = self.delivery(event, topic)
        if delivery.handler is None:
            return "skipped"
        async with unit_of_work(sessions) as session:
            if self.guard is not None:
                await run(session, text(self.guard))
            return await self.apply_marked(session, delivery, await self.first_of(session, [delivery]))

    def delivery(self, event: CloudEvent, topic: str) -> Delivery:
        """The event parsed for its handler. Raises InvalidEvent as outcome does."""
        handler = self.handler_for(event, topic)
        if handler is None:
            return Delivery(event)
        return Delivery(event, handler, self.registry.parse(event))

    def handler_for(self, event: CloudEvent, topic: str) -> Handler | None:
        """The handler of the event's contract; None for a fact this service does not need or know (tolerated), and
        InvalidEvent for a command nobody here handles."""
        try:
            wire = self.registry.current(event.type)
        except UnknownType as exc:
            if self.registry.carries_commands(topic):
                raise InvalidEvent(f"unknown command type {event.type!r}") from exc
            return None  # a fact of a type this service does not know yet: tolerated, as are unknown fields
        handler = self.handlers.get(wire.model)
        if handler is None and self.registry.carries_commands(topic):
            raise InvalidEvent(f"{event.type} is not a command {self.name} handles")
        return handler

    async def apply_in(self, session: AsyncSession, event: CloudEvent, *, topic: str) -> bool:
        """Apply an event once in the caller's transaction (a rebuild applies many in one); False if skipped."""
        return await self.outcome_in(session, event, topic=topic) == "applied"

    async def outcome_in(self, session: AsyncSession, event: CloudEvent, *, topic: str) -> Outcome:
        """Apply an event once in the caller's transaction; what became of it. Raises InvalidEvent as outcome does."""
        delivery = self.delivery(event, topic)
        if delivery.handler is None:
            return "skipped"
        return await self.apply_marked(session, delivery, await self.first_of(session, [delivery]))

    async def first_of(self, session: AsyncSession, deliveries: Sequence[Delivery]) -> set[UUID]:
        """Mark the deliveries this service handles as processed, in one statement; the ids delivered for the first
        time (an id twice among them is in the set once: apply_marked takes it out when it applies it)."""
        ids = [d.event.id for d in deliveries if d.handler is not None]
        return await first_deliveries(session, consumer=self.name, event_ids=ids)

    async def apply_marked(self, session: AsyncSession, delivery: Delivery, first: set[UUID]) -> Outcome:
        """Run the delivery's handler if its mark was new (`first`, from first_of); what became of it."""
        event, handler = delivery.event, delivery.handler
        if handler is None:
            return "skipped"
        if event.id not in first:
            log.info("duplicate delivery skipped", event_id=str(event.id), type=event.type)
            return "duplicate"
        first.discard(event.id)  # the same event again in this poll is a duplicate
        started = time.perf_counter()
        await handler(session, delivery.data, event)
        HANDLER_DURATION.labels(self.name, event.type).observe(time.perf_counter() - started)
        return "applied"

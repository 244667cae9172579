"""The idempotent consumer every service reads its topics with, dispatching from the contract registry.

Each record is looked up by (type, version), upcast to the current version, parsed once and checked to be about
the subject it names; then the handler the service registered for that contract runs in one transaction with the
mark that the event was processed. A duplicate delivery changes nothing.
"""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

from sqlalchemy import text
from sqlmodel.ext.asyncio.session import AsyncSession

from shared.contracts import REGISTRY
from shared.db import SessionMaker, run, unit_of_work
from shared.envelope import CloudEvent, InvalidEvent
from shared.inbox import first_delivery
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
class Consumer:
    """One service's consumer: the handler it registered for each contract it reads."""

    name: str
    handlers: Handlers
    registry: Registry = field(default=REGISTRY)
    # SQL run first in each event's transaction: reporting takes a shared lock its rebuild waits on to switch over
    guard: str | None = None

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
        handler = self.handler_for(event, topic)
        if handler is None:
            return "skipped"
        data = self.registry.parse(event)
        async with unit_of_work(sessions) as session:
            if self.guard is not None:
                await run(session, text(self.guard))
            return await self._apply_parsed(session, handler, data, event)

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
        handler = self.handler_for(event, topic)
        if handler is None:
            return "skipped"
        return await self._apply_parsed(session, handler, self.registry.parse(event), event)

    async def _apply_parsed(
        self, session: AsyncSession, handler: Handler, data: Contract, event: CloudEvent
    ) -> Outcome:
        if not await first_delivery(session, consumer=self.name, event_id=event.id):
            log.info("duplicate delivery skipped", event_id=str(event.id), type=event.type)
            return "duplicate"
        started = time.perf_counter()
        await handler(session, data, event)
        HANDLER_DURATION.labels(self.name, event.type).observe(time.perf_counter() - started)
        return "applied"

"""Transactional outbox: an event is written in the same transaction as the change that caused it.

Rows become visible to the relay only when that transaction commits, so a rolled-back change never publishes. A
transaction's events are staged in its session and written together, in one statement, as it commits.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import BigInteger, Column, DateTime, Index, Text, event, text
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Session, SessionTransaction
from sqlmodel import Field, SQLModel
from sqlmodel.ext.asyncio.session import AsyncSession

from shared.contracts import REGISTRY, to_event
from shared.envelope import CloudEvent
from shared.registry import Contract
from shared.tracing import inject

NOTIFY_CHANNEL = "outbox_message"


class OutboxMessage(SQLModel, table=True):
    """An event waiting to be published: the relay deletes it once Kafka has it. (`published_at` is left from when
    published rows were kept and marked; rows of that time that have it set are never published again.)"""

    __tablename__ = "outbox_message"
    __table_args__ = (Index("ix_outbox_message_unpublished", "id", postgresql_where=text("published_at IS NULL")),)

    id: int | None = Field(default=None, sa_column=Column(BigInteger, primary_key=True, autoincrement=True))
    event_id: str = Field(max_length=36, unique=True)
    topic: str = Field(max_length=249)
    key: str = Field(max_length=100)
    headers: dict[str, Any] = Field(sa_column=Column(JSONB, nullable=False))
    payload: str = Field(sa_column=Column(Text, nullable=False))
    created_at: datetime = Field(
        default_factory=lambda: datetime.now(UTC), sa_column=Column(DateTime(timezone=True), nullable=False)
    )
    published_at: datetime | None = Field(default=None, sa_column=Column(DateTime(timezone=True), nullable=True))


def publish(
    session: AsyncSession, data: Contract, *, source: str, cause: CloudEvent | None = None, topic: str | None = None
) -> CloudEvent:
    """Stage contract data as an event on its registered topic (`topic` picks one where it travels on several)."""
    event = to_event(data, source=source, cause=cause)
    add_to_outbox(session, event, topic=REGISTRY.topic_of(type(data), among=topic))
    return event


def add_to_outbox(session: AsyncSession, event: CloudEvent, *, topic: str, key: str | None = None) -> None:
    """Stage an event in the caller's transaction; key defaults to the subject (the participant id)."""
    session.info.setdefault(_STAGED, []).append(outbox_values(event, topic=topic, key=key))


_STAGED = "outbox_staged"
# One statement for however many events a transaction staged: an array per column, unnested into rows
_WRITE_STAGED = text(
    "INSERT INTO outbox_message (event_id, topic, key, headers, payload, created_at)"
    " SELECT e, t, k, CAST(h AS jsonb), p, c FROM unnest(CAST(:e AS text[]), CAST(:t AS text[]), CAST(:k AS text[]),"
    " CAST(:h AS text[]), CAST(:p AS text[]), CAST(:c AS timestamptz[])) AS staged(e, t, k, h, p, c)"
)


@event.listens_for(Session, "before_commit")
def _write_staged(session: Session) -> None:
    """The transaction's staged events, written as it commits (in the order they were staged: the relay's order)."""
    staged = session.info.pop(_STAGED, None)
    if staged:
        session.execute(
            _WRITE_STAGED,
            {
                "e": [r["event_id"] for r in staged],
                "t": [r["topic"] for r in staged],
                "k": [r["key"] for r in staged],
                "h": [json.dumps(r["headers"]) for r in staged],
                "p": [r["payload"] for r in staged],
                "c": [r["created_at"] for r in staged],
            },
        )


@event.listens_for(Session, "after_soft_rollback")
def _forget_staged(session: Session, previous: SessionTransaction) -> None:
    """A rolled-back transaction's events are never written."""
    session.info.pop(_STAGED, None)


OUTBOX_COLUMNS = ("event_id", "topic", "key", "headers", "payload", "created_at")


def outbox_values(event: CloudEvent, *, topic: str, key: str | None = None) -> dict[str, Any]:
    """The outbox row of an event, as column values (for a caller that writes it with a statement of its own)."""
    headers = event.headers()
    inject(headers)  # the trace of the request or record that caused it, carried on by the relay
    return {
        "event_id": str(event.id),
        "topic": topic,
        "key": key or event.subject,
        "headers": headers,
        "payload": event.value().decode(),
        "created_at": datetime.now(UTC),
    }


# Used by every service's first migration: wake the relay on commit instead of waiting for its next poll.
NOTIFY_TRIGGER_SQL = (
    f"""
CREATE OR REPLACE FUNCTION notify_outbox_message() RETURNS trigger AS $$
BEGIN
  PERFORM pg_notify('{NOTIFY_CHANNEL}', '');
  RETURN NULL;
END;
$$ LANGUAGE plpgsql
""",
    """
CREATE TRIGGER outbox_message_notify AFTER INSERT ON outbox_message
FOR EACH STATEMENT EXECUTE FUNCTION notify_outbox_message()
""",
)

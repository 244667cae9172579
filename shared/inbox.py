"""Idempotent consumption: each processed event id is recorded in the same transaction as its effect."""

from __future__ import annotations

from datetime import UTC, datetime
from uuid import UUID

from sqlalchemy import Column, DateTime, text
from sqlmodel import Field, SQLModel
from sqlmodel.ext.asyncio.session import AsyncSession

from shared.db import run


class ProcessedEvent(SQLModel, table=True):
    """An event (or command) this service's consumer has already applied."""

    __tablename__ = "processed_event"

    consumer: str = Field(primary_key=True, max_length=100)
    event_id: UUID = Field(primary_key=True)
    processed_at: datetime = Field(
        default_factory=lambda: datetime.now(UTC), sa_column=Column(DateTime(timezone=True), nullable=False)
    )


async def first_delivery(session: AsyncSession, *, consumer: str, event_id: UUID) -> bool:
    """Record the event as processed; False if it already was (a duplicate delivery)."""
    result = await run(
        session,
        text(
            "INSERT INTO processed_event (consumer, event_id, processed_at) VALUES (:c, :e, now())"
            " ON CONFLICT DO NOTHING RETURNING event_id"
        ).bindparams(c=consumer, e=event_id),
    )
    return result.first() is not None

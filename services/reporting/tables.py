"""Reporting's projection: one row per participant with the milestones the counts need."""

from __future__ import annotations

from datetime import date, datetime
from uuid import UUID

from sqlalchemy import Column, DateTime
from sqlmodel import Field, SQLModel

from shared.inbox import ProcessedEvent
from shared.outbox import OutboxMessage


class ParticipantProgress(SQLModel, table=True):
    """What the facts say about one participant (pseudonymous: no personal data reaches reporting)."""

    __tablename__ = "participant_progress"

    participant_id: UUID = Field(primary_key=True)
    programme_id: str | None = Field(default=None, max_length=50, index=True)
    subproject_id: str | None = Field(default=None, max_length=50)
    municipality: str | None = Field(default=None, max_length=3)
    gender: str | None = Field(default=None, max_length=20)
    age_band: str | None = Field(default=None, max_length=20)
    referred: bool = False
    enrolled: bool = False
    completed: bool = False
    left_on: date | None = None
    employed_upon_leaving: bool = False
    employed_six_months: bool = False
    last_event_at: datetime | None = Field(default=None, sa_column=Column(DateTime(timezone=True), nullable=True))


TABLES = {t.__tablename__ for t in (ParticipantProgress, OutboxMessage, ProcessedEvent)}

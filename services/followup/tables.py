"""Follow-up's tables: what it knows of each case, and the deadlines with their reminder schedule."""

from __future__ import annotations

from datetime import date, datetime
from uuid import UUID

from sqlalchemy import BigInteger, Column, DateTime, UniqueConstraint
from sqlmodel import Field, SQLModel

from shared.inbox import ProcessedEvent
from shared.outbox import OutboxMessage


class FollowupCase(SQLModel, table=True):
    """The responsible caseworker and the leaving date of one participant."""

    __tablename__ = "followup_case"

    participant_id: UUID = Field(primary_key=True)
    case_reference: str | None = Field(default=None, max_length=20)
    caseworker_email: str | None = Field(default=None, max_length=320)
    left_on: date | None = None


class Deadline(SQLModel, table=True):
    """A check that falls due, its reminders and, once recorded, its result."""

    __tablename__ = "deadline"
    __table_args__ = (UniqueConstraint("participant_id", "check_kind", "left_on", name="uq_deadline_dedup"),)

    id: int | None = Field(default=None, sa_column=Column(BigInteger, primary_key=True, autoincrement=True))
    participant_id: UUID = Field(index=True)
    check_kind: str = Field(max_length=20)
    left_on: date
    due_on: date
    status: str = Field(default="open", max_length=20)  # open | fulfilled
    situation: str | None = Field(default=None, max_length=40)
    observed_on: date | None = None
    reminders_sent: int = 0
    next_reminder_at: datetime = Field(sa_column=Column(DateTime(timezone=True), nullable=False, index=True))
    locked_until: datetime | None = Field(default=None, sa_column=Column(DateTime(timezone=True), nullable=True))


TABLES = {t.__tablename__ for t in (FollowupCase, Deadline, OutboxMessage, ProcessedEvent)}

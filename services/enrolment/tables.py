"""Enrolment's tables: courses and participations."""

from __future__ import annotations

from datetime import UTC, date, datetime
from uuid import UUID

from sqlalchemy import Column, DateTime
from sqlmodel import Field, SQLModel

from shared.inbox import ProcessedEvent
from shared.outbox import OutboxMessage


class Course(SQLModel, table=True):
    """An inclusion course of a sub-project, with a capacity."""

    __tablename__ = "course"

    id: str = Field(primary_key=True, max_length=50)
    programme_id: str = Field(max_length=50, index=True)
    subproject_id: str = Field(max_length=50)
    municipality: str = Field(max_length=3)
    title: str = Field(max_length=200)
    starts_on: date
    ends_on: date
    capacity: int


class Participation(SQLModel, table=True):
    """A participant's current participation: one row per participant, updated by each accepted command."""

    __tablename__ = "participation"

    participant_id: UUID = Field(primary_key=True)
    course_id: str = Field(max_length=50, index=True, foreign_key="course.id")
    status: str = Field(max_length=20)
    enrolled_on: date
    started_on: date | None = None
    left_on: date | None = None
    drop_out_reason: str | None = Field(default=None, max_length=20)
    updated_at: datetime = Field(
        default_factory=lambda: datetime.now(UTC), sa_column=Column(DateTime(timezone=True), nullable=False)
    )


TABLES = {t.__tablename__ for t in (Course, Participation, OutboxMessage, ProcessedEvent)}

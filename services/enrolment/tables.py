"""Enrolment's tables: the catalogue (programmes, targets, sub-projects, companies, courses) and participations."""

from __future__ import annotations

from datetime import UTC, date, datetime
from enum import StrEnum
from typing import Any
from uuid import UUID

from sqlalchemy import BigInteger, Column, DateTime
from sqlalchemy.dialects.postgresql import JSONB
from sqlmodel import Field, SQLModel

from services.enrolment.domain import ParticipationStatus
from shared.db import one_of
from shared.inbox import ProcessedEvent
from shared.outbox import OutboxMessage
from shared.pages.tables import PageSession


def _now() -> datetime:
    return datetime.now(UTC)


def _tz() -> Any:
    return Column(DateTime(timezone=True), nullable=False)


def _one_of(values: type[StrEnum], name: str) -> Any:
    """A varchar(20) of a StrEnum's values, kept to them by a CHECK constraint."""
    return Column(one_of(values, name=name), nullable=False)


class Programme(SQLModel, table=True):
    """A programme: its period (extensions in programme_extension), fund, and the settings counting depends on."""

    __tablename__ = "programme"

    id: str = Field(primary_key=True, max_length=50)
    title: str = Field(max_length=200)
    operator: str = Field(max_length=200)
    region: str = Field(max_length=100)
    starts_on: date
    ends_on: date  # as granted; the end in force is the last extension's
    fund: str = Field(max_length=30)
    flex_job_counts_as_employment: bool
    wage_subsidy_counts_as_employment: bool
    cr04_reading: str = Field(max_length=30)
    min_cell: int
    six_month_result_grace_days: int
    register_results: str = Field(default="verify", max_length=10)
    updated_at: datetime = Field(default_factory=_now, sa_column=_tz())


class ProgrammeExtension(SQLModel, table=True):
    """A decision to extend a programme's period, kept with its date and reason."""

    __tablename__ = "programme_extension"

    id: int | None = Field(default=None, sa_column=Column(BigInteger, primary_key=True, autoincrement=True))
    programme_id: str = Field(max_length=50, foreign_key="programme.id", index=True)
    ends_on: date
    decided_on: date
    reason: str = Field(max_length=500)
    recorded_at: datetime = Field(default_factory=_now, sa_column=_tz())


class Target(SQLModel, table=True):
    """A target of the grant: the figure it counts and the number first set (amendments in target_amendment)."""

    __tablename__ = "target"

    id: str = Field(primary_key=True, max_length=50)
    programme_id: str = Field(max_length=50, foreign_key="programme.id", index=True)
    subproject_id: str | None = Field(default=None, max_length=50, foreign_key="subproject.id")
    figure: str = Field(max_length=60)
    number: int
    set_on: date


class TargetAmendment(SQLModel, table=True):
    """A change of a target's number from a date on, kept with its reason; the original stays in target."""

    __tablename__ = "target_amendment"

    id: int | None = Field(default=None, sa_column=Column(BigInteger, primary_key=True, autoincrement=True))
    target_id: str = Field(max_length=50, foreign_key="target.id", index=True)
    number: int
    effective_on: date
    reason: str = Field(max_length=500)
    recorded_at: datetime = Field(default_factory=_now, sa_column=_tz())


class Subproject(SQLModel, table=True):
    """A sub-project of a programme: provider, the municipalities and target groups it serves, its coordinator."""

    __tablename__ = "subproject"

    id: str = Field(primary_key=True, max_length=50)
    programme_id: str = Field(max_length=50, foreign_key="programme.id", index=True)
    title: str = Field(max_length=200)
    provider_kind: str = Field(max_length=20)
    provider: str = Field(max_length=200)
    municipalities: list[str] = Field(sa_column=Column(JSONB, nullable=False))
    target_groups: list[str] = Field(sa_column=Column(JSONB, nullable=False))
    coordinator_email: str = Field(max_length=320)
    starts_on: date
    ends_on: date
    scope: str = Field(max_length=20)
    illustrative: bool = False


class PartnerCompany(SQLModel, table=True):
    """A company a programme works with; the CVR number and name stay in enrolment's database."""

    __tablename__ = "partner_company"

    id: str = Field(primary_key=True, max_length=50)
    programme_id: str = Field(max_length=50, foreign_key="programme.id", index=True)
    cvr: str = Field(max_length=8, unique=True)
    name: str = Field(max_length=200)
    kind: str = Field(max_length=20)
    recruited_on: date
    subproject_ids: list[str] = Field(sa_column=Column(JSONB, nullable=False))


class Course(SQLModel, table=True):
    """An inclusion course of a sub-project: where and when it runs, its seats, whether its waiting list is open."""

    __tablename__ = "course"

    id: str = Field(primary_key=True, max_length=50)
    programme_id: str = Field(max_length=50, index=True)
    subproject_id: str = Field(max_length=50)
    municipality: str = Field(max_length=3)
    title: str = Field(max_length=200)
    location: str = Field(default="", max_length=200, sa_column_kwargs={"server_default": ""})
    starts_on: date
    ends_on: date
    capacity: int
    waiting_list_open: bool = Field(default=False, sa_column_kwargs={"server_default": "false"})


class Referral(SQLModel, table=True):
    """A participant's referral as intake announced it: whom enrolment checks a course's sub-project against."""

    __tablename__ = "referral"

    participant_id: UUID = Field(primary_key=True)
    programme_id: str = Field(max_length=50)
    subproject_id: str = Field(max_length=50)
    target_group: str = Field(max_length=50)
    municipality: str = Field(max_length=3)
    referred_on: date


class Participation(SQLModel, table=True):
    """A participant's current participation: one row per participant, updated by each accepted command."""

    __tablename__ = "participation"

    participant_id: UUID = Field(primary_key=True)
    course_id: str = Field(max_length=50, index=True, foreign_key="course.id")
    status: ParticipationStatus = Field(sa_column=_one_of(ParticipationStatus, "ck_participation_status"))
    enrolled_on: date | None = None
    waitlisted_on: date | None = None
    waiting_number: int | None = None  # arrival order on the course's waiting list
    re_entry: bool = Field(default=False, sa_column_kwargs={"server_default": "false"})
    started_on: date | None = None
    left_on: date | None = None
    drop_out_reason: str | None = Field(default=None, max_length=20)
    withdrawn_on: date | None = None
    withdrawal_reason: str | None = Field(default=None, max_length=20)
    updated_at: datetime = Field(
        default_factory=lambda: datetime.now(UTC), sa_column=Column(DateTime(timezone=True), nullable=False)
    )


TABLES = {
    t.__tablename__
    for t in (
        Programme,
        ProgrammeExtension,
        Target,
        TargetAmendment,
        Subproject,
        PartnerCompany,
        Course,
        Referral,
        Participation,
        PageSession,
        OutboxMessage,
        ProcessedEvent,
    )
}

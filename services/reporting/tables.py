"""Reporting's projection (one row per participant with the milestones the counts need) and its read model of the
catalogue (no personal data, no contact data: the sub-project coordinator's email is not kept).
"""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum
from typing import Any
from uuid import UUID

from sqlalchemy import Column, DateTime, ForeignKey, MetaData, String
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import registry
from sqlmodel import Field, SQLModel

from services.reporting.domain import Answer, CheckState
from shared.db import one_of
from shared.inbox import ProcessedEvent
from shared.outbox import OutboxMessage


def _text(n: int = 40) -> Any:
    return Field(default=None, max_length=n)


def _one_of(kind: type[StrEnum], column: str, length: int) -> Any:
    """A nullable column of the enum's values, kept to them by a CHECK constraint."""
    return Field(
        default=None,
        sa_column=Column(one_of(kind, name=f"ck_participant_progress_{column}", length=length), nullable=True),
    )


class ParticipantProgress(SQLModel, table=True):
    """One participant as the facts say (pseudonymous: no personal data reaches reporting): characteristics at entry,
    the path, the final exit and the results that count for it, shaped for counting with one pass of SQL."""

    __tablename__ = "participant_progress"

    participant_id: UUID = Field(primary_key=True)
    programme_id: str | None = Field(default=None, max_length=50, index=True)
    subproject_id: str | None = Field(default=None, max_length=50)
    municipality: str | None = Field(default=None, max_length=3)
    target_group: str | None = _text(50)
    # characteristics at entry (age judged on the first start date once the participant has started)
    gender: str | None = Field(default=None, max_length=20)
    age_band: str | None = Field(default=None, max_length=20)
    age_band_esf_plus: str | None = _text(20)
    labour_market_status: str | None = _text(30)
    long_term_unemployed: bool | None = None
    education_level: str | None = _text(20)
    disability: Answer | None = _one_of(Answer, "disability", 10)
    migrant: Answer | None = _one_of(Answer, "migrant", 10)
    minority: Answer | None = _one_of(Answer, "minority", 10)
    homeless: Answer | None = _one_of(Answer, "homeless", 10)
    other_disadvantage: Answer | None = _one_of(Answer, "other_disadvantage", 10)
    third_country_national: Answer | None = _one_of(Answer, "third_country_national", 10)
    rural_area: Answer | None = _one_of(Answer, "rural_area", 10)
    # the path
    referred: bool = False
    referred_on: date | None = None
    enrolled: bool = False
    waitlisted: bool = False
    withdrawn: bool = False
    started: bool = False
    entered_on: date | None = None
    completed: bool = False
    dropped_out: bool = False
    drop_out_reason: str | None = _text(20)
    left_on: date | None = None
    # results of the final exit that count, and whether any came too late to
    employed_upon_leaving: bool = False
    upon_leaving_situation: str | None = _text()
    qualification_gained: bool | None = None
    upon_leaving_late: bool = False
    employed_six_months: bool = False
    six_months_situation: str | None = _text()
    improvement: str | None = _text()
    six_months_late: bool = False
    # which exit the latest late record was about: facts reach reporting from several topics in any order
    upon_leaving_late_exit: int | None = None
    six_months_late_exit: int | None = None
    age_judged_at_entry: bool = False  # participant.entered has set the age bands on the start date
    # follow-up of the final exit, per check
    leaving_check: CheckState | None = _one_of(CheckState, "leaving_check", 10)
    six_month_check: CheckState | None = _one_of(CheckState, "six_month_check", 10)
    erased: bool = False  # the person's data were erased in intake; the facts still count
    # A re-entry's final exit counts: exits seen, and which exit each counted result belongs to.
    exits: int = 0
    upon_leaving_exit: int | None = None
    six_months_exit: int | None = None
    # A register's finding for the final exit's six-month check (six-month-result.register-observed): which exit,
    # what it found, and the fund's situation it counts as (None where the register cannot tell).
    register_exit: int | None = None
    register_finding: str | None = _text()
    register_situation: str | None = _text()
    last_event_at: datetime | None = Field(default=None, sa_column=Column(DateTime(timezone=True), nullable=True))


class CatalogueTable(SQLModel, registry=registry()):
    """The catalogue read model's tables, in a metadata of their own: intake's read model uses the same names."""


class CatalogueProgramme(CatalogueTable, table=True):
    """A programme as enrolment last published it, with the settings counting depends on."""

    __tablename__ = "catalogue_programme"

    id: str = Field(primary_key=True, max_length=50)
    title: str = Field(max_length=200)
    operator: str = Field(max_length=200)
    region: str = Field(max_length=100)
    starts_on: date
    ends_on: date  # the end in force, extensions included
    fund: str = Field(max_length=30)
    flex_job_counts_as_employment: bool
    wage_subsidy_counts_as_employment: bool
    cr04_reading: str = Field(max_length=30)
    min_cell: int
    six_month_result_grace_days: int
    # what a register's six-month finding does: verify (shown beside), decide (counted), off
    register_results: str = Field(default="verify", max_length=10, sa_column_kwargs={"server_default": "verify"})


class CatalogueTarget(CatalogueTable, table=True):
    """A target of the grant: the figure it counts, for the programme or one sub-project."""

    __tablename__ = "catalogue_target"

    id: str = Field(primary_key=True, max_length=50)
    programme_id: str = Field(max_length=50, index=True)
    subproject_id: str | None = Field(default=None, max_length=50)
    figure: str = Field(max_length=60)


class CatalogueTargetStep(CatalogueTable, table=True):
    """A target's number from a date on: the original, then each amendment."""

    __tablename__ = "catalogue_target_step"

    target_id: str = Field(
        sa_column=Column(String(50), ForeignKey("catalogue_target.id", ondelete="CASCADE"), primary_key=True)
    )
    effective_on: date = Field(primary_key=True)
    number: int


class CatalogueSubproject(CatalogueTable, table=True):
    """A sub-project as enrolment last published it, without its coordinator's email."""

    __tablename__ = "catalogue_subproject"

    id: str = Field(primary_key=True, max_length=50)
    programme_id: str = Field(max_length=50, index=True)
    title: str = Field(max_length=200)
    provider_kind: str = Field(max_length=20)
    municipalities: list[str] = Field(sa_column=Column(JSONB, nullable=False))
    target_groups: list[str] = Field(sa_column=Column(JSONB, nullable=False))
    starts_on: date
    ends_on: date
    scope: str = Field(max_length=20)
    illustrative: bool


class CatalogueCompany(CatalogueTable, table=True):
    """A partner company, pseudonymous as it travels: its kind, recruitment date and sub-projects."""

    __tablename__ = "catalogue_company"

    id: str = Field(primary_key=True, max_length=50)
    programme_id: str = Field(max_length=50, index=True)
    kind: str = Field(max_length=20)
    recruited_on: date
    subproject_ids: list[str] = Field(sa_column=Column(JSONB, nullable=False))


class CatalogueCourse(CatalogueTable, table=True):
    """A course as enrolment last published it."""

    __tablename__ = "catalogue_course"

    id: str = Field(primary_key=True, max_length=50)
    programme_id: str = Field(max_length=50, index=True)
    subproject_id: str = Field(max_length=50)
    municipality: str = Field(max_length=3)
    starts_on: date
    ends_on: date
    capacity: int


TABLES = {
    t.__tablename__
    for t in (
        ParticipantProgress,
        OutboxMessage,
        ProcessedEvent,
        CatalogueProgramme,
        CatalogueTarget,
        CatalogueTargetStep,
        CatalogueSubproject,
        CatalogueCompany,
        CatalogueCourse,
    )
}
# What the migrations compare with: the tables every service's metadata holds, and the catalogue's own.
METADATA: tuple[MetaData, ...] = (SQLModel.metadata, CatalogueTable.metadata)

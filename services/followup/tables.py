"""Follow-up's tables: each case, its deadlines with their reminder schedule, overdue cases, coordinator digests and
the caseworkers' erasure notices."""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum
from typing import Any
from uuid import UUID

from sqlalchemy import BigInteger, Column, DateTime, UniqueConstraint
from sqlmodel import Field, SQLModel

from services.followup.domain import CheckStatus, NoticeBasis
from shared.db import one_of
from shared.inbox import ProcessedEvent
from shared.outbox import OutboxMessage


def _moment(*, index: bool = False, nullable: bool = True) -> Any:
    return Field(default=None, sa_column=Column(DateTime(timezone=True), nullable=nullable, index=index))


def _one_of(kind: type[StrEnum], *, name: str, length: int, **field: Any) -> Any:
    """A column of the enum's values, kept to them by a CHECK constraint."""
    return Field(sa_column=Column(one_of(kind, name=name, length=length), nullable=False), **field)


class FollowupCase(SQLModel, table=True):
    """What follow-up knows of one participant: whom to remind, where the case belongs, and its latest exit."""

    __tablename__ = "followup_case"

    participant_id: UUID = Field(primary_key=True)
    case_reference: str | None = Field(default=None, max_length=20)
    caseworker_email: str | None = Field(default=None, max_length=320)
    # when that caseworker became responsible (the referral's or the latest move's time): an older move loses
    caseworker_since: datetime | None = _moment()
    programme_id: str | None = Field(default=None, max_length=50)
    subproject_id: str | None = Field(default=None, max_length=50)
    employed_at_entry: bool | None = None
    exits: int = 0  # completions and drop-outs so far: the latest is the one that counts
    left_on: date | None = None  # the latest exit's date
    on_course: bool = False  # enrolled again after the latest exit (a re-entry)


class Deadline(SQLModel, table=True):
    """One check of one exit: when it is asked for, until when a result counts, where its reminders stand."""

    __tablename__ = "deadline"
    __table_args__ = (UniqueConstraint("participant_id", "check_kind", "exit_number", name="uq_deadline_of_exit"),)

    id: int | None = Field(default=None, sa_column=Column(BigInteger, primary_key=True, autoincrement=True))
    participant_id: UUID = Field(index=True)
    check_kind: str = Field(max_length=20)
    exit_number: int
    left_on: date
    due_on: date
    counts_until: date
    late_result_days: int
    proposed_situation: str | None = Field(default=None, max_length=40)
    status: CheckStatus = _one_of(CheckStatus, name="ck_deadline_status", length=20, default=CheckStatus.OPEN)
    closed_reason: str | None = Field(default=None, max_length=20)
    # The result that counts now (the latest observation inside the window), once one is recorded.
    counted_event_id: UUID | None = None
    counted_observed_on: date | None = None
    # A register's finding for a six-month check, once an extract covered it (six-month-result.register-observed):
    # what it found, and the fund's situation it counts as (None where the register cannot tell).
    register_finding: str | None = Field(default=None, max_length=30)
    register_situation: str | None = Field(default=None, max_length=40)
    step: int = 0  # the next step of schedule.steps() not yet done
    # the reminders really sent (a check found long overdue skips its first); 0 too for a row written by plain SQL
    reminders_sent: int = Field(default=0, sa_column_kwargs={"server_default": "0"})
    next_at: datetime | None = _moment(index=True)  # when that step falls due; None once closed
    attempts: int = 0  # failed sends of the current step, for the backoff
    locked_until: datetime | None = _moment()


class OverdueCase(SQLModel, table=True):
    """A check that went unanswered, waiting for its coordinator's next daily digest."""

    __tablename__ = "overdue_case"
    __table_args__ = (UniqueConstraint("deadline_id", name="uq_overdue_case_deadline"),)

    id: int | None = Field(default=None, sa_column=Column(BigInteger, primary_key=True, autoincrement=True))
    deadline_id: int
    coordinator_email: str = Field(max_length=320, index=True)
    case_reference: str = Field(max_length=20)
    check_kind: str = Field(max_length=20)
    left_on: date
    due_on: date
    counts_until: date
    digest_id: int | None = Field(default=None, index=True)


class CoordinatorDigest(SQLModel, table=True):
    """One coordinator's email of overdue cases for one day: at most one a day."""

    __tablename__ = "coordinator_digest"
    __table_args__ = (UniqueConstraint("coordinator_email", "day", name="uq_digest_a_day"),)

    id: int | None = Field(default=None, sa_column=Column(BigInteger, primary_key=True, autoincrement=True))
    coordinator_email: str = Field(max_length=320)
    day: date
    sent_at: datetime | None = _moment()
    next_at: datetime | None = _moment(index=True)
    attempts: int = 0
    locked_until: datetime | None = _moment()


class ErasureNotice(SQLModel, table=True):
    """The caseworker's email that a case's personal data were erased: filed with the erasure, sent once.

    Once sent, the caseworker's address and the case reference are cleared: the row with sent_at stays as the record
    that the caseworker was told, and leads back to nobody.
    """

    __tablename__ = "erasure_notice"

    participant_id: UUID = Field(primary_key=True)  # one notice per participant: an erasure happens once
    case_reference: str | None = Field(default=None, max_length=20)
    caseworker_email: str | None = Field(default=None, max_length=320)
    erased_on: date
    basis: NoticeBasis = _one_of(NoticeBasis, name="ck_erasure_notice_basis", length=20)
    next_at: datetime | None = _moment(index=True)  # when to try sending; None once sent
    attempts: int = 0  # failed sends, for the backoff
    locked_until: datetime | None = _moment()
    sent_at: datetime | None = _moment()


class CatalogueProgramme(SQLModel, table=True):
    """The programme settings follow-up judges by (the catalogue topic)."""

    __tablename__ = "programme_setting"

    id: str = Field(primary_key=True, max_length=50)
    late_result_days: int
    flex_job_counts_as_employment: bool
    wage_subsidy_counts_as_employment: bool
    # what a register's six-month finding does: verify (kept beside the check), decide (closes it), off
    register_results: str = Field(default="verify", max_length=10, sa_column_kwargs={"server_default": "verify"})


class CatalogueSubproject(SQLModel, table=True):
    """Whom follow-up escalates a sub-project's overdue checks to (the catalogue topic)."""

    __tablename__ = "subproject_coordinator"

    id: str = Field(primary_key=True, max_length=50)
    programme_id: str = Field(max_length=50)
    coordinator_email: str = Field(max_length=320)


TABLES = {
    t.__tablename__
    for t in (
        FollowupCase,
        Deadline,
        OverdueCase,
        CoordinatorDigest,
        ErasureNotice,
        CatalogueProgramme,
        CatalogueSubproject,
        OutboxMessage,
        ProcessedEvent,
    )
}

"""Intake's tables: participants (personal data encrypted), pending commands, the timeline, the audit log and the
catalogue as enrolment publishes it."""

from __future__ import annotations

from datetime import UTC, date, datetime
from enum import StrEnum
from typing import Any
from uuid import UUID, uuid4

from sqlalchemy import BigInteger, CheckConstraint, Column, DateTime, Index, LargeBinary, MetaData, Sequence, text
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import registry
from sqlmodel import Field, SQLModel

from services.intake.domain import CommandStatus, ErasureGround, ParticipantStatus
from shared.db import one_of
from shared.inbox import ProcessedEvent
from shared.outbox import OutboxMessage
from shared.pages.tables import PageSession

CASE_REFERENCE_SEQ = Sequence("case_reference_seq", start=1)


def _now() -> datetime:
    return datetime.now(UTC)


def _tz(nullable: bool = False) -> Any:
    return Column(DateTime(timezone=True), nullable=nullable)


def _one_of(values: type[StrEnum], name: str, *, nullable: bool = False) -> Any:
    """A varchar(20) of a StrEnum's values, kept to them by a CHECK constraint."""
    return Column(one_of(values, name=name), nullable=nullable)


class Participant(SQLModel, table=True):
    """A referred citizen. CPR number, name and contact details only encrypted, under the participant's own key
    (participant_key), or under a master key itself for rows from before migration 0009 (legacy_key_id names it);
    the CPR hash finds a referral. Once erased, none of them is left: status `erased`, the date and the basis."""

    __tablename__ = "participant"
    __table_args__ = (
        # one active referral per citizen and programme
        Index(
            "ux_participant_active_cpr",
            "programme_id",
            "cpr_hash",
            unique=True,
            postgresql_where=text("status = 'active'"),
        ),
    )

    id: UUID = Field(default_factory=uuid4, primary_key=True)
    case_reference: str = Field(unique=True, max_length=20)
    status: ParticipantStatus = Field(
        default=ParticipantStatus.ACTIVE, sa_column=_one_of(ParticipantStatus, "ck_participant_status")
    )
    programme_id: str = Field(max_length=50)
    subproject_id: str = Field(max_length=50)
    municipality: str = Field(max_length=3, index=True)
    caseworker_subject: str = Field(max_length=200)
    caseworker_email: str = Field(max_length=320)
    # None only once erased
    cpr_hash: bytes | None = Field(default=None, sa_column=Column(LargeBinary, nullable=True))
    cpr_encrypted: bytes | None = Field(default=None, sa_column=Column(LargeBinary, nullable=True))
    name_encrypted: bytes | None = Field(default=None, sa_column=Column(LargeBinary, nullable=True))
    contact_encrypted: bytes | None = Field(default=None, sa_column=Column(LargeBinary, nullable=True))
    legacy_key_id: str | None = Field(default=None, max_length=20)  # sealed under this master key itself (pre-0009)
    erased_on: date | None = None
    erasure_basis: ErasureGround | None = Field(
        default=None, sa_column=_one_of(ErasureGround, "ck_participant_erasure_basis", nullable=True)
    )
    erasure_note: str | None = Field(default=None, max_length=500)  # the administrator's, never naming the citizen
    legal_basis: str = Field(default="consent", max_length=20, sa_column_kwargs={"server_default": "consent"})
    consent_text_version: str | None = Field(default=None, max_length=50)
    consent_given_on: date | None
    consent_withdrawn_on: date | None = None
    entered_on: date | None = None  # the first start: the fund's entry, whose characteristics intake published
    referred_on: date
    characteristics: dict[str, Any] = Field(sa_column=Column(JSONB, nullable=False))
    created_at: datetime = Field(default_factory=_now, sa_column=_tz())


class ParticipantKey(SQLModel, table=True):
    """A participant's data key, wrapped under the master key named beside it. Deleting the row destroys the
    participant's personal data for good, in every copy of the database (crypto-shredding)."""

    __tablename__ = "participant_key"

    participant_id: UUID = Field(primary_key=True, foreign_key="participant.id", ondelete="CASCADE")
    master_key_id: str = Field(max_length=20, index=True)  # the rotation looks for keys under another id
    wrapped_key: bytes = Field(sa_column=Column(LargeBinary, nullable=False))
    created_at: datetime = Field(default_factory=_now, sa_column=_tz())


class PendingCommand(SQLModel, table=True):
    """A command sent to another service, until its fact or rejection comes back."""

    __tablename__ = "pending_command"

    id: UUID = Field(primary_key=True)
    participant_id: UUID = Field(index=True)
    command_type: str = Field(max_length=100)
    status: CommandStatus = Field(
        default=CommandStatus.PENDING, sa_column=_one_of(CommandStatus, "ck_pending_command_status")
    )
    answer_type: str | None = Field(default=None, max_length=100)
    answer: dict[str, Any] | None = Field(default=None, sa_column=Column(JSONB, nullable=True))
    issued_by: str = Field(max_length=200)
    # the roles the issuer held (comma-separated, as the audit log writes them); None for commands issued before 0012
    issuer_roles: str | None = Field(default=None, max_length=200)
    created_at: datetime = Field(default_factory=_now, sa_column=_tz())
    answered_at: datetime | None = Field(default=None, sa_column=_tz(nullable=True))


class TimelineEntry(SQLModel, table=True):
    """One fact on a participant's path, as the timeline shows it."""

    __tablename__ = "timeline_entry"
    # a participant's latest fact of some types (status, course, open checks): the caseload and the provider's list
    __table_args__ = (Index("ix_timeline_participant_type", "participant_id", "event_type", "id"),)

    id: int | None = Field(default=None, sa_column=Column(BigInteger, primary_key=True, autoincrement=True))
    participant_id: UUID = Field(index=True)
    event_id: UUID = Field(unique=True)
    event_type: str = Field(max_length=100)
    occurred_at: datetime = Field(sa_column=_tz())
    data: dict[str, Any] = Field(sa_column=Column(JSONB, nullable=False))


class IdempotentRequest(SQLModel, table=True):
    """The first request a user made with an Idempotency-Key: its fingerprint, and its answer or its command."""

    __tablename__ = "idempotent_request"

    subject: str = Field(primary_key=True, max_length=200)
    key: str = Field(primary_key=True, max_length=200)
    fingerprint: str = Field(max_length=64)
    answer: dict[str, Any] | None = Field(default=None, sa_column=Column(JSONB, nullable=True))
    command_id: UUID | None = None
    created_at: datetime = Field(default_factory=_now, sa_column=_tz())


class AuditEntry(SQLModel, table=True):
    """Who (with which roles) read which participant's personal data, how and when; a link of a hash chain.

    Append-only (services.intake.audit.service): the database refuses UPDATE, DELETE and TRUNCATE (migration 0008).
    """

    __tablename__ = "audit_entry"
    __table_args__ = (Index("ix_audit_entry_actor_id", "actor", "id"),)  # GET /audit?actor=, newest first

    id: int | None = Field(default=None, sa_column=Column(BigInteger, primary_key=True, autoincrement=True))
    actor: str = Field(max_length=200)
    role: str = Field(default="", max_length=200, sa_column_kwargs={"server_default": ""})  # the roles held
    action: str = Field(max_length=50)
    participant_id: UUID = Field(index=True)
    at: datetime = Field(default_factory=_now, sa_column=_tz())
    detail: str | None = Field(default=None, max_length=500)  # what exactly was read: an export, a filter
    prev_hash: str = Field(default="", max_length=64)  # the previous entry's hash (hex SHA-256)
    hash: str = Field(default="", max_length=64)  # SHA-256 of this entry's content and prev_hash


class CatalogueTable(SQLModel, registry=registry()):
    """The catalogue read model's tables, in a metadata of their own: reporting's read model uses the same names."""


class CatalogueProgramme(CatalogueTable, table=True):
    """A programme as enrolment last published it."""

    __tablename__ = "catalogue_programme"

    id: str = Field(primary_key=True, max_length=50)
    title: str = Field(max_length=200)
    starts_on: date
    ends_on: date  # the end in force, extensions included
    fund: str = Field(max_length=30)


class CatalogueSubproject(CatalogueTable, table=True):
    """A sub-project as enrolment last published it: where it works and whom it serves (no coordinator email)."""

    __tablename__ = "catalogue_subproject"

    id: str = Field(primary_key=True, max_length=50)
    programme_id: str = Field(max_length=50, index=True)
    municipalities: list[str] = Field(sa_column=Column(JSONB, nullable=False))
    target_groups: list[str] = Field(sa_column=Column(JSONB, nullable=False))
    starts_on: date
    ends_on: date
    scope: str = Field(max_length=20)


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
    # what the pages call the course (None from a course.published v1 record, which had neither)
    title: str | None = Field(default=None, max_length=200)
    location: str | None = Field(default=None, max_length=200)


TABLES = {
    t.__tablename__
    for t in (
        Participant,
        ParticipantKey,
        PendingCommand,
        TimelineEntry,
        AuditEntry,
        IdempotentRequest,
        PageSession,
        OutboxMessage,
        ProcessedEvent,
        CatalogueProgramme,
        CatalogueSubproject,
        CatalogueCourse,
    )
}
# What the migrations compare with: the tables every service's metadata holds, and the catalogue's own.
METADATA: tuple[MetaData, ...] = (SQLModel.metadata, CatalogueTable.metadata)


class RegisterImport(SQLModel, table=True):
    """One register extract's import, known by its SHA-256: how far it got and what it matched, never its content.

    rows_done moves in the transaction that applies those rows, so an import killed halfway resumes where it stopped.
    """

    __tablename__ = "register_import"
    __table_args__ = (CheckConstraint("rows_done <= rows", name="ck_register_import_rows_done"),)

    id: UUID = Field(default_factory=uuid4, primary_key=True)
    digest: str = Field(unique=True, max_length=64)  # hex SHA-256 of the file as received
    register_name: str = Field(default="dream", max_length=20)
    rows: int = Field(ge=0)  # the data rows, every one valid
    rows_done: int = Field(default=0, ge=0)
    matched: int = Field(default=0, ge=0)  # rows of a person referred to a programme here
    observed: int = Field(default=0, ge=0)  # six-month findings published
    extract_until: date  # the Sunday of the extract's last week
    imported_by: str = Field(max_length=200)
    started_at: datetime = Field(default_factory=_now, sa_column=_tz())
    finished_at: datetime | None = Field(default=None, sa_column=_tz(nullable=True))


class RegisterObservation(SQLModel, table=True):
    """A six-month check a register extract has answered: one finding per exit, from the first extract covering it."""

    __tablename__ = "register_observation"

    participant_id: UUID = Field(primary_key=True)
    exit_number: int = Field(primary_key=True, ge=1)
    import_id: UUID = Field(foreign_key="register_import.id", index=True)
    event_id: UUID  # the six-month-result.register-observed fact published
    observed_at: datetime = Field(default_factory=_now, sa_column=_tz())

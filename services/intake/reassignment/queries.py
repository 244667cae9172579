"""Reassignment's reads: the cases to move, locked, and what intake knows of the caseworker who takes them."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from uuid import UUID

from sqlalchemy import RowMapping, text
from sqlmodel.ext.asyncio.session import AsyncSession

from services.intake.domain import ParticipantStatus
from services.intake.reassignment.domain import Case, Caseworker, Known
from shared.db import run

# Locked in id order, whichever way they were asked for, so that two moves over the same cases cannot deadlock;
# only the municipality's rows are touched at all.
_CASES = (
    "SELECT id, case_reference, caseworker_subject, caseworker_email, status FROM participant WHERE municipality = :m"
)
_BY_ID = text(f"{_CASES} AND id = ANY(:ids) ORDER BY id FOR UPDATE")
_OF_CASEWORKER = text(f"{_CASES} AND caseworker_subject = :s ORDER BY id FOR UPDATE")
_KNOWN = text(
    "SELECT DISTINCT municipality = :m AS here, lower(caseworker_email) AS email FROM participant"
    " WHERE caseworker_subject = :s AND status = :active"
)
_NOW = text("SELECT clock_timestamp()")
_CASEWORKERS = text(
    "SELECT caseworker_subject AS subject, min(caseworker_email) AS email, count(*) AS cases FROM participant"
    " WHERE municipality = :m AND status = :active GROUP BY caseworker_subject ORDER BY caseworker_subject"
)


async def cases_by_id(session: AsyncSession, ids: Sequence[UUID], *, municipality: str) -> dict[UUID, Case]:
    """The municipality's cases among the ids, locked until the transaction ends."""
    found = await run(session, _BY_ID, {"m": municipality, "ids": list(ids)})
    return {case.id: case for case in map(_case, found.mappings())}


async def cases_of(session: AsyncSession, subject: str, *, municipality: str) -> list[Case]:
    """Every case of one caseworker in the municipality, erased ones too, locked; by case reference."""
    found = await run(session, _OF_CASEWORKER, {"m": municipality, "s": subject})
    return sorted(map(_case, found.mappings()), key=lambda c: c.case_reference)


async def known_caseworker(session: AsyncSession, subject: str, *, municipality: str) -> Known:
    """The work emails on a caseworker's cases in the municipality, and whether they hold cases elsewhere (erased
    cases aside: they name nobody to remind)."""
    found = (await run(session, _KNOWN, {"m": municipality, "s": subject, "active": ParticipantStatus.ACTIVE})).all()
    return Known(
        emails_here=frozenset(str(email) for here, email in found if here),
        cases_elsewhere=any(not here for here, _ in found),
    )


async def database_now(session: AsyncSession) -> datetime:
    """The database's clock now: read after the cases are locked, so a later move of a case has a later time."""
    now: datetime = (await run(session, _NOW)).scalar_one()
    return now


async def caseworkers(session: AsyncSession, *, municipality: str) -> list[tuple[Caseworker, int]]:
    """The municipality's caseworkers as intake knows them, from the cases they hold, with how many (erased aside):
    what a team lead's page offers to move cases from and to, as intake has no directory of staff."""
    found = await run(session, _CASEWORKERS, {"m": municipality, "active": ParticipantStatus.ACTIVE})
    return [(Caseworker(r["subject"], r["email"]), int(r["cases"])) for r in found.mappings()]


def _case(row: RowMapping) -> Case:
    return Case(
        id=row["id"],
        case_reference=row["case_reference"],
        caseworker_subject=row["caseworker_subject"],
        caseworker_email=row["caseworker_email"],
        erased=row["status"] == ParticipantStatus.ERASED,
    )

"""The caseload's use cases: a page of a municipality's cases (a search by CPR number audited, found or not), and a
course's participants for its provider (each first name shown audited). Take the caller's session; never commit."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from uuid import UUID

from sqlmodel.ext.asyncio.session import AsyncSession

from services.intake.audit.domain import NO_PARTICIPANT
from services.intake.audit.service import Read, append
from services.intake.caseload.queries import CaseloadFilter, CaseRow, Paging, find_caseload, on_course
from services.intake.domain import STATUS_OF_FACT, Status
from services.intake.personal_data.keys import opened
from services.intake.tables import CatalogueCourse
from services.intake.vault import Vault
from shared.auth import Principal

SEARCHED_BY_CPR = "search-by-cpr"  # the audit log's action
READ_FIRST_NAME = "read-first-name"


async def caseload(
    session: AsyncSession,
    principal: Principal,
    wanted: CaseloadFilter,
    paging: Paging,
    *,
    today: date,
    consent_erasure_days: int,
) -> tuple[list[CaseRow], int]:
    """One page of the caller's municipality's matching cases and how many match; who searched for a CPR number's
    cases is audited, with each participant shown or that nobody was found."""
    assert principal.municipality is not None  # a caseworker's or team lead's token names it
    rows, total = await find_caseload(
        session, principal.municipality, wanted, paging, today=today, consent_erasure_days=consent_erasure_days
    )
    if wanted.cpr_hash is not None:
        found = [row.participant_id for row in rows] or [NO_PARTICIPANT]
        await append(session, principal=principal, reads=[Read(p, SEARCHED_BY_CPR) for p in found])
    return rows, total


@dataclass(frozen=True)
class OnCourse:
    """A participant as the course's provider sees them: no CPR number, the first name unless erased."""

    participant_id: UUID
    case_reference: str
    first_name: str | None
    status: Status


async def course_participants_of(
    session: AsyncSession, vault: Vault, principal: Principal, course_id: str
) -> list[OnCourse] | None:
    """The participants whose latest step is on the course, or None if it is not one of the provider's courses."""
    course = await session.get(CatalogueCourse, course_id)
    if course is None or course.subproject_id not in principal.subprojects:
        return None
    rows = await on_course(session, course_id)
    # each first name shown is a read; one append for the list (one turn of the chain's lock); an erased one is none
    await append(session, principal=principal, reads=[Read(row[0], READ_FIRST_NAME) for row in rows if row[2]])
    listed = []
    for participant_id, case_reference, name_encrypted, legacy_key_id, master_key_id, wrapped, fact in rows:
        first_name = None
        if name_encrypted is not None:  # not erased
            key = opened(
                vault, participant_id, legacy_key_id=legacy_key_id, master_key_id=master_key_id, wrapped=wrapped
            )
            first_name = key.decrypt(name_encrypted).split()[0]
        listed.append(OnCourse(participant_id, case_reference, first_name, STATUS_OF_FACT[fact]))
    return listed

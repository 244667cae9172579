"""Provider staff's view (NGOs running courses): their courses' participants by case reference and first name.

Never a CPR number; each first name shown is a read of personal data and is written to the audit log.
"""

from __future__ import annotations

from typing import Annotated
from uuid import UUID

from fastapi import APIRouter, Depends, HTTPException, Path, Request
from pydantic import BaseModel, Field
from sqlalchemy import text

from services.intake.api import sessions_of
from services.intake.audit import Read, append
from services.intake.caseload import STATUS_OF_FACT
from services.intake.keys import opened
from services.intake.queries import PLACING_FACTS
from services.intake.tables import CatalogueCourse
from services.intake.vault import Vault
from shared.auth import Principal, require_role
from shared.contracts import CODE_PATTERN
from shared.db import unit_of_work

router = APIRouter()
ProviderStaff = Annotated[Principal, Depends(require_role("provider-staff"))]
_ON_COURSE = text(
    "SELECT p.id, p.case_reference, p.name_encrypted, p.legacy_key_id, k.master_key_id, k.wrapped_key,"
    " latest.event_type FROM ("
    " SELECT DISTINCT ON (participant_id) participant_id, event_type, data->>'course_id' AS course_id"
    " FROM timeline_entry WHERE event_type = ANY(:types) ORDER BY participant_id, id DESC"
    ") latest JOIN participant p ON p.id = latest.participant_id"
    " LEFT JOIN participant_key k ON k.participant_id = p.id"
    " WHERE latest.course_id = :course ORDER BY length(p.case_reference), p.case_reference"
)


class CourseParticipant(BaseModel):
    """A participant as the course's provider sees them."""

    participant_id: UUID
    case_reference: str
    first_name: str | None = Field(description="none once the participant's personal data were erased")
    status: str


@router.get("/courses/{course_id}/participants", tags=["provider"])
async def course_participants(
    course_id: Annotated[str, Path(pattern=CODE_PATTERN, max_length=50)], request: Request, principal: ProviderStaff
) -> list[CourseParticipant]:
    """The participants whose latest step is on one of the provider's courses; each first name read is audited."""
    vault: Vault = request.app.state.vault
    async with unit_of_work(sessions_of(request)) as session:
        course = await session.get(CatalogueCourse, course_id)
        if course is None or course.subproject_id not in principal.subprojects:
            raise HTTPException(404, "no such course among your sub-projects'")
        rows = (
            await session.exec(  # type: ignore[call-overload]
                _ON_COURSE, params={"types": list(PLACING_FACTS), "course": course_id}
            )
        ).all()
        # each first name shown is a read; one append for the list (one turn of the chain's lock)
        shown = [Read(row[0], "read-first-name") for row in rows if row[2] is not None]  # an erased name is no read
        await append(session, principal=principal, reads=shown)
        listed = []
        for participant_id, case_reference, name_encrypted, legacy_key_id, master_key_id, wrapped, fact in rows:
            first_name = None
            if name_encrypted is not None:  # not erased
                key = opened(
                    vault, participant_id, legacy_key_id=legacy_key_id, master_key_id=master_key_id, wrapped=wrapped
                )
                first_name = key.decrypt(name_encrypted).split()[0]
            listed.append(
                CourseParticipant(
                    participant_id=participant_id,
                    case_reference=case_reference,
                    first_name=first_name,
                    status=STATUS_OF_FACT[fact],
                )
            )
        return listed

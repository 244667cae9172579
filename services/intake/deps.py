"""What every intake route depends on: sessions, the vault, the principals by role, the participant a user may see.

The lowest floor of intake's routes (the full-stack FastAPI template's deps.py): no sub-domain's api module is
imported by another, they all import from here.
"""

from __future__ import annotations

from typing import Annotated
from uuid import UUID

from fastapi import Depends, HTTPException, Request
from fastapi.responses import JSONResponse
from sqlalchemy import text
from sqlmodel.ext.asyncio.session import AsyncSession

from services.intake.domain import PLACING_FACTS
from services.intake.tables import Participant
from services.intake.vault import Vault
from shared.auth import MUNICIPAL, Principal, require_role
from shared.db import SessionMaker, run
from shared.problems import problem
from shared.rejection import Rejection


def sessions_of(request: Request) -> SessionMaker:
    """The service's session maker."""
    return request.app.state.sessions  # type: ignore[no-any-return]


def vault_of(request: Request) -> Vault:
    """The vault that seals and opens personal data."""
    return request.app.state.vault  # type: ignore[no-any-return]


Sessions = Annotated[SessionMaker, Depends(sessions_of)]
TheVault = Annotated[Vault, Depends(vault_of)]
Caseworker = Annotated[Principal, Depends(require_role("caseworker", "team-lead"))]
# Provider staff running a course record its participants' start, completion and drop-out.
CourseRecorder = Annotated[Principal, Depends(require_role("caseworker", "team-lead", "provider-staff"))]
ProviderStaff = Annotated[Principal, Depends(require_role("provider-staff"))]
Administrator = Annotated[Principal, Depends(require_role("administrator"))]
DataProtection = Annotated[Principal, Depends(require_role("administrator", "data-protection-officer"))]


async def find_participant(session: AsyncSession, participant_id: UUID, *, principal: Principal) -> Participant | None:
    """The participant, if the user may reach it (others get None, answered as 404).

    A caseworker or team lead reaches their municipality's participants; provider staff those whose current course
    belongs to one of their sub-projects.
    """
    participant = await session.get(Participant, participant_id)
    if participant is None:
        return None
    if principal.has(*MUNICIPAL) and participant.municipality == principal.municipality:
        return participant
    if principal.has("provider-staff") and await current_subproject(session, participant_id) in principal.subprojects:
        return participant
    return None


async def visible_participant(session: AsyncSession, participant_id: UUID, principal: Principal) -> Participant:
    """The participant, or 404: another municipality's participant is indistinguishable from a missing one."""
    participant = await find_participant(session, participant_id, principal=principal)
    if participant is None:
        raise HTTPException(404, "no such participant")
    return participant


_CURRENT_SUBPROJECT = text(
    "SELECT c.subproject_id FROM timeline_entry t JOIN catalogue_course c ON c.id = t.data->>'course_id'"
    " WHERE t.participant_id = :p AND t.event_type = ANY(:types) ORDER BY t.id DESC LIMIT 1"
)


async def current_subproject(session: AsyncSession, participant_id: UUID) -> str | None:
    """The sub-project of the course the participant's latest participation fact names, per the catalogue."""
    row = (await run(session, _CURRENT_SUBPROJECT, {"p": participant_id, "types": list(PLACING_FACTS)})).first()
    return str(row[0]) if row else None


def erased_problem(participant: Participant) -> JSONResponse:
    """410 Gone: the participant's personal data were erased; the timeline still answers."""
    assert participant.erased_on is not None
    return problem(
        410,
        f"the participant's personal data were erased on {participant.erased_on.isoformat()}"
        f" (basis: {participant.erasure_basis}); the timeline still answers",
        type_="urn:rummelig:problem:erased",
        links={"timeline": f"/participants/{participant.id}/timeline"},
    )


def erased_rejection(participant: Participant) -> Rejection:
    """Nothing more is recorded about an erased participant (their path ends there; the facts so far stay)."""
    assert participant.erased_on is not None
    return Rejection(
        "erased",
        f"the participant's personal data were erased on {participant.erased_on.isoformat()}: nothing more"
        " is recorded about them",
    )

"""The participant's timeline: the path built from the events, with the commands still pending (each read audited)."""

from __future__ import annotations

from uuid import UUID

from fastapi import APIRouter, Response

from services.intake.audit.service import audit
from services.intake.deps import Caseworker, Sessions, visible_participant
from services.intake.schemas import TimelineEvent
from services.intake.timeline.queries import case_version, pending_commands, timeline_entries
from services.intake.timeline.schemas import VERSIONED, PendingCommandOut, Timeline
from shared.db import unit_of_work

router = APIRouter()


@router.get("/participants/{participant_id}/timeline", tags=["participants"], responses=VERSIONED)
async def get_timeline(participant_id: UUID, response: Response, sessions: Sessions, principal: Caseworker) -> Timeline:
    """The participant's path, built from the events, with the commands still pending and the version of the case."""
    async with unit_of_work(sessions) as session:
        participant = await visible_participant(session, participant_id, principal)
        await audit(session, principal=principal, participant_id=participant.id, action="read-timeline")
        # Read before the facts: one landing in between then makes the version older than the page, and a command
        # is refused once too often rather than accepted against a fact its sender did not see.
        version = await case_version(session, participant.id)
        response.headers["ETag"] = version.etag
        return Timeline(
            participant_id=participant.id,
            case_reference=participant.case_reference,
            events=[
                TimelineEvent(id=e.event_id, type=e.event_type, time=e.occurred_at, data=e.data)
                for e in await timeline_entries(session, participant.id)
            ],
            pending_commands=[
                PendingCommandOut(id=c.id, type=c.command_type, issued_at=c.created_at)
                for c in await pending_commands(session, participant.id)
            ],
            version=str(version),
        )

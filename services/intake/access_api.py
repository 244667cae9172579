"""The access request (GDPR art. 15) for the administrator and the data protection officer: one participant's
document as JSON, or as a page to print or send (?format=html, or a browser's Accept: text/html). Audited."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated, Literal
from uuid import UUID

from fastapi import APIRouter, Depends, HTTPException, Query, Request
from fastapi.responses import HTMLResponse, JSONResponse, Response
from jinja2 import Environment, FileSystemLoader, select_autoescape

from services.intake.access import AccessDocument, access_document
from services.intake.api import sessions_of
from services.intake.audit import audit
from services.intake.tables import Participant
from services.intake.vault import Vault
from shared.auth import Principal, require_role
from shared.clock import COPENHAGEN
from shared.db import unit_of_work

router = APIRouter(tags=["audit"])
DataProtection = Annotated[Principal, Depends(require_role("administrator", "data-protection-officer"))]
ACCESS_REQUEST = "access-request"
_templates = Environment(loader=FileSystemLoader(Path(__file__).parent / "templates"), autoescape=select_autoescape())


@router.get(
    "/participants/{participant_id}/access-request",
    response_model=AccessDocument,
    responses={200: {"content": {"text/html": {"schema": {"type": "string"}}}}},
)
async def access_request(
    participant_id: UUID,
    request: Request,
    principal: DataProtection,
    format: Annotated[  # noqa: A002 - the query parameter's name
        Literal["json", "html"] | None, Query(description="html for a page; by default as the Accept header asks")
    ] = None,
) -> Response:
    """Everything intake holds on the participant: personal data, referral, legal basis, facts, reminders,
    commands, and who read the data; this read is audited too."""
    shape = format or ("html" if "text/html" in request.headers.get("accept", "") else "json")
    vault: Vault = request.app.state.vault
    async with unit_of_work(sessions_of(request)) as session:
        participant = await session.get(Participant, participant_id)
        if participant is None:
            raise HTTPException(404, "no such participant")
        await audit(session, principal=principal, participant_id=participant.id, action=ACCESS_REQUEST, detail=shape)
        document = await access_document(
            session, participant, vault=vault, produced_at=datetime.now(UTC), produced_by=principal.subject
        )
    if shape == "html":
        page = _templates.get_template("access_request.html").render(doc=document, local=_local)
        return HTMLResponse(page, headers={"Cache-Control": "no-store"})
    return JSONResponse(document.model_dump(mode="json"), headers={"Cache-Control": "no-store"})


def _local(moment: datetime) -> str:
    """A moment as a Dane reads it: Copenhagen time, to the minute."""
    return moment.astimezone(COPENHAGEN).strftime("%d.%m.%Y %H:%M")

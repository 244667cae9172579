"""The register extract's upload for an administrator: the file streamed into an anonymous temporary file (never kept,
gone with the process), checked whole, then imported; the same file again resumes or answers that it was done."""

from __future__ import annotations

import tempfile
from datetime import date
from uuid import UUID

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel

from services.intake.deps import Administrator, Sessions, TheVault
from services.intake.register.domain import ExtractRefused
from services.intake.register.imports import import_file
from services.intake.register.service import ImportMoved
from shared.problems import problem, problem_responses

router = APIRouter(tags=["administration"])
UPLOAD_PATH = "/register-extracts"  # streams its own body: the body gate's JSON limits do not apply (main.py)
CSV_TYPES = frozenset({"text/csv", "application/csv"})


class RegisterImportAnswer(BaseModel):
    """How the import went: rows read, participants matched, six-month findings published."""

    import_id: UUID
    rows: int
    matched: int
    observed: int
    resumed: bool
    already_done: bool


@router.post(
    UPLOAD_PATH,
    response_model=RegisterImportAnswer,
    responses=problem_responses(409, 413, 415, 422),
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {"text/csv": {"schema": {"type": "string", "format": "binary"}}},
            "description": "a DREAM-style extract: cpr, y_YYWW, grad_YYYY_MM and branche_YYYY_MM columns, UTF-8",
        }
    },
)
async def upload_register_extract(
    request: Request, sessions: Sessions, vault: TheVault, principal: Administrator
) -> RegisterImportAnswer | JSONResponse:
    """Import a register extract: every row checked first (a fault refuses the file and stores nothing), then each
    person matched by the keyed CPR hash; a match is audited, a finding published for each six-month check that fell
    due within the extract. Persons referred to no programme here leave nothing behind."""
    media_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if media_type not in CSV_TYPES:
        return problem(415, "the body must be a CSV file (text/csv)")
    limit: int = request.app.state.register_max_bytes
    with tempfile.TemporaryFile() as file:  # unlinked at once: no path names it, a kill leaves nothing
        size = 0
        async for chunk in request.stream():
            size += len(chunk)
            if size > limit:
                return problem(413, f"the file is larger than {limit:,} bytes")
            file.write(chunk)
        try:
            done = await import_file(file, sessions, vault, principal=principal, max_bytes=limit, today=date.today())
        except ExtractRefused as refused:
            # well-formed as a request, refused as an extract: 422, as the JSON bodies' refusals
            return problem(422, f"{refused.message}; nothing was stored", type_=f"urn:rummelig:problem:{refused.code}")
        except ImportMoved as moved:
            return problem(409, str(moved), type_="urn:rummelig:problem:import-in-progress")
    return RegisterImportAnswer(
        import_id=done.import_id,
        rows=done.rows,
        matched=done.matched,
        observed=done.observed,
        resumed=done.resumed,
        already_done=done.already_done,
    )

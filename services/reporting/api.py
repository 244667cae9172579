"""The operator's views: the report as JSON and as a page (counts only; small cells suppressed)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse
from pydantic import BaseModel, Field

from services.reporting.deps import TEMPLATES, Operator
from services.reporting.domain import COLUMNS
from services.reporting.queries import programme_counts
from shared.auth import Principal
from shared.db import SessionMaker

router = APIRouter()
LABELS = {
    "referred": "Referred",
    "enrolled": "Enrolled",
    "completed": "Completed",
    "employed_upon_leaving": "Employed upon leaving",
    "employed_six_months": "Employed six months after",
}
Count = Annotated[int | str, Field(description="people, each once; '<N' when below the minimum cell size")]


class Counts(BaseModel):
    """A programme's counts of people."""

    referred: Count
    enrolled: Count
    completed: Count
    employed_upon_leaving: Count
    employed_six_months: Count


class ProgrammeCounts(BaseModel):
    """One programme's row of the report."""

    programme_id: str
    counts: Counts


class Report(BaseModel):
    """Counts per programme, and how fresh they are."""

    min_cell: int = Field(description="counts below this are shown as '<min_cell'")
    last_event_at: datetime | None = Field(description="the time of the newest fact the report includes")
    programmes: list[ProgrammeCounts]


async def _report(request: Request, principal: Principal) -> Report:
    sessions: SessionMaker = request.app.state.sessions
    async with sessions() as session:
        counts = await programme_counts(session, min_cell=request.app.state.min_cell, programmes=principal.programmes)
        return Report.model_validate(counts)


@router.get("/report", tags=["report"])
async def report_json(request: Request, principal: Operator) -> Report:
    """Counts per programme the operator operates: referred, enrolled, completed, employed upon leaving and after."""
    return await _report(request, principal)


@router.get("/", response_class=HTMLResponse, tags=["report"])
async def report_html(request: Request, principal: Operator) -> HTMLResponse:
    """The same counts as a page."""
    report = (await _report(request, principal)).model_dump(mode="json")
    page = TEMPLATES.get_template("report.html").render(report=report, columns=COLUMNS, labels=LABELS)
    return HTMLResponse(page)

"""The operator's views: the counts per programme as JSON (for scripts), and the operator's front page: each
programme they operate with its headline figures against the targets in force, and a link to its dashboard."""

from __future__ import annotations

import base64
import hashlib
import re
from datetime import datetime
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse
from pydantic import BaseModel, Field
from sqlmodel import col, select

from services.reporting.deps import TEMPLATES, Asked, Operator
from services.reporting.front_view import Catalogued, front_page
from services.reporting.queries import programme_counts
from services.reporting.tables import CatalogueProgramme
from shared.auth import Principal
from shared.clock import today_in_copenhagen
from shared.db import SessionMaker
from shared.figure_labels import Lang
from shared.pages.domain import SECURITY_HEADERS

router = APIRouter()
Count = Annotated[int | str, Field(description="people, each once; '<N' when below the minimum cell size")]
# The front page's one style sheet is inline; the policy admits it by its hash, and nothing else (no script at all).
_STYLE = re.compile(r"<style>(.*?)</style>", re.DOTALL)
_POLICY = (
    "default-src 'none'; style-src 'sha256-{digest}'; img-src data:; form-action 'self'; frame-ancestors 'none';"
    " base-uri 'none'"
)


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
async def operator_front_page(
    request: Request,
    principal: Operator,
    lang: Annotated[Lang, Query(description="da (default) or en")] = "da",
) -> HTMLResponse:
    """The operator's front page: each programme they operate, with its headline figures to date against the
    targets in force today (the dashboard's own report), and a link to its dashboard."""
    reports: dict[str, dict[str, Any]] = {}
    for programme_id in sorted(principal.programmes):  # the dashboard's report of the programme to date, as it is
        reports[programme_id] = await Asked(programme_id).report(request, principal)
    sessions: SessionMaker = request.app.state.sessions
    async with sessions() as session:
        found = await session.exec(
            select(CatalogueProgramme).where(col(CatalogueProgramme.id).in_(sorted(principal.programmes)))
        )
        catalogue = {p.id: Catalogued(p.title, p.fund, p.starts_on, p.ends_on) for p in found.all()}
    behind = [r["events_behind"] for r in reports.values()]
    view = front_page(
        reports,
        catalogue,
        lang=lang,
        today=today_in_copenhagen(),
        access_token=request.query_params.get("access_token"),
        events_behind=behind[-1] if behind else None,
    )
    query = {k: v for k, v in request.query_params.items() if k != "lang"}
    other = {"lang": "en"} if lang == "da" else {}  # Danish is the default
    page = TEMPLATES.get_template("front.html").render(
        v=view, other_language_url=f"/?{urlencode(query | other)}" if query | other else "/"
    )
    return HTMLResponse(page, headers=_headers(page))


def _headers(page: str) -> dict[str, str]:
    """The pages' security headers, with a policy that admits the page's own style sheet by its hash."""
    style = _STYLE.search(page)
    digest = base64.b64encode(hashlib.sha256(style.group(1).encode() if style else b"").digest()).decode()
    return SECURITY_HEADERS | {"Content-Security-Policy": _POLICY.format(digest=digest)}

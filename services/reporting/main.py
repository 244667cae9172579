"""Reporting's composition root: create_app(settings) with the operator's JSON and HTML views."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

from fastapi import Depends, FastAPI, Request
from fastapi.responses import HTMLResponse
from jinja2 import Environment, FileSystemLoader, select_autoescape

from services.reporting.projection import HANDLERS
from services.reporting.report import COLUMNS, programme_counts
from services.reporting.settings import ReportingSettings
from shared.auth import Principal, require_role
from shared.service import build_app, wire

SERVICE = "reporting"
LABELS = {
    "referred": "Referred",
    "enrolled": "Enrolled",
    "completed": "Completed",
    "employed_upon_leaving": "Employed upon leaving",
    "employed_six_months": "Employed six months after",
}
Operator = Annotated[Principal, Depends(require_role("operator"))]
_templates = Environment(loader=FileSystemLoader(Path(__file__).parent / "templates"), autoescape=select_autoescape())


def create_app(settings: ReportingSettings) -> FastAPI:
    """The reporting service."""
    wiring = wire(SERVICE, settings, handlers=HANDLERS)
    sessions = wiring.sessions
    app = build_app(name=SERVICE, settings=settings, wiring=wiring)

    async def report() -> dict[str, Any]:
        async with sessions() as session:
            return await programme_counts(session, min_cell=settings.min_cell)

    @app.get("/report", tags=["report"])
    async def report_json(_: Operator) -> dict[str, Any]:
        """Counts per programme: referred, enrolled, completed, employed upon leaving and six months after."""
        return await report()

    @app.get("/", response_class=HTMLResponse, tags=["report"])
    async def report_html(_: Operator, request: Request) -> HTMLResponse:
        """The same counts as a page."""
        page = _templates.get_template("report.html").render(report=await report(), columns=COLUMNS, labels=LABELS)
        return HTMLResponse(page)

    return app

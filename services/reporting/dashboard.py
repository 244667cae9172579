"""The operator's dashboard: one server-rendered page (no script, charts as inline SVG), Danish with an English
switch, with the same figures, suppression and filters as the exports, and downloads of what is shown."""

from __future__ import annotations

from datetime import date
from typing import Annotated
from urllib.parse import urlencode

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse
from sqlmodel import col, select

from services.reporting.dashboard_view import dashboard
from services.reporting.deps import TEMPLATES, Operator, Query_
from services.reporting.tables import CatalogueProgramme, CatalogueSubproject
from shared.clock import today_in_copenhagen
from shared.db import SessionMaker
from shared.figure_labels import Lang
from shared.names import municipality_label
from shared.pages.domain import SECURITY_HEADERS

router = APIRouter(tags=["dashboard"])
# The pages' security headers (the token may be in the URL: no referrer, no copy kept); the dashboard draws its bars
# with inline widths, so its policy admits inline style, and no script at all.
DASHBOARD_HEADERS = SECURITY_HEADERS | {
    "Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'; img-src data:; form-action 'self';"
    " frame-ancestors 'none'; base-uri 'none'"
}


def half_years(starts: date, ends: date) -> list[str]:
    """The Danish reporting half-years (ending February and August) a period touches, newest first."""
    found = []
    for year in range(starts.year, ends.year + 2):
        for month, first in ((2, date(year - 1, 9, 1)), (8, date(year, 3, 1))):
            last = date(year, month, 28)
            if first <= ends and last >= starts:
                found.append(f"{year}-{month:02d}")
    return sorted(found, reverse=True)


@router.get("/dashboard", response_class=HTMLResponse)
async def dashboard_page(
    request: Request,
    principal: Operator,
    asked: Query_,
    lang: Annotated[Lang, Query(description="da (default) or en")] = "da",
) -> HTMLResponse:
    """The programme's targets, path, trends, breakdowns and data quality on one page."""
    asked.selection(principal)  # refused here if the operator does not operate the programme
    report = await asked.report(request, principal)
    sessions: SessionMaker = request.app.state.sessions
    async with sessions() as session:
        programme = await session.get(CatalogueProgramme, asked.programme_id)
        found = await session.exec(
            select(CatalogueSubproject)
            .where(CatalogueSubproject.programme_id == asked.programme_id)
            .order_by(col(CatalogueSubproject.title))
        )
        subprojects = list(found.all())
    period = (programme.starts_on, programme.ends_on) if programme else None
    titles = {s.id: s.title for s in subprojects}
    view = dashboard(
        report, report["trends"], lang=lang, today=today_in_copenhagen(), programme_period=period, subprojects=titles
    )
    codes = sorted({m for s in subprojects for m in s.municipalities})
    query = {k: v for k, v in request.query_params.items() if k != "lang"}
    page = TEMPLATES.get_template("dashboard.html").render(
        v=view,
        programme_id=asked.programme_id,
        programme_title=programme.title if programme else asked.programme_id,
        selection=report["selection"],
        subprojects=titles,
        municipalities=[(c, municipality_label(c, lang)) for c in codes],
        chosen_municipality=municipality_label(report["selection"].get("municipality"), lang),
        half_years=half_years(*period) if period else [],
        chosen_half_year=asked.half_year,
        access_token=request.query_params.get("access_token"),
        csv_url=f"/report/figures.csv?{urlencode(query)}",
        xlsx_url=f"/report/figures.xlsx?{urlencode(query)}",
        other_language_url=f"/dashboard?{urlencode(query | {'lang': 'en' if lang == 'da' else 'da'})}",
        front_page_url="/?" + urlencode({k: v for k, v in query.items() if k == "access_token"} | {"lang": lang}),
    )
    return HTMLResponse(page, headers=DASHBOARD_HEADERS)

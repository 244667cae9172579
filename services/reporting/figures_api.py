"""The operator's figures of one programme: JSON for machines, CSV and XLSX for the fund's people (Danish headings,
numbers as numbers, hidden cells as "<5" or "x", a sheet of definitions and one of freshness)."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, Depends, HTTPException, Query, Request
from fastapi.responses import JSONResponse, Response
from openpyxl import Workbook

from services.reporting.api import Operator
from services.reporting.figures_report import DIMENSIONS, PeriodBy, Selection, figures_report
from services.reporting.tables import CatalogueProgramme
from shared.auth import Principal
from shared.db import SessionMaker
from shared.downloads import csv_download, xlsx_download
from shared.fund_rules import half_year

router = APIRouter(tags=["figures"])
CODE = r"^[a-z0-9][a-z0-9-]{0,49}$"
# A filter left at "all" in the dashboard's form arrives empty: the same as not given.
OR_EMPTY_HALF_YEAR, OR_EMPTY_CODE, OR_EMPTY_MUNICIPALITY = (
    r"^((19|20|21)\d{2}-(02|08))?$",  # a year the fund can have run in: 0000-02 would start in year -1
    r"^([a-z0-9][a-z0-9-]{0,49})?$",
    r"^(\d{3})?$",
)
HEADINGS = ("figur", "gruppe", "opdeling", "kategori", "antal")
DIMENSION_DA = {
    "total": "i alt",
    "subproject_id": "delprojekt",
    "municipality": "kommune",
    "target_group": "målgruppe",
    "gender": "køn",
    "age_band": "aldersgruppe",
}


class Asked:
    """The query of every figures view."""

    def __init__(
        self,
        programme_id: Annotated[str, Query(pattern=CODE, description="the programme")],
        period_by: Annotated[PeriodBy, Query(description="count by entry date or by leaving date")] = "entry",
        start: Annotated[date | None, Query(alias="from", description="first day of the period")] = None,
        end: Annotated[date | None, Query(alias="to", description="last day of the period")] = None,
        half: Annotated[
            str | None,
            Query(alias="half_year", pattern=OR_EMPTY_HALF_YEAR, description="a Danish half-year by its last month"),
        ] = None,
        subproject_id: Annotated[str | None, Query(pattern=OR_EMPTY_CODE)] = None,
        municipality: Annotated[str | None, Query(pattern=OR_EMPTY_MUNICIPALITY)] = None,
    ) -> None:
        self.programme_id, self.period_by, self.start, self.end = programme_id, period_by, start, end
        self.half_year, self.subproject_id, self.municipality = (
            half or None,
            subproject_id or None,
            municipality or None,
        )

    def selection(self, principal: Principal) -> Selection:
        """Which participants are asked for, if the operator operates the programme."""
        if self.programme_id not in principal.programmes:
            raise HTTPException(403, "the operator does not operate this programme")
        start, end = half_year(self.half_year) if self.half_year else (self.start, self.end)
        if start is not None and end is not None and end < start:
            raise HTTPException(422, "the period ends before it starts")
        return Selection(self.programme_id, self.period_by, start, end, self.subproject_id, self.municipality)

    async def report(self, request: Request, principal: Principal) -> dict[str, Any]:
        """The report this query asks for, with how fresh it is."""
        selection = self.selection(principal)
        sessions: SessionMaker = request.app.state.sessions
        async with sessions() as session:
            programme = await session.get(CatalogueProgramme, self.programme_id)
            # the programme's own smallest count to show; the service's setting before the catalogue has told
            min_cell = programme.min_cell if programme is not None else int(request.app.state.min_cell)
            report = await figures_report(session, selection, min_cell=min_cell)
        lag = await request.app.state.lag.read()
        report["consumer_lag"] = lag
        report["events_behind"] = sum(n for partitions in lag.values() for n in partitions.values()) if lag else None
        return report


Query_ = Annotated[Asked, Depends()]


@router.get("/report/figures")
async def figures_json(request: Request, principal: Operator, asked: Query_) -> JSONResponse:
    """Every figure of the programme: definition, value, breakdowns (hidden cells "<N" or "x"), targets, freshness."""
    report = await asked.report(request, principal)
    return JSONResponse(_jsonable(report))


@router.get("/report/figures.csv", response_class=Response)
async def figures_csv(request: Request, principal: Operator, asked: Query_) -> Response:
    """The figures as CSV (semicolon-separated, as Danish Excel expects)."""
    report = await asked.report(request, principal)
    return csv_download([HEADINGS, *rows(report)], f"rummelig-{report['programme_id']}.csv")


@router.get("/report/figures.xlsx", response_class=Response)
async def figures_xlsx(request: Request, principal: Operator, asked: Query_) -> Response:
    """The figures as an Excel workbook: the figures, their definitions, and how fresh they are."""
    report = await asked.report(request, principal)
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = "Tal"
    sheet.append(HEADINGS)
    for row in rows(report):
        sheet.append(row)
    definitions = book.create_sheet("Definitioner")
    definitions.append(("figur", "gruppe", "definition", "definition (English)"))
    for figure in report["figures"]:
        definitions.append((figure["id"], figure["group"], figure["definition"]["da"], figure["definition"]["en"]))
    freshness = book.create_sheet("Aktualitet")
    selection = report["selection"]
    for label, value in (
        ("program", report["programme_id"]),
        ("periode efter", "startdato" if selection["period_by"] == "entry" else "slutdato"),
        ("fra", selection["from"]),
        ("til", selection["to"]),
        ("delprojekt", selection["subproject_id"]),
        ("kommune", selection["municipality"]),
        ("mindste viste tal", report["min_cell"]),
        ("CR04", report["cr04_reading"]["da"]),
        ("seneste hændelse", report["last_event_at"].isoformat() if report["last_event_at"] else None),
        ("hændelser endnu ikke talt med", report["events_behind"]),
    ):
        freshness.append((label, value))
    return xlsx_download(book, f"rummelig-{report['programme_id']}.xlsx")


def rows(report: dict[str, Any]) -> list[tuple[str, str, str, str, int | str]]:
    """The report as rows: each figure's total, then each breakdown's cells and total."""
    found: list[tuple[str, str, str, str, int | str]] = []
    for figure in report["figures"]:
        found.append((figure["id"], figure["group"], DIMENSION_DA["total"], "", figure["value"]))
        for dimension in DIMENSIONS:
            breakdown = figure["breakdowns"][dimension]
            for key, value in sorted(breakdown["cells"].items()):
                found.append((figure["id"], figure["group"], DIMENSION_DA[dimension], key, value))
    return found


def _jsonable(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _jsonable(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_jsonable(v) for v in value]
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return value

"""The operator's figures of one programme: JSON for machines, CSV and XLSX for the fund's people (Danish headings,
numbers as numbers, hidden cells as "<5" or "x", a sheet of definitions and one of freshness)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, Response
from openpyxl import Workbook

from services.reporting.deps import Operator, Query_
from services.reporting.figures_report import DIMENSIONS
from shared.downloads import csv_download, xlsx_download

router = APIRouter(tags=["figures"])
HEADINGS = ("figur", "gruppe", "opdeling", "kategori", "antal")
DIMENSION_DA = {
    "total": "i alt",
    "subproject_id": "delprojekt",
    "municipality": "kommune",
    "target_group": "målgruppe",
    "gender": "køn",
    "age_band": "aldersgruppe",
}


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
    """The report as rows: each figure's total, then each breakdown's cells and its total (category "i alt").

    A breakdown's total is the people with that field known, so it may be below the figure's: the operator sees both."""
    found: list[tuple[str, str, str, str, int | str]] = []
    for figure in report["figures"]:
        named = (figure["id"], figure["group"])
        found.append((*named, DIMENSION_DA["total"], "", figure["value"]))
        for dimension in DIMENSIONS:
            breakdown = figure["breakdowns"][dimension]
            for key, value in sorted(breakdown["cells"].items()):
                found.append((*named, DIMENSION_DA[dimension], key, value))
            found.append((*named, DIMENSION_DA[dimension], DIMENSION_DA["total"], breakdown["total"]))
    return found


def _jsonable(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _jsonable(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_jsonable(v) for v in value]
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return value

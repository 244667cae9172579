"""The fund's participant extract for an administrator: JSON, CSV and XLSX, every participant in it audited."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query
from fastapi.responses import JSONResponse, Response
from openpyxl import Workbook

from services.intake.deps import Administrator, Sessions, TheVault
from services.intake.extract.domain import table
from services.intake.extract.service import participant_extract
from services.intake.vault import Vault
from shared.auth import Principal
from shared.contracts import CODE_PATTERN
from shared.db import unit_of_work
from shared.downloads import csv_download, xlsx_download
from shared.fund_rules import half_year
from shared.problems import problem_responses, refusal
from shared.rejection import Rejection

router = APIRouter(tags=["administration"])
HALF_YEAR = r"^(19|20|21)\d{2}-(02|08)$"  # a year the fund can have run in: "0000-02" would start in year -1


class Period:
    """The extract's query: a programme, and a Danish half-year or a period from one day to another."""

    def __init__(
        self,
        programme_id: Annotated[str, Query(pattern=CODE_PATTERN, description="the programme")],
        half: Annotated[
            str | None,
            Query(
                alias="half_year",
                pattern=r"^(19|20|21)\d{2}-(02|08)$",
                description="a Danish half-year by its last month",
            ),
        ] = None,
        start: Annotated[date | None, Query(alias="from", description="first day of the period")] = None,
        end: Annotated[date | None, Query(alias="to", description="last day of the period")] = None,
    ) -> None:
        self.programme_id, self.half_year, self.start, self.end = programme_id, half, start, end

    def problem(self) -> Rejection | None:
        """What is wrong with the period asked for, naming the field."""
        if self.half_year is not None and (self.start is not None or self.end is not None):
            return Rejection("invalid-period", "give a half-year or a period from one day to another, not both", "from")
        if self.half_year is None and (self.start is None or self.end is None):
            missing = "from" if self.start is None else "to"
            return Rejection("invalid-period", "give a half-year, or both the first and the last day", missing)
        if self.start is not None and self.end is not None and self.end < self.start:
            return Rejection("invalid-period", "the period ends before it starts", "to")
        return None

    @property
    def days(self) -> tuple[date, date]:
        """The first and the last day."""
        if self.half_year is not None:
            return half_year(self.half_year)
        assert self.start is not None and self.end is not None  # problem() said so
        return self.start, self.end


Asked = Annotated[Period, Depends()]


async def _rows(sessions: Sessions, vault: Vault, principal: Principal, asked: Period) -> list[dict[str, Any]]:
    start, end = asked.days
    async with unit_of_work(sessions) as session:
        return await participant_extract(session, vault, principal, asked.programme_id, start, end)


def _filename(asked: Period, suffix: str) -> str:
    start, end = asked.days
    return f"deltagere-{asked.programme_id}-{start.isoformat()}-{end.isoformat()}.{suffix}"


@router.get("/extract/participants", responses=problem_responses(422))
async def extract_json(sessions: Sessions, vault: TheVault, principal: Administrator, asked: Asked) -> JSONResponse:
    """The fund's participant extract: who entered or left in the period, with CPR number, dates,
    characteristics at entry and results. Personal data: every participant listed is written to the audit log."""
    if problem := asked.problem():
        return refusal(problem, 422)
    rows = await _rows(sessions, vault, principal, asked)
    return JSONResponse({"programme_id": asked.programme_id, "participants": _jsonable(rows)})


@router.get("/extract/participants.csv", response_class=Response, responses=problem_responses(422))
async def extract_csv(sessions: Sessions, vault: TheVault, principal: Administrator, asked: Asked) -> Response:
    """The extract as CSV (semicolon-separated, with a byte-order mark, as Danish Excel expects); audited."""
    if problem := asked.problem():
        return refusal(problem, 422)
    return csv_download(table(await _rows(sessions, vault, principal, asked)), _filename(asked, "csv"))


@router.get("/extract/participants.xlsx", response_class=Response, responses=problem_responses(422))
async def extract_xlsx(sessions: Sessions, vault: TheVault, principal: Administrator, asked: Asked) -> Response:
    """The extract as an Excel workbook, one sheet; audited."""
    if problem := asked.problem():
        return refusal(problem, 422)
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = "Deltagere"
    for row in table(await _rows(sessions, vault, principal, asked)):
        sheet.append(row)
    return xlsx_download(book, _filename(asked, "xlsx"))


def _jsonable(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [{k: v.isoformat() if isinstance(v, date) else v for k, v in row.items()} for row in rows]

"""The fund's participant extract for an administrator: JSON, CSV and XLSX, every participant in it audited."""

from __future__ import annotations

from collections import defaultdict
from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import JSONResponse, Response
from openpyxl import Workbook
from sqlalchemy import select
from sqlmodel import col
from sqlmodel.ext.asyncio.session import AsyncSession

from services.intake.api import sessions_of
from services.intake.audit import Read, append
from services.intake.extract import FACT_TYPES, Fact, extract_row, in_period, path_of, table
from services.intake.keys import opened
from services.intake.tables import Participant, ParticipantKey, TimelineEntry
from services.intake.vault import Vault
from shared.auth import Principal, require_role
from shared.contracts import CODE_PATTERN
from shared.db import unit_of_work
from shared.downloads import csv_download, xlsx_download
from shared.fund_rules import half_year
from shared.problems import problem_responses, refusal
from shared.rejection import Rejection

router = APIRouter(tags=["administration"])
Administrator = Annotated[Principal, Depends(require_role("administrator"))]
EXTRACTED = "participant-extract"
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


async def participant_extract(
    session: AsyncSession, vault: Vault, principal: Principal, programme_id: str, start: date, end: date
) -> list[dict[str, Any]]:
    """The programme's participants who entered or left in the period, by case reference; each one audited."""
    # with each participant's key in the same round trip (none for an erased one)
    participants = (
        await session.exec(  # type: ignore[call-overload]
            select(Participant, ParticipantKey)
            .outerjoin(ParticipantKey, col(ParticipantKey.participant_id) == col(Participant.id))
            .where(col(Participant.programme_id) == programme_id)
        )
    ).all()
    by_id = {p.id: p for p, _ in participants}
    keys = {p.id: k for p, k in participants}
    facts: dict[Any, list[Fact]] = defaultdict(list)
    found = await session.exec(  # type: ignore[call-overload]
        select(col(TimelineEntry.participant_id), col(TimelineEntry.event_type), col(TimelineEntry.data))
        .where(col(TimelineEntry.participant_id).in_(by_id), col(TimelineEntry.event_type).in_(FACT_TYPES))
        .order_by(col(TimelineEntry.id))
    )
    for participant_id, event_type, data in found:
        facts[participant_id].append(Fact(event_type, data))
    rows, reads = [], []
    for participant in sorted(by_id.values(), key=lambda p: p.case_reference):
        path = path_of(facts[participant.id])
        if not in_period(path, start, end):
            continue
        cpr = None  # an erased participant is listed without: the fund keeps its statistics, not the person
        if participant.cpr_encrypted is not None:
            key = keys[participant.id]
            cpr = opened(
                vault,
                participant.id,
                legacy_key_id=participant.legacy_key_id,
                master_key_id=key.master_key_id if key else None,
                wrapped=key.wrapped_key if key else None,
            ).decrypt(participant.cpr_encrypted)
            cpr = f"{cpr[:6]}-{cpr[6:]}"  # as written: a spreadsheet keeps the leading zero of a text, not a number
        rows.append(
            extract_row(
                cpr=cpr,
                case_reference=participant.case_reference,
                characteristics=participant.characteristics,
                path=path,
            )
        )
        if cpr is not None:
            reads.append(Read(participant.id, EXTRACTED, f"{programme_id} {start.isoformat()}..{end.isoformat()}"))
    await append(session, principal=principal, reads=reads)
    return rows


async def _rows(request: Request, principal: Principal, asked: Period) -> list[dict[str, Any]]:
    start, end = asked.days
    async with unit_of_work(sessions_of(request)) as session:
        return await participant_extract(session, request.app.state.vault, principal, asked.programme_id, start, end)


def _filename(asked: Period, suffix: str) -> str:
    start, end = asked.days
    return f"deltagere-{asked.programme_id}-{start.isoformat()}-{end.isoformat()}.{suffix}"


@router.get("/extract/participants", responses=problem_responses(422))
async def extract_json(request: Request, principal: Administrator, asked: Asked) -> JSONResponse:
    """The fund's participant extract: who entered or left in the period, with CPR number, dates,
    characteristics at entry and results. Personal data: every participant listed is written to the audit log."""
    if problem := asked.problem():
        return refusal(problem, 422)
    rows = await _rows(request, principal, asked)
    return JSONResponse({"programme_id": asked.programme_id, "participants": _jsonable(rows)})


@router.get("/extract/participants.csv", response_class=Response, responses=problem_responses(422))
async def extract_csv(request: Request, principal: Administrator, asked: Asked) -> Response:
    """The extract as CSV (semicolon-separated, with a byte-order mark, as Danish Excel expects); audited."""
    if problem := asked.problem():
        return refusal(problem, 422)
    return csv_download(table(await _rows(request, principal, asked)), _filename(asked, "csv"))


@router.get("/extract/participants.xlsx", response_class=Response, responses=problem_responses(422))
async def extract_xlsx(request: Request, principal: Administrator, asked: Asked) -> Response:
    """The extract as an Excel workbook, one sheet; audited."""
    if problem := asked.problem():
        return refusal(problem, 422)
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = "Deltagere"
    for row in table(await _rows(request, principal, asked)):
        sheet.append(row)
    return xlsx_download(book, _filename(asked, "xlsx"))


def _jsonable(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [{k: v.isoformat() if isinstance(v, date) else v for k, v in row.items()} for row in rows]

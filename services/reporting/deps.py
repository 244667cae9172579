"""What the reporting routes and pages share: the operator they answer, the figures query, the page templates."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Annotated, Any

from fastapi import Depends, HTTPException, Query, Request

from services.reporting.figures_report import PeriodBy, Selection, figures_report
from services.reporting.suppression import MIN_CELL_FLOOR
from services.reporting.tables import CatalogueProgramme
from shared.auth import Principal, require_role
from shared.db import SessionMaker
from shared.fund_rules import half_year
from shared.templates import templates_in

Operator = Annotated[Principal, Depends(require_role("operator"))]
TEMPLATES = templates_in(Path(__file__).parent / "templates")
CODE = r"^[a-z0-9][a-z0-9-]{0,49}$"
# A filter left at "all" in the dashboard's form arrives empty: the same as not given.
OR_EMPTY_HALF_YEAR, OR_EMPTY_CODE, OR_EMPTY_MUNICIPALITY = (
    r"^((19|20|21)\d{2}-(02|08))?$",  # a year the fund can have run in: 0000-02 would start in year -1
    r"^([a-z0-9][a-z0-9-]{0,49})?$",
    r"^(\d{3})?$",
)


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
        if (start, end) != (None, None) and not _a_half_year(start, end):
            raise HTTPException(422, PERIODS)
        return Selection(self.programme_id, self.period_by, start, end, self.subproject_id, self.municipality)

    async def report(self, request: Request, principal: Principal) -> dict[str, Any]:
        """The report this query asks for, with how fresh it is."""
        selection = self.selection(principal)
        sessions: SessionMaker = request.app.state.sessions
        async with sessions() as session:
            programme = await session.get(CatalogueProgramme, self.programme_id)
            # the programme's own smallest count to show; the service's setting before the catalogue has told
            # (never below 3: an event from before that rule may carry less, and is read as 3)
            min_cell = max(MIN_CELL_FLOOR, programme.min_cell if programme else int(request.app.state.min_cell))
            report = await figures_report(
                session, selection, min_cell=min_cell, audit_seconds=request.app.state.audit_seconds
            )
        lag = await request.app.state.lag.read()
        report["consumer_lag"] = lag
        report["events_behind"] = sum(n for partitions in lag.values() for n in partitions.values()) if lag else None
        return report


Query_ = Annotated[Asked, Depends()]
# The periods a report can be asked for: the programme to date, or one Danish half-year (1 March - 31 August,
# 1 September - end of February), by entry or by leaving. Every one of them is suppressed together with all the
# others (services.reporting.protection); a free range would let two reports a day apart give away who came that day.
PERIODS = (
    "a report covers the programme to date (no from/to) or one Danish half-year: 1 March - 31 August or"
    " 1 September - end of February (half_year=YYYY-02 or YYYY-08)"
)


def _a_half_year(start: date | None, end: date | None) -> bool:
    """True if the period is exactly one Danish half-year."""
    if start is None or end is None or (start.month, start.day) not in ((3, 1), (9, 1)):
        return False
    return half_year(f"{start.year + (start.month == 9)}-{'02' if start.month == 9 else '08'}") == (start, end)

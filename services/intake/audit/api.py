"""The audit log for the administrator and the data protection officer: JSON pages and a CSV download, filtered by
participant, user, action and period, newest first. Reading the log is itself a read, and is audited.

No route changes or deletes an entry (services.intake.audit.service).
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from typing import Annotated
from urllib.parse import urlencode
from uuid import UUID

from fastapi import APIRouter, Depends, Query, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import Response

from services.intake.audit.domain import NO_PARTICIPANT
from services.intake.audit.queries import AuditFilter, find_entries
from services.intake.audit.schemas import AuditPage, entry_out
from services.intake.audit.service import audit
from services.intake.deps import DataProtection, Sessions
from services.intake.tables import AuditEntry
from shared.auth import Principal
from shared.clock import COPENHAGEN
from shared.db import unit_of_work
from shared.downloads import csv_download

router = APIRouter(tags=["audit"])
READ_AUDIT_LOG = "read-audit-log"
LAST_ID = 2**63 - 1  # a bigint: a larger cursor is refused, not sent to PostgreSQL
EARLIEST, LATEST = date(2000, 1, 1), date(2999, 12, 30)  # far beyond any entry; keeps day + 1 a real date
CSV_HEADINGS = ("id", "tidspunkt", "bruger", "roller", "handling", "deltager", "detaljer", "hash", "forrige hash")


class Asked:
    """The filters of every view of the log (a period in whole days, Copenhagen time, both ends included)."""

    def __init__(
        self,
        participant_id: Annotated[UUID | None, Query(description="entries about this participant")] = None,
        actor: Annotated[
            str | None,
            Query(min_length=1, max_length=200, pattern=r"^[^\x00-\x1f\x7f]+$", description="the user (token subject)"),
        ] = None,
        action: Annotated[
            str | None, Query(pattern=r"^[a-z][a-z0-9-]{0,49}$", description="e.g. read-personal-data")
        ] = None,
        since: Annotated[
            date | None, Query(alias="from", ge=EARLIEST, le=LATEST, description="first day (Copenhagen)")
        ] = None,
        until: Annotated[
            date | None, Query(alias="to", ge=EARLIEST, le=LATEST, description="last day (Copenhagen), included")
        ] = None,
    ) -> None:
        if since is not None and until is not None and until < since:
            raise RequestValidationError(
                [{"type": "value_error", "loc": ("query", "to"), "msg": "the period ends before it starts"}]
            )
        self.participant_id, self.actor, self.action, self.since, self.until = (
            participant_id,
            actor,
            action,
            since,
            until,
        )

    def filter(self) -> AuditFilter:
        """The filter in instants: from the first day's midnight to the midnight after the last day."""
        return AuditFilter(
            participant_id=self.participant_id,
            actor=self.actor,
            action=self.action,
            since=_midnight(self.since) if self.since else None,
            until=_midnight(self.until + timedelta(days=1)) if self.until else None,
        )

    def params(self) -> dict[str, str]:
        """The filters given, as query parameters (for the next page, and the audit entry's detail)."""
        given = {
            "participant_id": self.participant_id,
            "actor": self.actor,
            "action": self.action,
            "from": self.since,
            "to": self.until,
        }
        return {name: str(value) for name, value in given.items() if value is not None}


def _midnight(day: date) -> datetime:
    return datetime.combine(day, time(0), COPENHAGEN)


Filters = Annotated[Asked, Depends()]
Before = Annotated[int | None, Query(ge=1, le=LAST_ID, description="the cursor: entries older than this id")]


async def _read(
    request: Request,
    sessions: Sessions,
    principal: Principal,
    asked: Asked,
    *,
    limit: int,
    before: int | None,
    shape: str,
) -> tuple[list[AuditEntry], str | None]:
    """A page of entries, and the next page's link; the read itself is appended to the log after the page is read."""
    async with unit_of_work(sessions) as session:
        entries = await find_entries(session, asked.filter(), limit=limit + 1, before=before)
        page, more = entries[:limit], len(entries) > limit
        detail = "; ".join(f"{k}={v}" for k, v in {**asked.params(), "before": before, "limit": limit}.items() if v)
        await audit(
            session,
            principal=principal,
            participant_id=asked.participant_id or NO_PARTICIPANT,
            action=READ_AUDIT_LOG,
            detail=f"{shape}: {detail}"[:500],
        )
    following = None
    if more and page[-1].id is not None:
        following = f"{request.url.path}?{urlencode({**asked.params(), 'limit': limit, 'before': page[-1].id})}"
    return page, following


@router.get("/audit")
async def read_audit_log(
    request: Request,
    sessions: Sessions,
    principal: DataProtection,
    asked: Filters,
    limit: Annotated[int, Query(ge=1, le=1000, description="entries per page")] = 100,
    before: Before = None,
) -> AuditPage:
    """The audit log, newest first, one page at a time (follow `next`); this read is audited too."""
    page, following = await _read(request, sessions, principal, asked, limit=limit, before=before, shape="json")
    return AuditPage(items=[entry_out(e) for e in page], next=following)


@router.get(
    "/audit.csv",
    response_class=Response,
    responses={200: {"content": {"text/csv": {"schema": {"type": "string"}}}, "description": "the entries"}},
)
async def audit_log_csv(
    request: Request,
    sessions: Sessions,
    principal: DataProtection,
    asked: Filters,
    limit: Annotated[int, Query(ge=1, le=100_000, description="entries in the file")] = 10_000,
    before: Before = None,
) -> Response:
    """The audit log as CSV (semicolon-separated, with a byte-order mark, for Danish Excel); more in `Link: next`."""
    page, following = await _read(request, sessions, principal, asked, limit=limit, before=before, shape="csv")
    rows: list[list[object]] = [list(CSV_HEADINGS)]
    for entry in (entry_out(e) for e in page):
        row = [entry.id, entry.at.astimezone(COPENHAGEN).isoformat(), entry.actor, " ".join(entry.roles)]
        row += [entry.action, entry.participant_id or "", entry.detail or "", entry.hash, entry.prev_hash]
        rows.append([str(v) for v in row])  # as text, so that a user name like =HYPERLINK(...) is never run
    return csv_download(rows, "rummelig-audit-log.csv", {"Link": f'<{following}>; rel="next"'} if following else None)

"""The caseload query: a municipality's participants with the status and open follow-up checks their timelines say.

Everything happens in one SQL statement with bound parameters: participants are chosen first, their latest
participation fact and open checks are derived from `timeline_entry`, then the derived filters, the order and the
page are applied in the database. Only fixed SQL fragments are ever joined; every value travels as a parameter.
No personal data is selected.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any, Literal
from uuid import UUID

from sqlalchemy import TextClause, text
from sqlmodel.ext.asyncio.session import AsyncSession

from services.intake.domain import (
    CHECK_CLOSED,
    CHECK_SCHEDULED,
    ENROLMENT_CONFIRMED,
    LEAVING_OUTCOME_RECORDED,
    PLACING_FACTS,
    SIX_MONTH_RESULT_RECORDED,
    STATUS_OF_FACT,
    Status,
)
from shared.db import run

Due = Literal["due", "overdue"]
Sort = Literal["case_reference", "-case_reference", "referred_on", "-referred_on", "next_due_on", "-next_due_on"]
DUE_WITHIN_DAYS = 14

_CASE_ORDER = "length(case_reference), case_reference"  # RUM-999999 before RUM-1000000
_ORDER_BY: dict[Sort, str] = {
    "case_reference": _CASE_ORDER,
    "-case_reference": "length(case_reference) DESC, case_reference DESC",
    "referred_on": f"referred_on, {_CASE_ORDER}",
    "-referred_on": f"referred_on DESC, {_CASE_ORDER}",
    # Cases with nothing open come last either way: they need no action.
    "next_due_on": f"next_due_on NULLS LAST, {_CASE_ORDER}",
    "-next_due_on": f"next_due_on DESC NULLS LAST, {_CASE_ORDER}",
}
# Filters on the participant row, applied before the timeline is read (so only chosen participants' facts are).
_PARTICIPANT_FILTERS = {
    "case_reference": "p.case_reference = :case_reference",
    "cpr_hash": "p.cpr_hash = :cpr_hash",
    "programme_id": "p.programme_id = :programme_id",
    "subproject_id": "p.subproject_id = :subproject_id",
    "caseworker_subject": "p.caseworker_subject = :caseworker_subject",
}
# Filters on what the timeline says.
_CASE_FILTERS = {"status": "status = :status", "course_id": "course_id = :course_id"}
_DUE_FILTERS: dict[Due, str] = {"due": "due_soon", "overdue": "overdue"}

_SQL = """
WITH chosen AS (
    SELECT p.id, p.case_reference, p.programme_id, p.subproject_id, p.referred_on, p.caseworker_email, p.erased_on,
           CASE WHEN p.erased_on IS NULL AND p.legal_basis = 'consent'
                THEN p.consent_withdrawn_on + CAST(:consent_erasure_days AS integer) END AS erasure_due_on
    FROM participant p
    WHERE {participant_filters}
),
status_of (event_type, status) AS (
    SELECT * FROM unnest(CAST(:fact_types AS varchar[]), CAST(:fact_statuses AS varchar[]))
),
latest AS (
    SELECT DISTINCT ON (t.participant_id) t.participant_id, s.status, t.data ->> 'course_id' AS course_id
    FROM timeline_entry t
    JOIN chosen c ON c.id = t.participant_id
    JOIN status_of s ON s.event_type = t.event_type
    ORDER BY t.participant_id, t.id DESC
),
-- A scheduled check is open until follow-up closes it (recorded, given up, superseded by a re-enrolment or a later
-- exit) or announces it anew (moved, or open again); facts from before check-closed existed close it by a recorded
-- result for the same leaving date, or a later enrolment.
open_check AS (
    SELECT s.participant_id,
           min(CAST(s.data ->> 'due_on' AS date)) AS next_due_on,
           (array_agg(s.data ->> 'check' ORDER BY CAST(s.data ->> 'due_on' AS date)))[1] AS next_check,
           bool_or(CAST(s.data ->> 'due_on' AS date) BETWEEN :today AND :due_until) AS due_soon
    FROM timeline_entry s
    JOIN chosen c ON c.id = s.participant_id
    WHERE s.event_type = :check_scheduled
      AND NOT EXISTS (
          SELECT 1 FROM timeline_entry r
          WHERE r.participant_id = s.participant_id
            AND r.id > s.id
            AND (
                (r.event_type IN (:check_closed, :check_scheduled)
                 AND r.data ->> 'check' = s.data ->> 'check')
                OR r.event_type = :enrolment_confirmed
                OR (
                    r.event_type = CASE s.data ->> 'check'
                        WHEN 'leaving-outcome' THEN :leaving_outcome_recorded
                        WHEN 'six-month' THEN :six_month_result_recorded
                    END
                    AND CAST(r.data ->> 'left_on' AS date) = CAST(s.data ->> 'left_on' AS date)
                )
            )
      )
    GROUP BY s.participant_id
),
cases AS (
    SELECT c.id AS participant_id, c.case_reference, c.programme_id, c.subproject_id, c.referred_on,
           c.caseworker_email, c.erased_on, c.erasure_due_on, l.course_id, coalesce(l.status, 'referred') AS status,
           o.next_due_on, o.next_check,
           coalesce(o.next_due_on < :today, false) AS overdue, coalesce(o.due_soon, false) AS due_soon
    FROM chosen c
    LEFT JOIN latest l ON l.participant_id = c.id
    LEFT JOIN open_check o ON o.participant_id = c.id
)
SELECT {columns}
FROM cases
WHERE {case_filters}
"""
_ITEM_COLUMNS = (
    "participant_id, case_reference, programme_id, subproject_id, course_id, status, referred_on, caseworker_email,"
    " next_due_on, next_check, overdue, erased_on, erasure_due_on, count(*) OVER () AS total"
)


@dataclass(frozen=True)
class CaseloadFilter:
    """What the caseworker asked for; None means "any". The CPR number arrives only as its keyed hash."""

    case_reference: str | None = None
    cpr_hash: bytes | None = None
    status: Status | None = None
    programme_id: str | None = None
    subproject_id: str | None = None
    course_id: str | None = None
    caseworker_subject: str | None = None
    due: Due | None = None


@dataclass(frozen=True)
class Paging:
    """Which page, how large, in which order."""

    page: int = 1
    page_size: int = 25
    sort: Sort = "-referred_on"


@dataclass(frozen=True)
class CaseRow:
    """One participant as the caseload lists them: no personal data."""

    participant_id: UUID
    case_reference: str
    programme_id: str
    subproject_id: str
    course_id: str | None
    status: Status
    referred_on: date
    caseworker_email: str
    next_due_on: date | None
    overdue: bool
    erased_on: date | None = None
    erasure_due_on: date | None = None
    next_check: str | None = None  # which follow-up is due next: a task inbox's link names its form


def caseload_statement(
    municipality: str,
    wanted: CaseloadFilter,
    paging: Paging,
    *,
    today: date,
    count_only: bool = False,
    consent_erasure_days: int = 30,
) -> tuple[TextClause, dict[str, Any]]:
    """The SQL and its parameters: one page of the municipality's matching cases, or only how many there are."""
    params: dict[str, Any] = {
        "municipality": municipality,
        "today": today,
        "due_until": today + timedelta(days=DUE_WITHIN_DAYS),
        "fact_types": list(STATUS_OF_FACT),
        "fact_statuses": list(STATUS_OF_FACT.values()),
        "consent_erasure_days": consent_erasure_days,
        "check_scheduled": CHECK_SCHEDULED,
        "check_closed": CHECK_CLOSED,
        "enrolment_confirmed": ENROLMENT_CONFIRMED,
        "leaving_outcome_recorded": LEAVING_OUTCOME_RECORDED,
        "six_month_result_recorded": SIX_MONTH_RESULT_RECORDED,
    }
    participant_filters = ["p.municipality = :municipality"]
    case_filters: list[str] = []
    for name, fragment in _PARTICIPANT_FILTERS.items():
        if (value := getattr(wanted, name)) is not None:
            participant_filters.append(fragment)
            params[name] = value
    for name, fragment in _CASE_FILTERS.items():
        if (value := getattr(wanted, name)) is not None:
            case_filters.append(fragment)
            params[name] = value
    if wanted.due is not None:
        case_filters.append(_DUE_FILTERS[wanted.due])
    sql = _SQL.format(
        participant_filters=" AND ".join(participant_filters),
        columns="count(*) AS total" if count_only else _ITEM_COLUMNS,
        case_filters=" AND ".join(case_filters) or "true",
    )
    if not count_only:
        sql += f"ORDER BY {_ORDER_BY[paging.sort]}\nLIMIT :limit OFFSET :offset\n"
        params |= {"limit": paging.page_size, "offset": (paging.page - 1) * paging.page_size}
    return text(sql), params


async def find_caseload(
    session: AsyncSession,
    municipality: str,
    wanted: CaseloadFilter,
    paging: Paging,
    *,
    today: date,
    consent_erasure_days: int = 30,
) -> tuple[list[CaseRow], int]:
    """One page of the municipality's matching cases and how many match in all."""
    connection = await session.connection()
    days = consent_erasure_days
    statement, params = caseload_statement(municipality, wanted, paging, today=today, consent_erasure_days=days)
    rows = (await connection.execute(statement, params)).mappings().all()
    if rows:
        total = int(rows[0]["total"])
    elif paging.page == 1:
        total = 0
    else:  # a page past the end has no row to carry the window count
        statement, params = caseload_statement(
            municipality, wanted, paging, today=today, count_only=True, consent_erasure_days=days
        )
        total = int((await connection.execute(statement, params)).scalar_one())
    return [CaseRow(**{k: v for k, v in row.items() if k != "total"}) for row in rows], total


_ON_COURSE = text(
    "SELECT p.id, p.case_reference, p.name_encrypted, p.legacy_key_id, k.master_key_id, k.wrapped_key,"
    " latest.event_type FROM ("
    " SELECT DISTINCT ON (participant_id) participant_id, event_type, data->>'course_id' AS course_id"
    " FROM timeline_entry WHERE event_type = ANY(:types) ORDER BY participant_id, id DESC"
    ") latest JOIN participant p ON p.id = latest.participant_id"
    " LEFT JOIN participant_key k ON k.participant_id = p.id"
    " WHERE latest.course_id = :course ORDER BY length(p.case_reference), p.case_reference"
)


async def on_course(session: AsyncSession, course_id: str) -> list[Any]:
    """The participants whose latest placing fact is on the course: id, case reference, sealed name, key, fact."""
    return list((await run(session, _ON_COURSE, {"types": list(PLACING_FACTS), "course": course_id})).all())

"""The pages' own reads: which participant a case reference names (the pages address cases by reference), and the
courses a case may be enrolled on (the enrolment form's choice)."""

from __future__ import annotations

from datetime import date
from typing import Any
from uuid import UUID

from sqlalchemy import text
from sqlmodel.ext.asyncio.session import AsyncSession

from shared.db import run

_CASE = text("SELECT id FROM participant WHERE case_reference = :reference")


async def participant_of_case(session: AsyncSession, case_reference: str) -> UUID | None:
    """The participant id of the case reference, whoever may see it (the caller checks that, as the API does)."""
    row = (await run(session, _CASE, {"reference": case_reference})).first()
    return None if row is None else UUID(str(row[0]))


_COURSES = text(
    "SELECT id, title, location, starts_on, ends_on, capacity FROM catalogue_course"
    " WHERE programme_id = :programme AND subproject_id = :subproject AND ends_on >= :today"
    " ORDER BY starts_on, id"
)


async def open_courses(session: AsyncSession, programme_id: str, subproject_id: str, *, today: date) -> list[Any]:
    """The courses of the case's sub-project not yet ended, as intake's catalogue read model knows them."""
    params = {"programme": programme_id, "subproject": subproject_id, "today": today}
    return list((await run(session, _COURSES, params)).all())


_READINGS = text(
    "SELECT p.case_reference, t.event_type, t.data FROM timeline_entry t JOIN participant p ON p.id = t.participant_id"
    " WHERE p.caseworker_subject = :subject AND p.status = 'active' AND t.event_type = ANY(:types) ORDER BY t.id"
)


async def six_month_readings(
    session: AsyncSession, caseworker_subject: str, types: list[str]
) -> list[tuple[str, str, dict[str, Any]]]:
    """The caseworker's own cases' six-month records and register findings, in timeline order."""
    found = await run(session, _READINGS, {"subject": caseworker_subject, "types": types})
    return [(str(r[0]), str(r[1]), dict(r[2])) for r in found.all()]

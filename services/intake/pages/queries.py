"""The pages' own reads: which participant a case reference names (the pages address cases by reference)."""

from __future__ import annotations

from uuid import UUID

from sqlalchemy import text
from sqlmodel.ext.asyncio.session import AsyncSession

from shared.db import run

_CASE = text("SELECT id FROM participant WHERE case_reference = :reference")


async def participant_of_case(session: AsyncSession, case_reference: str) -> UUID | None:
    """The participant id of the case reference, whoever may see it (the caller checks that, as the API does)."""
    row = (await run(session, _CASE, {"reference": case_reference})).first()
    return None if row is None else UUID(str(row[0]))

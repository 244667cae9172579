"""The partner companies a grant's company targets count: firms, not people, so their counts are shown as they are."""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy import text
from sqlmodel.ext.asyncio.session import AsyncSession

from shared.db import run

COMPANIES = "companies-recruited-"  # the figure ids a grant's company targets name, one per kind
COMPANY_KINDS = ("commercial", "social-economy")
COMPANY_DEFINITIONS = {
    f"{COMPANIES}commercial": {
        "da": "Kommercielle virksomheder rekrutteret som partnere (virksomheder, ikke personer).",
        "en": "Commercial companies recruited as partners (firms, not people).",
    },
    f"{COMPANIES}social-economy": {
        "da": "Socialøkonomiske virksomheder rekrutteret som partnere (virksomheder, ikke personer).",
        "en": "Social-economy enterprises recruited as partners (firms, not people).",
    },
}


async def companies_recruited(
    session: AsyncSession, programme_id: str, *, subproject_id: str | None, until: date | None
) -> dict[str, int]:
    """Partner companies recruited, by figure id (one per kind), of the sub-project if one is named, up to a day."""
    query = "SELECT kind, count(*) AS n FROM catalogue_company WHERE programme_id = :programme"
    params: dict[str, Any] = {"programme": programme_id}
    if subproject_id is not None:
        query += " AND subproject_ids @> CAST(:sub AS jsonb)"
        params["sub"] = f'["{subproject_id}"]'
    if until is not None:
        query += " AND recruited_on <= :end"
        params["end"] = until
    rows = (await run(session, text(query + " GROUP BY kind"), params)).mappings().all()
    found = {str(r["kind"]): int(r["n"]) for r in rows}
    return {f"{COMPANIES}{kind}": found.get(kind, 0) for kind in COMPANY_KINDS}

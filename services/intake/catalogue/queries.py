"""Intake's reads of its catalogue read model: the programme and sub-project a referral names, kept while unchanged;
the sub-projects a municipality's referral form offers."""

from __future__ import annotations

import asyncio
from datetime import date
from typing import Any

import asyncpg
from sqlalchemy import Row, text
from sqlmodel.ext.asyncio.session import AsyncSession

from services.intake.catalogue.domain import CHANGED
from services.intake.tables import CatalogueProgramme, CatalogueSubproject
from shared.db import run
from shared.logging import get_logger
from shared.metrics import CATALOGUE_CACHE

log = get_logger(__name__)


class ReachCache:
    """The catalogue entries referrals are checked against, kept by the process that serves them until they change.

    Every referral checks its programme and sub-project; reading them was a tenth of a referral's CPU
    (bench/intake.py, py-spy). Each catalogue change is announced with NOTIFY in its own transaction, so every intake
    process (`listen`) forgets what it kept the moment the change is committed. Only while it listens does it keep
    anything: without the announcements (not started, connection lost) every referral reads the read model.
    """

    def __init__(self) -> None:
        self._kept: dict[tuple[str, str], Row[Any]] = {}
        self.listening = asyncio.Event()

    async def reach(self, session: AsyncSession, programme_id: str, subproject_id: str) -> Row[Any]:
        """The programme's period and the sub-project's reach (columns None for an unknown entry)."""
        key = (programme_id, subproject_id)
        if (kept := self._kept.get(key)) is not None:
            CATALOGUE_CACHE.labels("intake", "hit").inc()
            return kept
        CATALOGUE_CACHE.labels("intake", "miss").inc()
        found = await read_reach(session, programme_id, subproject_id)
        if self.listening.is_set():
            if len(self._kept) >= _MOST_KEPT:  # ids come from requests: never let them fill the memory
                self._kept.clear()
            self._kept[key] = found
        return found

    def forget(self) -> None:
        """Drop every kept answer: the catalogue has changed."""
        self._kept.clear()

    async def listen(self, dsn: str) -> None:
        """Keep what referrals read while the catalogue's announcements are heard; reconnect when the line drops."""
        while True:
            try:
                connection = await asyncpg.connect(dsn)
            except (OSError, asyncpg.PostgresError) as exc:
                log.warning("catalogue announcements unheard, retrying", error=repr(exc))
                await asyncio.sleep(_RECONNECT_SECONDS)
                continue
            lost = asyncio.Event()
            connection.add_termination_listener(lambda _connection, lost=lost: lost.set())
            try:
                await connection.add_listener(CHANGED, lambda *_: self.forget())
                self.forget()  # changes made while nobody listened
                self.listening.set()
                await lost.wait()
            finally:
                self.listening.clear()
                self.forget()
                await connection.close()


_MOST_KEPT = 1_000
_RECONNECT_SECONDS = 1.0


async def programme(session: AsyncSession, programme_id: str) -> CatalogueProgramme | None:
    """The programme as last published, or None if the catalogue has not published it."""
    return await session.get(CatalogueProgramme, programme_id)


async def subproject_serving(session: AsyncSession, subproject_id: str) -> CatalogueSubproject | None:
    """The sub-project a referral names, with its municipalities and target groups; None if it is unknown."""
    return await session.get(CatalogueSubproject, subproject_id)


async def read_reach(session: AsyncSession, programme_id: str, subproject_id: str) -> Row[Any]:
    # one round trip for both entries: this runs on every referral (bench/intake.py)
    return (await run(session, _REACH, {"programme": programme_id, "subproject": subproject_id})).one()


_REACH = text(
    "SELECT p.starts_on AS p_starts_on, p.ends_on AS p_ends_on, s.programme_id AS s_programme_id,"
    " s.starts_on AS s_starts_on, s.ends_on AS s_ends_on, s.municipalities, s.target_groups"
    " FROM (SELECT 1) AS one"
    " LEFT JOIN catalogue_programme p ON p.id = :programme"
    " LEFT JOIN catalogue_subproject s ON s.id = :subproject"
)


_SERVING = text(
    "SELECT s.id, s.programme_id, p.title AS programme_title, s.target_groups, s.starts_on, s.ends_on"
    " FROM catalogue_subproject s JOIN catalogue_programme p ON p.id = s.programme_id"
    " WHERE s.municipalities @> jsonb_build_array(CAST(:municipality AS text))"
    " AND :on BETWEEN s.starts_on AND s.ends_on AND :on BETWEEN p.starts_on AND p.ends_on"
    " ORDER BY p.title, s.id"
)


async def subprojects_serving(session: AsyncSession, municipality: str, *, on: date) -> list[Row[Any]]:
    """The sub-projects that serve the municipality and run on the day, with their programme's title and target
    groups: the referral form's choices (the referral itself is checked by referral_problem)."""
    return list((await run(session, _SERVING, {"municipality": municipality, "on": on})).all())

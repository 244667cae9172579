"""Intake's read model of the catalogue: programmes, sub-projects and courses as enrolment last published them.

Each record on the compacted catalogue topic is an entry's whole current state, so a handler replaces the row by
id. Intake keeps only what it will check referrals against; targets and partner companies are not its business.
"""

from __future__ import annotations

import asyncio
from datetime import date
from typing import Any

import asyncpg
from sqlalchemy import Row, text
from sqlmodel.ext.asyncio.session import AsyncSession

from services.intake.domain import Referral, Span, SubprojectReach, catalogue_problem
from services.intake.tables import CatalogueCourse, CatalogueProgramme, CatalogueSubproject
from shared import contracts
from shared.consumer import Handlers
from shared.envelope import CloudEvent
from shared.logging import get_logger
from shared.rejection import Rejection

log = get_logger(__name__)

CHANGED = "catalogue_changed"  # the channel a catalogue change is announced on, when its transaction commits


async def _announce(session: AsyncSession) -> None:
    await session.exec(text("SELECT pg_notify(:channel, '')"), params={"channel": CHANGED})  # type: ignore[call-overload]


async def on_programme_published(session: AsyncSession, fact: contracts.ProgrammePublished, _event: CloudEvent) -> None:
    """Keep the programme's period and fund."""
    await session.merge(
        CatalogueProgramme(
            id=fact.programme_id, title=fact.title, starts_on=fact.starts_on, ends_on=fact.ends_on, fund=fact.fund
        )
    )
    await _announce(session)


async def on_subproject_published(
    session: AsyncSession, fact: contracts.SubprojectPublished, _event: CloudEvent
) -> None:
    """Keep where the sub-project works and whom it serves; the coordinator's email is not intake's to keep."""
    await session.merge(
        CatalogueSubproject(
            id=fact.subproject_id,
            programme_id=fact.programme_id,
            municipalities=list(fact.municipalities),
            target_groups=list(fact.target_groups),
            starts_on=fact.starts_on,
            ends_on=fact.ends_on,
            scope=fact.scope,
        )
    )
    await _announce(session)


async def on_course_published(session: AsyncSession, fact: contracts.CoursePublished, _event: CloudEvent) -> None:
    """Keep the course's sub-project, place, dates and capacity."""
    await session.merge(
        CatalogueCourse(
            id=fact.course_id,
            programme_id=fact.programme_id,
            subproject_id=fact.subproject_id,
            municipality=fact.municipality,
            starts_on=fact.starts_on,
            ends_on=fact.ends_on,
            capacity=fact.capacity,
        )
    )
    await _announce(session)


HANDLERS: Handlers = {
    contracts.ProgrammePublished: on_programme_published,
    contracts.SubprojectPublished: on_subproject_published,
    contracts.CoursePublished: on_course_published,
}


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
            return kept
        found = await _read_reach(session, programme_id, subproject_id)
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


async def referral_problem(
    session: AsyncSession, referral: Referral, *, municipality: str, today: date, cache: ReachCache | None = None
) -> Rejection | None:
    """What the catalogue says against a referral: unknown or inactive programme or sub-project, or not served."""
    found = (
        await cache.reach(session, referral.programme_id, referral.subproject_id)
        if cache is not None
        else await _read_reach(session, referral.programme_id, referral.subproject_id)
    )
    return catalogue_problem(
        programme_id=referral.programme_id,
        subproject_id=referral.subproject_id,
        target_group=referral.target_group,
        municipality=municipality,
        referred_on=referral.referred_on or today,
        programme=Span(found.p_starts_on, found.p_ends_on) if found.p_starts_on else None,
        subproject=(
            SubprojectReach(
                programme_id=found.s_programme_id,
                period=Span(found.s_starts_on, found.s_ends_on),
                municipalities=tuple(found.municipalities),
                target_groups=tuple(found.target_groups),
            )
            if found.s_programme_id
            else None
        ),
    )


async def _read_reach(session: AsyncSession, programme_id: str, subproject_id: str) -> Row[Any]:
    # one round trip for both entries: this runs on every referral (bench/intake.py)
    return (  # type: ignore[no-any-return]
        await session.exec(  # type: ignore[call-overload]
            _REACH, params={"programme": programme_id, "subproject": subproject_id}
        )
    ).one()


_REACH = text(
    "SELECT p.starts_on AS p_starts_on, p.ends_on AS p_ends_on, s.programme_id AS s_programme_id,"
    " s.starts_on AS s_starts_on, s.ends_on AS s_ends_on, s.municipalities, s.target_groups"
    " FROM (SELECT 1) AS one"
    " LEFT JOIN catalogue_programme p ON p.id = :programme"
    " LEFT JOIN catalogue_subproject s ON s.id = :subproject"
)

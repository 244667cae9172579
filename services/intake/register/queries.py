"""The register import's reads: participants by CPR hash, their six-month checks, an import by its digest."""

from __future__ import annotations

from collections.abc import Sequence
from uuid import UUID

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from services.intake.register.domain import CLOSED, SCHEDULED, DueCheck, six_month_checks
from services.intake.tables import Participant, RegisterImport, TimelineEntry


async def participants_by_hash(session: AsyncSession, hashes: Sequence[bytes]) -> list[tuple[UUID, bytes]]:
    """The participants whose CPR hash is among these (an erased participant has none), with the hash."""
    if not hashes:
        return []
    found = await session.exec(
        select(col(Participant.id), col(Participant.cpr_hash)).where(col(Participant.cpr_hash).in_(hashes))
    )
    return [(participant_id, cpr_hash) for participant_id, cpr_hash in found if cpr_hash is not None]


async def checks_of(session: AsyncSession, participant_ids: Sequence[UUID]) -> list[DueCheck]:
    """The participants' six-month checks as their timelines last set them."""
    if not participant_ids:
        return []
    found = await session.exec(
        select(col(TimelineEntry.participant_id), col(TimelineEntry.event_type), col(TimelineEntry.data))
        .where(
            col(TimelineEntry.participant_id).in_(participant_ids),
            col(TimelineEntry.event_type).in_((SCHEDULED, CLOSED)),
        )
        .order_by(col(TimelineEntry.id))
    )
    return six_month_checks(found.all())


async def import_by_digest(session: AsyncSession, digest: str) -> RegisterImport | None:
    """The import of the file with this SHA-256, locked for this transaction, if one was begun."""
    return (
        await session.exec(select(RegisterImport).where(col(RegisterImport.digest) == digest).with_for_update())
    ).first()

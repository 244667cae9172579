"""Participants' data keys in the database: made with the participant, opened to read their data, deleted to erase.

Every function takes the caller's session and never commits.
"""

from __future__ import annotations

from uuid import UUID

from sqlalchemy import delete
from sqlmodel import col
from sqlmodel.ext.asyncio.session import AsyncSession

from services.intake.tables import Participant, ParticipantKey
from services.intake.vault import DataKey, Vault, WrappedKey


class PersonalDataErased(LookupError):
    """The participant's key is gone: their personal data cannot be read by anyone any more."""


def key_row(participant_id: UUID, wrapped: WrappedKey) -> ParticipantKey:
    """The stored form of a participant's wrapped key."""
    return ParticipantKey(
        participant_id=participant_id, master_key_id=wrapped.master_key_id, wrapped_key=wrapped.wrapped
    )


def opened(
    vault: Vault, participant_id: UUID, *, legacy_key_id: str | None, master_key_id: str | None, wrapped: bytes | None
) -> DataKey:
    """The data key of a participant's row, from the columns a query selected (a legacy row's is a master key)."""
    if legacy_key_id is not None:
        return vault.legacy_key(participant_id, legacy_key_id)
    if master_key_id is None or wrapped is None:
        raise PersonalDataErased(f"participant {participant_id} has no key: their personal data were erased")
    return vault.unwrap(participant_id, WrappedKey(master_key_id, wrapped))


async def key_of(session: AsyncSession, vault: Vault, participant: Participant) -> DataKey:
    """The data key that opens the participant's personal data; PersonalDataErased if there is none."""
    row = None if participant.legacy_key_id else await session.get(ParticipantKey, participant.id)
    return opened(
        vault,
        participant.id,
        legacy_key_id=participant.legacy_key_id,
        master_key_id=row.master_key_id if row else None,
        wrapped=row.wrapped_key if row else None,
    )


async def destroy_key(session: AsyncSession, participant_id: UUID) -> None:
    """Delete the participant's key: whatever was sealed with it can no longer be opened, in any copy."""
    await session.exec(delete(ParticipantKey).where(col(ParticipantKey.participant_id) == participant_id))

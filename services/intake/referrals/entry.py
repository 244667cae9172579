"""The participant's entry: on the first start, intake judges the characteristics at entry and publishes them.

Only intake holds the birth date (inside the encrypted CPR number), so only intake can tell the age on the start
date; what leaves is the bands, never the date. The handler needs the vault, so the composition root binds it.
"""

from __future__ import annotations

from datetime import date

from sqlmodel.ext.asyncio.session import AsyncSession

from services.intake import SOURCE
from services.intake.cpr import parse_cpr
from services.intake.personal_data.keys import key_of
from services.intake.referrals.domain import participant_entered
from services.intake.tables import Participant
from services.intake.timeline.service import on_fact
from services.intake.vault import Vault
from shared import contracts
from shared.consumer import Handlers
from shared.envelope import CloudEvent
from shared.outbox import publish


def entry_handlers(vault: Vault) -> Handlers:
    """The handlers that judge the entry: on the first start, and on a correction of that start."""

    async def on_started(session: AsyncSession, fact: contracts.ParticipationStarted, event: CloudEvent) -> None:
        """Put the start on the timeline; on the first start, publish the characteristics at entry."""
        await on_fact(session, fact, event)
        participant = await session.get(Participant, fact.participant_id, with_for_update=True)
        if participant is not None and participant.entered_on is None:  # a re-entry keeps the first entry
            await _enter(session, vault, participant, fact.started_on)

    async def on_start_corrected(session: AsyncSession, fact: contracts.StartCorrected, event: CloudEvent) -> None:
        """Put the correction on the timeline; if it moves the entry's start, judge the entry again."""
        await on_fact(session, fact, event)
        participant = await session.get(Participant, fact.participant_id, with_for_update=True)
        if participant is not None and participant.entered_on == fact.previous_started_on:
            await _enter(session, vault, participant, fact.started_on)

    return {contracts.ParticipationStarted: on_started, contracts.StartCorrected: on_start_corrected}


async def _enter(session: AsyncSession, vault: Vault, participant: Participant, started_on: date) -> None:
    if participant.cpr_encrypted is None:  # erased: the birth date is gone, and no entry is judged without it
        return
    key = await key_of(session, vault, participant)
    born = parse_cpr(key.decrypt(participant.cpr_encrypted)).birth_date
    months = participant.characteristics.get("months_unemployed")
    # the referral the characteristics at entry are from (a re-referral after the entry keeps the first entry's)
    stated_on = participant.characteristics.get("referred_on")
    participant.entered_on = started_on
    entered = participant_entered(
        participant_id=participant.id,
        programme_id=participant.programme_id,
        born=born,
        entered_on=started_on,
        referred_on=date.fromisoformat(stated_on) if stated_on else participant.referred_on,
        months_unemployed_at_referral=int(months) if months is not None else None,
    )
    publish(session, entered, source=SOURCE)

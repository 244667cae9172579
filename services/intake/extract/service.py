"""The fund's participant extract as a use case: the programme's participants who entered or left in a period, one
row each, every participant whose CPR number is listed audited. Takes the caller's session; never commits."""

from __future__ import annotations

from collections import defaultdict
from datetime import date
from typing import Any

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from services.intake.audit.service import Read, append
from services.intake.extract.domain import FACT_TYPES, Fact, extract_row, in_period, path_of
from services.intake.personal_data.keys import opened
from services.intake.tables import Participant, ParticipantKey, TimelineEntry
from services.intake.vault import Vault
from shared.auth import Principal

EXTRACTED = "participant-extract"  # the audit log's action


async def participant_extract(
    session: AsyncSession, vault: Vault, principal: Principal, programme_id: str, start: date, end: date
) -> list[dict[str, Any]]:
    """The programme's participants who entered or left in the period, by case reference; each one audited."""
    # with each participant's key in the same round trip (none for an erased one)
    participants = (
        await session.exec(
            select(Participant, ParticipantKey)
            .outerjoin(ParticipantKey, col(ParticipantKey.participant_id) == col(Participant.id))
            .where(col(Participant.programme_id) == programme_id)
        )
    ).all()
    by_id = {p.id: p for p, _ in participants}
    keys = {p.id: k for p, k in participants}
    facts: dict[Any, list[Fact]] = defaultdict(list)
    found = await session.exec(
        select(col(TimelineEntry.participant_id), col(TimelineEntry.event_type), col(TimelineEntry.data))
        .where(col(TimelineEntry.participant_id).in_(by_id), col(TimelineEntry.event_type).in_(FACT_TYPES))
        .order_by(col(TimelineEntry.id))
    )
    for participant_id, event_type, data in found:
        facts[participant_id].append(Fact(event_type, data))
    rows, reads = [], []
    for participant in sorted(by_id.values(), key=lambda p: p.case_reference):
        path = path_of(facts[participant.id])
        if not in_period(path, start, end):
            continue
        cpr = None  # an erased participant is listed without: the fund keeps its statistics, not the person
        if participant.cpr_encrypted is not None:
            key = keys[participant.id]
            cpr = opened(
                vault,
                participant.id,
                legacy_key_id=participant.legacy_key_id,
                master_key_id=key.master_key_id if key else None,
                wrapped=key.wrapped_key if key else None,
            ).decrypt(participant.cpr_encrypted)
            cpr = f"{cpr[:6]}-{cpr[6:]}"  # as written: a spreadsheet keeps the leading zero of a text, not a number
        rows.append(
            extract_row(
                cpr=cpr,
                case_reference=participant.case_reference,
                characteristics=participant.characteristics,
                path=path,
            )
        )
        if cpr is not None:
            reads.append(Read(participant.id, EXTRACTED, f"{programme_id} {start.isoformat()}..{end.isoformat()}"))
    await append(session, principal=principal, reads=reads)
    return rows

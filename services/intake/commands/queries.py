"""The commands' reads: what changed a case since a version, and who issued it (as the audit log knew them)."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from uuid import UUID

from sqlalchemy import text
from sqlmodel.ext.asyncio.session import AsyncSession

from services.intake.commands.domain import Change, changes_since, issuer
from services.intake.tables import Participant
from services.intake.timeline.domain import NOT_CHANGES, CaseVersion
from shared.db import run

# A command's row keeps who issued it (the user id) and the roles they held; for a command issued before it kept the
# roles (migration 0012), those the audit log recorded for that user at their last audited read before it.
# A fact answers the command whose answer it is (the consumer copies the fact's data into the command's row). A fact
# intake published itself on a user's behalf, without a command (a team lead's move of the case), is named by the
# audit entry of the case that names the fact's request (its reassignment_id).
_FACTS = text(
    "SELECT t.event_type, t.occurred_at, c.id, coalesce(c.issued_by, r.actor), coalesce(c.role, r.role)"
    " FROM timeline_entry t"
    " LEFT JOIN LATERAL (SELECT c.id, c.issued_by, coalesce(c.issuer_roles,"
    "   (SELECT a.role FROM audit_entry a WHERE a.actor = c.issued_by AND a.at <= c.created_at"
    "     ORDER BY a.id DESC LIMIT 1)) AS role"
    "   FROM pending_command c"
    "   WHERE c.participant_id = t.participant_id AND c.answer_type = t.event_type AND c.answer = t.data"
    "   ORDER BY c.answered_at DESC LIMIT 1) c ON true"
    " LEFT JOIN LATERAL (SELECT a.actor, a.role FROM audit_entry a"
    "   WHERE t.data ->> 'reassignment_id' IS NOT NULL AND a.participant_id = t.participant_id"
    "     AND strpos(a.detail, t.data ->> 'reassignment_id') > 0"
    "   ORDER BY a.id DESC LIMIT 1) r ON true"
    " WHERE t.participant_id = :p AND t.id > :last AND t.event_type <> ALL(:not_changes) ORDER BY t.id"
)
# The commands after the first `seen` ones, in the order they were issued (the version counts them).
_COMMANDS = text(
    "SELECT c.command_type, c.created_at, c.id, c.issued_by, coalesce(c.issuer_roles,"
    " (SELECT a.role FROM audit_entry a WHERE a.actor = c.issued_by AND a.at <= c.created_at"
    "   ORDER BY a.id DESC LIMIT 1)) AS role, c.status"
    " FROM pending_command c WHERE c.participant_id = :p ORDER BY c.created_at, c.id OFFSET :seen"
)


async def changes(session: AsyncSession, participant: Participant, since: CaseVersion) -> list[Change]:
    """The facts that changed the case after the version and the commands issued after it, in time order."""
    params: dict[str, Any] = {"p": participant.id, "last": since.last_fact, "not_changes": sorted(NOT_CHANGES)}
    facts = [_change(participant, *row, status="recorded") for row in await run(session, _FACTS, params)]
    rows = await run(session, _COMMANDS, {"p": participant.id, "seen": since.commands})
    commands = [_change(participant, *row[:5], status=str(row[5])) for row in rows]
    return changes_since(facts, commands)


def _change(
    participant: Participant,
    kind: str,
    at: datetime,
    command_id: UUID | None,
    by: str | None,
    role: str | None,
    *,
    status: str,
) -> Change:
    if by is None:  # a fact no one's recorded act caused (a seat freed by another's withdrawal, a consent withdrawn)
        return Change(kind=kind, at=at, by=None, status=status, command_id=command_id)
    who = issuer(
        by, role, responsible_subject=participant.caseworker_subject, responsible_email=participant.caseworker_email
    )
    return Change(kind=kind, at=at, by=who, status=status, command_id=command_id)

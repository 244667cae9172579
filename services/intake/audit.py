"""The audit log: every read of a participant's personal data is recorded, in the reading request's transaction."""

from __future__ import annotations

from uuid import UUID

from sqlmodel.ext.asyncio.session import AsyncSession

from services.intake.tables import AuditEntry
from shared.auth import Principal


def audit(session: AsyncSession, *, principal: Principal, participant_id: UUID, action: str) -> None:
    """Record who read which participant's data, and how."""
    roles = ",".join(sorted(principal.roles))
    session.add(AuditEntry(actor=principal.subject, role=roles, action=action, participant_id=participant_id))

"""The audit log: every read of a participant's personal data is recorded, in the reading request's transaction.

The log is a hash chain. Each entry's hash (SHA-256) covers its own content and the hash of the entry before it, so
an entry changed, removed or slipped in afterwards breaks the chain there; services.intake.audit.check walks it.
Entries are appended one transaction at a time, whichever process appends: the transaction takes an advisory lock,
released by its own commit or rollback, reads the head of the chain, and draws the new ids from the sequence while
it holds the lock, so id order is chain order. The caller owns the transaction: nothing here commits.

Nothing in the code changes or deletes an entry, and the table refuses UPDATE, DELETE and TRUNCATE (a trigger,
migration 0008). Someone who bypasses the trigger is caught by the check; one who rewrites every hash from the edit
to the end is caught only against a head recorded elsewhere before (audit_check --anchor).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from uuid import UUID

from sqlalchemy import text
from sqlmodel.ext.asyncio.session import AsyncSession

from services.intake.tables import AuditEntry
from shared.auth import Principal
from shared.db import run
from shared.metrics import AUDIT_APPENDS

CHAIN_LOCK = 72_011_008  # the advisory lock key of the chain (reporting's rebuild uses 72_015_001)
GENESIS = "0" * 64  # the "previous hash" of the first entry
_LOCK = text("SELECT pg_advisory_xact_lock(:key)")
_HEAD = text("SELECT hash FROM audit_entry ORDER BY id DESC LIMIT 1")
_NEXT_IDS = text("SELECT nextval(pg_get_serial_sequence('audit_entry', 'id')) FROM generate_series(1, :n)")


@dataclass(frozen=True)
class Read:
    """One read to record: whose data, how, and what exactly (a filter, an export) where that helps."""

    participant_id: UUID
    action: str
    detail: str | None = None


async def audit(
    session: AsyncSession, *, principal: Principal, participant_id: UUID, action: str, detail: str | None = None
) -> None:
    """Record who read which participant's data, and how."""
    await append(session, principal=principal, reads=[Read(participant_id, action, detail)])


async def append(session: AsyncSession, *, principal: Principal, reads: Sequence[Read]) -> list[AuditEntry]:
    """Append the reads to the chain, in order, under the chain's lock (held until the caller's transaction ends)."""
    if not reads:
        return []
    # Separate statements: in READ COMMITTED each one sees what was committed before it began, so the head is read
    # only once the lock is held, and is the last entry of whoever held it before.
    await run(session, _LOCK, {"key": CHAIN_LOCK})
    previous = (await run(session, _HEAD)).scalar_one_or_none() or GENESIS
    ids = (await run(session, _NEXT_IDS, {"n": len(reads)})).scalars().all()
    at, roles = datetime.now(UTC), ",".join(sorted(principal.roles))
    entries = []
    AUDIT_APPENDS.labels("intake").inc(len(reads))
    for entry_id, read in zip(ids, reads, strict=True):
        entry = AuditEntry(
            id=int(entry_id),
            actor=principal.subject,
            role=roles,
            action=read.action,
            participant_id=read.participant_id,
            at=at,
            detail=read.detail,
            prev_hash=previous,
        )
        entry.hash = previous = entry_hash(entry)
        entries.append(entry)
    session.add_all(entries)
    await session.flush()  # inserted while the lock is held, and seen by the next append of this transaction
    return entries


def entry_hash(entry: AuditEntry) -> str:
    """SHA-256 (hex) of the entry's content and the previous entry's hash, in a canonical JSON form."""
    content = {
        "id": entry.id,
        "at": entry.at.astimezone(UTC).isoformat(timespec="microseconds"),
        "actor": entry.actor,
        "roles": entry.role,
        "action": entry.action,
        "participant_id": str(entry.participant_id),
        "detail": entry.detail,
        "prev": entry.prev_hash,
    }
    canonical = json.dumps(content, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(canonical.encode()).hexdigest()


@dataclass(frozen=True)
class Break:
    """The first entry at which the chain does not hold, and why."""

    entry_id: int
    reason: str


@dataclass
class ChainCheck:
    """Walks the chain entry by entry, in id order (fed in batches by the check command; pure)."""

    count: int = 0
    head_id: int | None = None
    head_hash: str = GENESIS

    def feed(self, entries: Iterable[AuditEntry]) -> Break | None:
        """Check the next entries; the first break found, or None."""
        for entry in entries:
            assert entry.id is not None
            if entry.prev_hash != self.head_hash:
                after = f"entry {self.head_id}" if self.head_id is not None else "the start of the log"
                return Break(
                    entry.id,
                    f"does not follow {after}: an entry between them was removed or slipped in, or {after} was "
                    "changed and its hash recomputed",
                )
            if entry.hash != entry_hash(entry):
                return Break(entry.id, "its content does not match its hash: the entry was changed")
            self.count, self.head_id, self.head_hash = self.count + 1, entry.id, entry.hash
        return None

"""The register import's use cases: begin (or resume) an import, and apply a slice of its rows. Each takes the caller's
session and never commits; the caller applies a slice and its progress in one transaction.

A row whose person is referred to no programme here leaves nothing behind. A matched person is audited, and each of
their six-month checks that has fallen due within the extract gets one finding, published as a fact without the CPR
number; a check answered by an earlier extract is left as it was.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime

from sqlalchemy.dialects.postgresql import insert
from sqlmodel import col
from sqlmodel.ext.asyncio.session import AsyncSession

from services.intake.audit.service import Read, append
from services.intake.register import queries
from services.intake.register.domain import Layout, cpr_digits, find, observable, read_row
from services.intake.register.reading import Row
from services.intake.tables import RegisterImport, RegisterObservation
from services.intake.vault import Vault
from shared.auth import Principal
from shared.contracts import REGISTRY, SixMonthResultRegisterObserved, to_event
from shared.db import run
from shared.outbox import add_to_outbox

SOURCE = "rummelig/intake"
MATCHED = "register-match"  # the audit log's action: a person of the extract found among the participants


@dataclass(frozen=True)
class Begun:
    """The import to go on with, and whether it had been begun (and how far) before."""

    run: RegisterImport
    resumed: bool


async def begin(session: AsyncSession, *, digest: str, rows: int, layout: Layout, principal: Principal) -> Begun:
    """The import of this file: a new one, or the one begun before with the same digest, to resume."""
    found = await queries.import_by_digest(session, digest)
    if found is not None:
        return Begun(found, True)
    started = RegisterImport(
        digest=digest, rows=rows, extract_until=layout.last_week.sunday, imported_by=principal.subject[:200]
    )
    session.add(started)
    await session.flush()
    return Begun(started, False)


class ImportMoved(RuntimeError):
    """Another process applied these rows meanwhile (the same file imported twice at once)."""


async def apply_rows(
    session: AsyncSession,
    vault: Vault,
    *,
    digest: str,
    start: int,
    layout: Layout,
    rows: Sequence[Row],
    principal: Principal,
    today: date,
) -> RegisterImport:
    """Match the extract's rows after the first `start`, audit each match, publish the findings, and count the rows
    done, under the import's lock."""
    extract = await queries.import_by_digest(session, digest)
    if extract is None or extract.rows_done != start:
        raise ImportMoved("this extract's import was moved on by another process: run it again to resume")
    by_hash = {vault.lookup_hash(cpr_digits(layout, fields)): (number, fields) for number, fields in rows}
    matched = await queries.participants_by_hash(session, list(by_hash))
    # only a matched person's row is read in full: the rest were checked, hashed, and are dropped here
    person_of = {
        participant_id: read_row(layout, by_hash[cpr_hash][1], by_hash[cpr_hash][0], today=today)
        for participant_id, cpr_hash in matched
    }
    checks = [c for c in await queries.checks_of(session, list(person_of)) if observable(c, layout, today)]
    events = {}
    for check in checks:
        found = find(person_of[check.participant_id], check.due_on)
        fact = SixMonthResultRegisterObserved(
            participant_id=check.participant_id,
            from_register="dream",
            exit_number=check.exit_number,
            left_on=check.left_on,
            due_on=check.due_on,
            weeks_from=found.weeks_from,
            weeks_to=found.weeks_to,
            month=found.month,
            extract_until=extract.extract_until,
            finding=found.finding,
            situation=found.situation,
        )
        events[(check.participant_id, check.exit_number)] = to_event(fact, source=SOURCE)
    observed, now = 0, datetime.now(UTC)
    if events:
        inserted = await run(
            session,
            insert(RegisterObservation)
            .values(
                [
                    {
                        "participant_id": p,
                        "exit_number": n,
                        "import_id": extract.id,
                        "event_id": e.id,
                        "observed_at": now,
                    }
                    for (p, n), e in events.items()
                ]
            )
            .on_conflict_do_nothing()
            .returning(col(RegisterObservation.participant_id), col(RegisterObservation.exit_number)),
        )
        topic = REGISTRY.topic_of(SixMonthResultRegisterObserved)
        for participant_id, exit_number in inserted.all():
            add_to_outbox(session, events[(participant_id, exit_number)], topic=topic)
            observed += 1
    await append(
        session,
        principal=principal,
        reads=[Read(participant_id, MATCHED, f"register extract {extract.id}") for participant_id in sorted(person_of)],
    )
    extract.rows_done += len(rows)
    extract.matched += len(person_of)
    extract.observed += observed
    if extract.rows_done == extract.rows:
        extract.finished_at = datetime.now(UTC)
    session.add(extract)
    return extract

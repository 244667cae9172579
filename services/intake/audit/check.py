"""Check intake's audit log: walk the hash chain in id order and say whether it holds.

    .venv/bin/python -m services.intake.audit.check [--anchor ID:HASH]      (INTAKE_DATABASE_URL, as the service)

Prints `OK` with the number of entries and the head of the chain (its last id and hash), or the first entry at which
the chain breaks and why, and exits 1. An entry changed in the database, one removed from the middle, or one slipped
in breaks the chain. Writing the head down somewhere else now and then (a ticket, the DPO's records) and passing it
later as --anchor also catches the removal of the newest entries, or a chain rewritten from some entry to the end.
Reads only; a broken chain is a matter for the data protection officer, not something this command repairs.
"""

from __future__ import annotations

import argparse
import asyncio
import re
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass

from pydantic import ValidationError
from sqlmodel import col, select

from services.intake.audit.service import Break, ChainCheck
from services.intake.settings import IntakeSettings
from services.intake.tables import AuditEntry
from shared.db import create_engine, create_sessionmaker
from shared.logging import get_logger
from shared.metrics import AUDIT_CHAIN_CHECKED, AUDIT_CHAIN_INTACT

log = get_logger(__name__)

BATCH = 5_000
ANCHOR = re.compile(r"^(?P<id>[1-9][0-9]{0,18}):(?P<hash>[0-9a-f]{64})$")


@dataclass(frozen=True)
class Verdict:
    """What the walk found: how many entries hold, the head, and the first break if any."""

    count: int
    head_id: int | None
    head_hash: str
    broken: Break | None

    def __str__(self) -> str:
        if self.broken is not None:
            return f"BROKEN at audit entry {self.broken.entry_id}: {self.broken.reason} ({self.count} entries hold)"
        head = f"head {self.head_id}:{self.head_hash}" if self.head_id is not None else "empty"
        return f"OK: {self.count} audit entries, the chain holds; {head}"


async def check_chain(
    database_url: str, *, anchor: tuple[int, str] | None = None, progress: Callable[[int], None] | None = None
) -> Verdict:
    """Walk the audit chain of the intake database in id order; anchor: an id and hash the chain must still hold."""
    engine = create_engine(database_url, pool_size=1, statement_seconds=None)
    walk, after, anchored = ChainCheck(), 0, anchor is None
    try:
        async with create_sessionmaker(engine)() as session:
            while True:
                query = select(AuditEntry).where(col(AuditEntry.id) > after).order_by(col(AuditEntry.id)).limit(BATCH)
                entries = list((await session.exec(query)).all())
                if not entries:
                    break
                broken = walk.feed(entries)
                if broken is None and anchor is not None and not anchored:
                    broken, anchored = _against(anchor, entries)
                if broken is not None:
                    return Verdict(walk.count, walk.head_id, walk.head_hash, broken)
                after = walk.head_id or after
                session.expunge_all()
                if progress:
                    progress(walk.count)
    finally:
        await engine.dispose()
    if not anchored:
        assert anchor is not None
        missing = Break(anchor[0], "the anchored entry is gone: the newest entries were removed")
        return Verdict(walk.count, walk.head_id, walk.head_hash, missing)
    return Verdict(walk.count, walk.head_id, walk.head_hash, None)


async def watch_chain(database_url: str, *, every_seconds: float) -> None:
    """Check the chain now and then every `every_seconds` until cancelled, for the operator's gauges (an alert fires
    on a break, or when no check has finished for too long)."""
    while True:
        try:
            verdict = await check_chain(database_url)
        except asyncio.CancelledError:
            raise
        except Exception as exc:  # noqa: BLE001 - the next round tries again; the checked time shows it is late
            log.warning("audit chain not checked", error=repr(exc))
        else:
            AUDIT_CHAIN_INTACT.labels("intake").set(0 if verdict.broken else 1)
            AUDIT_CHAIN_CHECKED.labels("intake").set(time.time())
            if verdict.broken:
                log.error("audit chain broken", verdict=str(verdict))
        await asyncio.sleep(every_seconds)


def _against(anchor: tuple[int, str], entries: list[AuditEntry]) -> tuple[Break | None, bool]:
    """Whether the batch holds the anchored entry unchanged: (a break, found)."""
    anchor_id, anchor_hash = anchor
    for entry in entries:
        if entry.id == anchor_id:
            if entry.hash != anchor_hash:
                return Break(anchor_id, "its hash differs from the anchor: the chain was rewritten"), True
            return None, True
    assert entries[-1].id is not None
    if entries[-1].id > anchor_id:  # passed it: an id inside the chain no longer there
        return Break(anchor_id, "the anchored entry is gone"), True
    return None, False


def _anchor(value: str) -> tuple[int, str]:
    match = ANCHOR.match(value)
    if match is None:
        raise argparse.ArgumentTypeError("expected ID:HASH, the head an earlier check printed")
    return int(match["id"]), match["hash"]


def _say(count: int) -> None:
    print(f"{count} entries hold ...", file=sys.stderr)  # on stderr: stdout holds the verdict alone


def main(argv: list[str] | None = None) -> int:
    """Check the chain of the database intake's settings name; 0 if it holds, 1 if broken, 2 if misconfigured."""
    parser = argparse.ArgumentParser(prog="python -m services.intake.audit.check", description=__doc__)
    parser.add_argument("--anchor", type=_anchor, help="ID:HASH of a head printed before, kept elsewhere")
    args = parser.parse_args(argv)
    try:
        settings = IntakeSettings()  # from the environment, as the service reads it
    except ValidationError as exc:
        print(f"audit_check: invalid settings:\n{exc}", file=sys.stderr)
        return 2
    verdict = asyncio.run(
        check_chain(
            settings.database_url, anchor=args.anchor, progress=lambda n: print(f"{n} entries hold...", file=sys.stderr)
        )
    )
    print(verdict)
    return 1 if verdict.broken else 0


if __name__ == "__main__":
    raise SystemExit(main())

"""Running an import over a file, for the command and the upload alike: every row checked, the import begun or
resumed, then each slice of rows applied and counted in a transaction of its own."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from typing import BinaryIO
from uuid import UUID

from services.intake.register import reading, service
from services.intake.vault import Vault
from shared.auth import Principal
from shared.db import SessionMaker, unit_of_work

SLICE = 2_000  # rows per transaction: a kill loses at most one slice's work, which is then done again


@dataclass(frozen=True)
class Imported:
    """How an import ended: its id, its rows, what matched and what was published; resumed if begun before."""

    import_id: UUID
    rows: int
    rows_done: int
    matched: int
    observed: int
    resumed: bool
    already_done: bool


Progress = Callable[[int, int, int, int], None]  # rows done, rows, participants matched, findings published


async def import_file(
    file: BinaryIO,
    sessions: SessionMaker,
    vault: Vault,
    *,
    principal: Principal,
    max_bytes: int,
    today: date,
    progress: Progress | None = None,
) -> Imported:
    """Check the whole file (ExtractRefused names the first fault, and nothing is stored), then apply it."""
    checked = await asyncio.to_thread(reading.check, file, max_bytes=max_bytes, today=today)
    async with unit_of_work(sessions) as session:
        begun = await service.begin(
            session, digest=checked.digest, rows=checked.rows, layout=checked.layout, principal=principal
        )
        import_id, done, matched, observed = begun.run.id, begun.run.rows_done, begun.run.matched, begun.run.observed
    already_done = done == checked.rows
    for rows in reading.slices(file, skip=done, size=SLICE):
        async with unit_of_work(sessions) as session:
            applied = await service.apply_rows(
                session,
                vault,
                digest=checked.digest,
                start=done,
                layout=checked.layout,
                rows=rows,
                principal=principal,
                today=today,
            )
            done, matched, observed = applied.rows_done, applied.matched, applied.observed
        if progress is not None:
            progress(done, checked.rows, matched, observed)
    return Imported(import_id, checked.rows, done, matched, observed, begun.resumed, already_done)

"""Retention: erase the personal data of every participant whose programme ended more than the retention period ago.

    python -m services.intake.personal_data.retention [--dry-run] [--batch N]     (INTAKE_ settings, as the service)

The period is INTAKE_RETENTION_YEARS (5 by default) after the programme's end as intake's catalogue read model has
it. A dry run only counts, by programme. Otherwise the participants are erased a batch to a transaction, basis
`retention`, with progress; a run stopped half-way (Ctrl-C, a crash) erased whole batches only, and the next run
goes on with those left. Each erasure is audited and announced with participant.erased, as by the API.
"""

from __future__ import annotations

import argparse
import asyncio
from collections.abc import Callable

from pydantic import ValidationError

from services.intake.personal_data.progress import Progress, say
from services.intake.personal_data.service import count_due, erase_due, retention_due
from services.intake.settings import IntakeSettings
from shared.clock import today_in_copenhagen
from shared.db import create_engine, create_sessionmaker
from shared.fund_rules import add_months


async def retention(
    database_url: str, *, years: int, dry_run: bool, batch: int = 200, out: Callable[[str], None] = say
) -> int:
    """Count the participants due, and unless a dry run erase them; how many were erased."""
    engine = create_engine(database_url, statement_seconds=None)
    sessions = create_sessionmaker(engine)
    today = today_in_copenhagen()
    due = retention_due(years=years, today=today)
    try:
        async with sessions() as session:
            counts = await count_due(session, due)
        total = sum(counts.values())
        out(f"programmes that ended before {add_months(today, -12 * years).isoformat()}: {total:,} participants due")
        for programme, n in counts.items():
            out(f"  {programme}: {n:,}")
        if dry_run or not total:
            out("dry run: nothing erased" if dry_run else "nothing to erase")
            return 0
        progress = Progress(total, what="erased", out=out)
        erased = await erase_due(sessions, due, basis="retention", today=today, batch=batch, progress=progress)
        out(f"done: {erased:,} participants' personal data erased in {progress.elapsed():.1f} s")
        return erased
    finally:
        await engine.dispose()


def main() -> None:
    """The command line."""
    parser = argparse.ArgumentParser(
        prog="python -m services.intake.personal_data.retention", description=__doc__.split("\n")[0]
    )
    parser.add_argument("--dry-run", action="store_true", help="count the participants due, by programme; erase none")
    parser.add_argument("--batch", type=int, default=200, help="participants erased per transaction (default 200)")
    args = parser.parse_args()
    try:
        settings = IntakeSettings()
    except ValidationError as exc:
        raise SystemExit(f"retention: invalid settings:\n{exc}") from None
    if args.batch < 1:
        parser.error("--batch must be at least 1")
    asyncio.run(
        retention(settings.database_url, years=settings.retention_years, dry_run=args.dry_run, batch=args.batch)
    )


if __name__ == "__main__":
    main()

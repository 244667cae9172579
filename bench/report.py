"""The whole figures report (every figure, every breakdown, suppression) over a million synthetic participants,
beside one `SELECT count(*)` over the same table, measured in one run.

    .venv/bin/python -m bench.report [--participants 1000000] [--runs 7]

Starts its own PostgreSQL in a temporary folder, migrates reporting's database, fills `participant_progress` with
synthetic rows for one programme (COPY, drawn from the mix of the seeds' results: about two in three complete, a
quarter employed upon leaving, ...), then times the report as the API computes it (services.reporting.
figures_report: a period in whole months sums the counts PostgreSQL keeps ahead, services.reporting.figure_cube,
which are counted once after the fill as the service does when it starts) and the reference. Prints the median and
the slowest run of each, and the report counted over the rows for comparison.
"""

from __future__ import annotations

import argparse
import asyncio
import io
import platform
import random
import statistics
import tempfile
import time
import uuid
from collections.abc import Awaitable, Callable
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import asyncpg
import psutil
from sqlmodel.ext.asyncio.session import AsyncSession

from deploy.ports import free_port
from deploy.postgres import PostgresServer, ensure_database
from deploy.stack import ROOT
from services.reporting import figures_report as report_module
from services.reporting import protection
from services.reporting.disclosure import publication
from services.reporting.figure_cube import ensure_cube
from services.reporting.figures import reported_for
from services.reporting.figures_report import Selection, figures_report, monthly_trends
from services.reporting.protection import every_period, relations_of
from services.reporting.suppression import AUDIT_SECONDS, protect
from shared.db import create_engine, create_sessionmaker
from shared.migrate import upgrade

GOAL_MS = 300.0
PROGRAMME = "bench-programme"
SUBPROJECTS = [f"sub-{i:02d}" for i in range(22)]
MUNICIPALITIES = ["751", "727", "766", "615", "657", "661", "665", "671", "706", "710", "730"]
TARGET_GROUPS = ["long-term-unemployed", "war-veterans", "psychologically-vulnerable", "deaf", "refugees", "young"]
COLUMNS = [
    "participant_id",
    "programme_id",
    "subproject_id",
    "municipality",
    "target_group",
    "gender",
    "age_band",
    "age_band_esf_plus",
    "labour_market_status",
    "long_term_unemployed",
    "education_level",
    "disability",
    "migrant",
    "minority",
    "homeless",
    "other_disadvantage",
    "referred",
    "referred_on",
    "enrolled",
    "waitlisted",
    "withdrawn",
    "started",
    "entered_on",
    "completed",
    "dropped_out",
    "drop_out_reason",
    "left_on",
    "employed_upon_leaving",
    "upon_leaving_situation",
    "qualification_gained",
    "upon_leaving_late",
    "employed_six_months",
    "six_months_situation",
    "improvement",
    "six_months_late",
    "leaving_check",
    "six_month_check",
    "exits",
    "erased",
    "age_judged_at_entry",
]


def _row(rng: random.Random) -> list[object]:
    """One synthetic participant's row, drawn from roughly the seeds' proportions."""
    entered = date(2024, 1, 1) + timedelta(days=rng.randrange(1000))
    started = rng.random() < 0.9
    left = started and rng.random() < 0.85
    completed = left and rng.random() < 0.65
    situation = rng.choice(["ordinary-employment", "social-economy-employment", "job-seeking", "education", None])
    six = rng.choice(["ordinary-employment", "job-seeking", "unreachable", None]) if left else None

    def answer() -> str:
        return rng.choice(["yes", "no", "no", "refused", "not-asked"])

    return [
        uuid.UUID(int=rng.getrandbits(128)),
        PROGRAMME,
        rng.choice(SUBPROJECTS),
        rng.choice(MUNICIPALITIES),
        rng.choice(TARGET_GROUPS),
        rng.choice(["female", "male", "male", "female", "non-binary"]),
        rng.choice(["under-25", "25-54", "25-54", "over-54"]),
        rng.choice(["18-29", "30-54", "30-54", "55-and-over"]),
        rng.choice(["unemployed", "unemployed", "inactive", "inactive-not-in-education", "employed"]),
        rng.random() < 0.4,
        rng.choice(["isced-0-2", "isced-3-4", "isced-5-8", "isced-0-2", "unknown"]),
        answer(),
        answer(),
        answer(),
        answer(),
        answer(),
        True,
        entered - timedelta(days=10),
        True,
        rng.random() < 0.05,
        not started,
        started,
        entered if started else None,
        completed,
        left and not completed,
        rng.choice(["job", "education", "illness", "moved"]) if left and not completed else None,
        entered + timedelta(days=90) if left else None,
        left and situation in ("ordinary-employment", "social-economy-employment"),
        situation if left else None,
        rng.random() < 0.2 if left else None,
        left and rng.random() < 0.05,
        six == "ordinary-employment",
        six,
        None,
        left and rng.random() < 0.05,
        rng.choice(["open", "overdue", "closed", "closed"]) if left else None,
        rng.choice(["open", "overdue", "closed", "closed"]) if left else None,
        1 if left else 0,
        False,
        started,
    ]


def _copy_text(value: object) -> str:
    """A value in COPY's text format."""
    if value is None:
        return "\\N"
    if isinstance(value, bool):
        return "t" if value else "f"
    return str(value)


def _copy_buffer(n: int, seed: int) -> io.BytesIO:
    rng = random.Random(seed)
    out = io.StringIO()
    for _ in range(n):
        out.write("\t".join(_copy_text(v) for v in _row(rng)))
        out.write("\n")
    return io.BytesIO(out.getvalue().encode())


async def _fill(dsn: str, n: int) -> float:
    conn = await asyncpg.connect(dsn)
    try:
        t0 = time.perf_counter()
        chunk = 100_000
        for start in range(0, n, chunk):
            await conn.copy_to_table(
                "participant_progress", source=_copy_buffer(min(chunk, n - start), seed=start), columns=COLUMNS
            )
        await conn.execute("ANALYZE participant_progress")
        return time.perf_counter() - t0
    finally:
        await conn.close()


async def figures_report_over_rows(session: AsyncSession, selection: Selection, *, min_cell: int) -> dict[str, Any]:
    """The report as a period not in whole half-years gets it: counted over every participant's row."""
    kept, one = report_module._in_whole_half_years, report_module._one_period
    report_module._in_whole_half_years = lambda _selection: False  # type: ignore[assignment]
    report_module._one_period = lambda _selection: None  # type: ignore[assignment]
    try:
        return await report_module._made(  # never one remembered
            session, selection, min_cell=min_cell, audit_seconds=AUDIT_SECONDS
        )
    finally:
        report_module._in_whole_half_years, report_module._one_period = kept, one


async def _time(label: str, runs: int, work: Callable[[], Awaitable[None]]) -> list[float]:
    times = []
    for _ in range(runs):
        t0 = time.perf_counter()
        await work()
        times.append((time.perf_counter() - t0) * 1000)
    print(f"  {label:<52} median {statistics.median(times):8.1f} ms   slowest {max(times):8.1f} ms")
    return times


async def main(participants: int, runs: int) -> None:
    """Fill, measure, print."""
    folder = Path(tempfile.mkdtemp(prefix="rummelig-bench-report-"))
    server = PostgresServer(folder / "pg", port=free_port(), log_path=folder / "pg.log")
    server.start()
    try:
        await ensure_database(server.dsn("postgres"), "reporting")
        await asyncio.to_thread(upgrade, server.url("reporting"), ROOT / "services" / "reporting" / "migrations")
        print(f"[bench] filling {participants:,} participants ...", flush=True)
        filled = await _fill(server.dsn("reporting"), participants)
        print(f"[bench] filled in {filled:.1f} s", flush=True)
        engine = create_engine(server.url("reporting"), statement_seconds=None)  # counting ahead reads every row
        sessions = create_sessionmaker(engine)
        t0 = time.perf_counter()
        async with engine.begin() as counting:  # as the service does when it starts
            await ensure_cube(counting)
        print(f"[bench] figures counted ahead in {time.perf_counter() - t0:.1f} s", flush=True)
        conn = await asyncpg.connect(server.dsn("reporting"))

        async def reference() -> None:
            await conn.fetchval("SELECT count(*) FROM participant_progress")

        async def report() -> None:  # asked again with no count changed: the protection is remembered
            async with sessions() as session:
                await figures_report(session, Selection(PROGRAMME), min_cell=5)

        async def report_cold() -> None:  # as after any count has changed: suppressed and audited anew
            protection.forget()
            report_module.forget()
            await report()

        async def counted_over_rows() -> None:  # as for a period not in whole half-years: every row is read
            async with sessions() as session:
                await figures_report_over_rows(session, Selection(PROGRAMME), min_cell=5)

        async def trends() -> None:  # the dashboard's monthly charts
            async with sessions() as session:
                await monthly_trends(session, Selection(PROGRAMME), min_cell=5)

        async def half_year() -> None:
            async with sessions() as session:
                await figures_report(
                    session, Selection(PROGRAMME, start=date(2025, 3, 1), end=date(2025, 8, 31)), min_cell=5
                )

        print(f"\nmachine: {psutil.cpu_count()} CPUs, {platform.platform()}, Python {platform.python_version()}")
        print(f"date: {datetime.now(UTC):%Y-%m-%d %H:%M} UTC; {participants:,} participants in one programme\n")
        await reference()  # warm the cache alike for both
        ref = await _time("reference: SELECT count(*) over the table", runs, reference)
        cold = await _time("the whole report, cold (read and suppressed anew)", runs, report_cold)
        whole = await _time("the whole report, warm (nothing written since)", runs, report)

        async def counts_changed() -> None:  # another report's counts read, its protection remembered
            report_module.forget()
            await report()

        await _time("the whole report, read again, protection remembered", runs, counts_changed)
        await _time("the report of one half-year, warm", runs, half_year)
        await _time("the whole report counted over the rows, for comparison", runs, counted_over_rows)
        await _time("the dashboard's monthly trends (four series), warm", runs, trends)
        async with sessions() as session:  # the counts of every period, read once: what suppression is given
            periods = await every_period(session, PROGRAMME, None, None)
        # of the figures an ESF 2014-20 programme reports with the register beside (the default), as the service does
        reported = frozenset(f.id for f in reported_for("esf-2014-2020", "verify"))
        periods = {period: protection.only(counts, reported) for period, counts in periods.items()}
        relations = relations_of(
            flex_job_is_employment=True,
            wage_subsidy_is_employment=False,
            cr04_reading="every-participant",
            target_figures=set(),
        )

        built = publication(periods, {}, relations)

        async def building() -> None:  # every period's report as one problem (as the service does: no cycle GC)
            with protection.without_cycle_collection():
                publication(periods, {}, relations)

        async def auditing() -> None:  # hidden and audited by LP
            with protection.without_cycle_collection():
                protect(built.problem, 5)

        async def remembered() -> None:
            protection.protected_publication(periods, {}, relations, 5)

        print("\n  of which suppression (its own time, beside the reference and the goal above):")
        suppressed = [
            a + b
            for a, b in zip(
                await _time("  building the joint problem (every period)", runs, building),
                await _time("  hiding and the LP audit", runs, auditing),
                strict=True,
            )
        ]
        print(f"  {'  suppression cold, in all':<52} median {statistics.median(suppressed):8.1f} ms")
        await _time("  suppression remembered (nothing changed)", runs, remembered)
        async with sessions() as session:
            ahead = await figures_report(session, Selection(PROGRAMME), min_cell=5)
            over_rows = await figures_report_over_rows(session, Selection(PROGRAMME), min_cell=5)
        same = ahead["figures"] == over_rows["figures"]
        print(f"\n  the kept counts give the figures counting the rows gives: {'yes' if same else 'NO'}")
        for name, times in (("cold", cold), ("warm", whole)):
            median = statistics.median(times)
            verdict = "met" if median < GOAL_MS else "NOT met"
            print(f"\n  {name}: report / count(*): {median / statistics.median(ref):.1f} x")
            print(f"  goal: the whole report under {GOAL_MS:.0f} ms, {name}: {median:.0f} ms, {verdict}")
        await conn.close()
        await engine.dispose()
    finally:
        server.stop()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--participants", type=int, default=1_000_000)
    parser.add_argument("--runs", type=int, default=7)
    args = parser.parse_args()
    asyncio.run(main(args.participants, args.runs))

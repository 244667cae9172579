"""Rebuild equals live, on the real stack: the projection replayed from the log into a fresh table is the live one,
the service answers queries all through the rebuild, and goes on counting new facts afterwards."""

from __future__ import annotations

import asyncio
import random
from datetime import timedelta
from typing import Any
from uuid import uuid4

import asyncpg
import httpx
import pytest

from deploy.simulate import Mix, drive, plan
from deploy.stack import Stack
from services.reporting.rebuild import rebuild
from shared.clock import today_in_copenhagen
from shared.lag import LagProbe
from shared.topics import FACT_TOPICS
from tests.fixtures.kafka_tools import eventually
from tests.fixtures.simulation import simulation_catalogue, until_intake_knows

pytestmark = pytest.mark.stack
ROWS = "SELECT * FROM {table} ORDER BY participant_id"
# the figures' kept counts, cell by cell (a cell everyone has left holds zeros: not a difference)
MONTHS = "SELECT * FROM trend_count WHERE n <> 0 ORDER BY programme_id, series, month, subproject_id, municipality"
CELLS = (
    "SELECT * FROM figure_count WHERE n <> 0"
    " ORDER BY programme_id, period_by, half_year, subproject_id, municipality, dimension, category, complete"
)


# the kept counts' tables as the service creates them: columns, types, defaults, nullability, and the cells' keys
SHAPES = """
SELECT table_name::text, column_name::text, data_type::text, is_nullable::text, column_default::text
FROM information_schema.columns WHERE table_schema = 'public' AND table_name IN ('figure_count', 'trend_count')
UNION ALL
SELECT tablename::text, indexname::text, indexdef, '', '' FROM pg_indexes
WHERE schemaname = 'public' AND tablename IN ('figure_count', 'trend_count')
ORDER BY 1, 2
"""


async def _rows(stack: Stack, table: str) -> list[dict[str, Any]]:
    conn = await asyncpg.connect(stack.postgres.dsn("reporting"))
    try:
        return [dict(r) for r in await conn.fetch(ROWS.format(table=table))]
    finally:
        await conn.close()


async def _cells(stack: Stack, query: str = CELLS) -> list[dict[str, Any]]:
    conn = await asyncpg.connect(stack.postgres.dsn("reporting"))
    try:
        return [dict(r) for r in await conn.fetch(query)]
    finally:
        await conn.close()


async def _quiet(stack: Stack) -> bool:
    """Nothing on its way to reporting: follow-up has no step due and nothing unpublished, reporting no lag.

    Follow-up keeps publishing as checks fall due (a lapse, an escalation); a snapshot taken before it is done would
    miss what the rebuild then replays."""
    conn = await asyncpg.connect(stack.postgres.dsn("followup"))
    try:
        busy = await conn.fetchval(
            "SELECT (SELECT count(*) FROM deadline WHERE status = 'open' AND next_at <= now())"
            " + (SELECT count(*) FROM outbox_message WHERE published_at IS NULL)"
        )
    finally:
        await conn.close()
    if busy:
        return False
    lag = await LagProbe(stack.kafka.bootstrap_servers, "reporting", FACT_TOPICS, cache_seconds=0).read()
    return lag is not None and not any(n for partitions in lag.values() for n in partitions.values())


async def test_the_rebuilt_projection_equals_the_live_one_and_the_service_answers_throughout(stack: Stack) -> None:
    programme = f"rebuild-{uuid4().hex[:8]}"
    courses = await simulation_catalogue(stack, programme)
    await until_intake_knows(stack, programme)
    mix = Mix(subprojects=courses, municipalities={"751": 0.5, "727": 0.5}, target_groups={"war-veterans": 1.0})

    def caseworker(municipality: str) -> str:
        return stack.token(role="caseworker", municipality=municipality, email=f"cw-{municipality}@example.dk")

    first = today_in_copenhagen() - timedelta(days=340)
    await drive(stack.url("intake"), caseworker, programme, plan(mix, 12, random.Random(3), first=first))
    await eventually(lambda: _quiet(stack), timeout=60)
    live = await _rows(stack, "participant_progress")
    assert len(live) >= 12
    kept, months = await _cells(stack), await _cells(stack, MONTHS)
    shapes = await _cells(stack, SHAPES)

    operator = stack.token(role="operator", programmes=[programme])
    answers: list[int] = []
    done = asyncio.Event()

    async def keep_asking() -> None:
        # a report protects its small counts with an audited linear program: seconds, more on a machine the rebuild
        # keeps busy; an answer that comes, however slow, is the service answering
        async with httpx.AsyncClient(base_url=stack.url("reporting"), timeout=120) as client:
            while not done.is_set():
                answer = await client.get(
                    "/report/figures",
                    params={"programme_id": programme},
                    headers={"Authorization": f"Bearer {operator}"},
                )
                answers.append(answer.status_code)
                await asyncio.sleep(0.02)

    asking = asyncio.create_task(keep_asking())
    said: list[str] = []
    try:
        rebuilt = await rebuild(stack.postgres.url("reporting"), stack.kafka.bootstrap_servers, progress=said.append)
    finally:
        done.set()
        await asking

    assert await _rows(stack, "participant_progress") == live  # rebuilt from the log: the very same rows
    assert await _rows(stack, "participant_progress_replaced") == live
    # counted afresh from the rebuilt rows, the figures' counts equal those kept fact by fact
    assert [{k: v for k, v in c.items() if k != "last_event_at"} for c in await _cells(stack)] == [
        {k: v for k, v in c.items() if k != "last_event_at"} for c in kept
    ]
    assert await _cells(stack, MONTHS) == months
    assert await _cells(stack, SHAPES) == shapes  # counted afresh into tables of the very shape the service made
    assert rebuilt.participants == len(live) and rebuilt.events > len(live)
    assert answers and set(answers) == {200}  # the service answered all through
    assert any("events" in line and "/s" in line for line in said)  # progress: done, rate, time left

    # after the switch the live consumer goes on, into the new table, and skips nothing new
    more = plan(mix, 2, random.Random(4), first=first + timedelta(days=20))
    await drive(stack.url("intake"), caseworker, programme, more)

    async def counted() -> bool:
        rows = await _rows(stack, "participant_progress")
        return (
            len([r for r in rows if r["programme_id"] == programme])
            == len([r for r in live if r["programme_id"] == programme]) + 2
        )

    await eventually(counted, timeout=60)
    # and the counts swapped in with the new table are kept by it: the two new participants are counted
    entered = sum(
        c["n"]
        for c in await _cells(stack)
        if (c["programme_id"], c["period_by"], c["dimension"]) == (programme, "entry", "all")
    )
    assert entered == len([r for r in live if r["programme_id"] == programme]) + 2

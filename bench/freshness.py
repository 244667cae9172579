"""Freshness: from a referral accepted by intake to the participant counted in reporting, at a steady rate.

    .venv/bin/python -m bench.freshness [--rates 100,300] [--seconds 60]

Starts the whole stack in a temporary folder, sends distinct synthetic referrals to intake at a fixed rate over 16
raw keep-alive connections (each request leaves on its schedule, or at once when its connection was held up), notes
when each was accepted (201), and counts reporting's projection every 20 ms: the n-th accepted referral is taken as
counted when the projection holds n rows (facts of different participants may pass each other between partitions,
so this is the freshness of the count, which is what the report shows). Prints p50, p99 and the slowest, beside the
reference measured in the same run: intake's own answer time for the same requests. Each rate is a phase of its own
on the same stack, one after the other (issue 22's goal is set at 100/s; 300/s shows what a busier hour does).
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import asyncpg

from bench.intake import RawConnection, distinct_bodies, machine, percentile
from deploy.stack import Stack, StackConfig
from shared.logging import configure_logging

GOAL_P99_MS = 150.0  # at GOAL_RATE (issue 22)
GOAL_RATE = 100.0
WATCH_EVERY = 0.02


CONNECTIONS = 16


async def _connection(
    conn: RawConnection,
    bodies: list[tuple[int, bytes]],
    start: float,
    rate: float,
    accepted: list[float],
    answer_ms: list[float],
) -> None:
    """Send this connection's share of the bodies, each at its time (or at once, if the connection is behind)."""
    for index, body in bodies:
        delay = start + index / rate - time.perf_counter()
        if delay > 0:
            await asyncio.sleep(delay)
        sent = time.perf_counter()
        if await conn.post(body) == 201:
            now = time.perf_counter()
            accepted.append(now)
            answer_ms.append((now - sent) * 1000)


async def _count(dsn: str, counts: list[tuple[float, int]], stop: asyncio.Event) -> None:
    """Count the projection's rows every 20 ms until told to stop."""
    conn = await asyncpg.connect(dsn)
    try:
        while not stop.is_set():
            n = await conn.fetchval("SELECT count(*) FROM participant_progress")
            counts.append((time.perf_counter(), int(n)))
            await asyncio.sleep(WATCH_EVERY)
    finally:
        await conn.close()


def lags_ms(accepted: list[float], counts: list[tuple[float, int]], baseline: int) -> list[float]:
    """For the n-th accepted referral, the time until the projection held baseline + n rows."""
    found, i = [], 0
    for n, at in enumerate(sorted(accepted), start=1):
        while i < len(counts) and counts[i][1] < baseline + n:
            i += 1
        if i == len(counts):
            break  # never counted while watched
        found.append(max(0.0, (counts[i][0] - at) * 1000))
    return sorted(found)


@dataclass(frozen=True)
class Phase:
    """One rate's measurement: when each referral was accepted, intake's answer times, the lags to being counted."""

    rate: float
    sent_for: float
    accepted: int
    answers: list[float]
    lags: list[float]


async def _phase(stack: Stack, rate: float, seconds: float, bodies: list[bytes]) -> Phase:
    """Send at the rate for the time, watch the projection, wait until it has counted them (30 s at most)."""
    accepted: list[float] = []
    counts: list[tuple[float, int]] = []
    answer_ms: list[float] = []
    token = stack.token(role="caseworker", municipality="751", subject="bench-caseworker")
    headers = {"authorization": f"Bearer {token}", "content-type": "application/json"}
    conn = await asyncpg.connect(stack.postgres.dsn("reporting"))
    baseline = int(await conn.fetchval("SELECT count(*) FROM participant_progress"))
    await conn.close()
    stop = asyncio.Event()
    watcher = asyncio.create_task(_count(stack.postgres.dsn("reporting"), counts, stop))
    raw = [RawConnection(stack.url("intake") + "/referrals", headers) for _ in range(CONNECTIONS)]
    numbered = list(enumerate(bodies))
    print(f"[bench] {rate:.0f} referrals/s for {seconds:.0f} s ...", file=sys.stderr)
    start = time.perf_counter()
    await asyncio.gather(
        *(_connection(c, numbered[k::CONNECTIONS], start, rate, accepted, answer_ms) for k, c in enumerate(raw))
    )
    sent_for = time.perf_counter() - start
    for c in raw:
        c.close()
    settle = time.perf_counter() + 30
    while time.perf_counter() < settle and (not counts or counts[-1][1] < baseline + len(accepted)):
        await asyncio.sleep(0.1)
    stop.set()
    await watcher
    return Phase(rate, sent_for, len(accepted), sorted(answer_ms), lags_ms(accepted, counts, baseline))


async def main(rates: list[float], seconds: float) -> None:
    """Start the stack, send at each rate in turn, watch, print."""
    configure_logging("bench", level=logging.WARNING)
    bodies = distinct_bodies(int(sum(rates) * seconds) + 10)
    state = Path(tempfile.mkdtemp(prefix="rummelig-bench-freshness-"))
    stack = Stack(
        StackConfig.on_free_ports(state, environment="test"), log=lambda line: print(f"[stack] {line}", file=sys.stderr)
    )
    phases: list[Phase] = []
    try:
        await stack.start()
        used = 0
        for rate in rates:
            count = int(rate * seconds)
            phases.append(await _phase(stack, rate, seconds, bodies[used : used + count]))
            used += count
    finally:
        stack.stop()
    print(f"\nmachine: {machine()}")
    print(f"{'':<52}{'p50 ms':>10}{'p99 ms':>10}{'max ms':>10}")
    for phase in phases:
        got = phase.accepted / phase.sent_for
        print(f"at {phase.rate:.0f}/s: {phase.accepted} referrals accepted in {phase.sent_for:.1f} s ({got:.0f}/s)")
        for name, values in (
            ("  intake answers (the reference)", phase.answers),
            ("  accepted -> counted", phase.lags),
        ):
            print(f"{name:<52}{percentile(values, 50):>10.0f}{percentile(values, 99):>10.0f}{values[-1]:>10.0f}")
        print(f"  missing after 30 s: {phase.accepted - len(phase.lags)}")
        if phase.rate == GOAL_RATE:
            p99 = percentile(phase.lags, 99)
            verdict = "met" if p99 < GOAL_P99_MS else "NOT met"
            print(f"  goal at {GOAL_RATE:.0f}/s: p99 under {GOAL_P99_MS:.0f} ms: {p99:.0f} ms, {verdict}")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rates", default="100,300", help="referrals per second, a phase each, comma-separated")
    parser.add_argument("--seconds", type=float, default=60)
    args = parser.parse_args()
    asyncio.run(main([float(r) for r in args.rates.split(",")], args.seconds))

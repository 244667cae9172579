"""Intake's POST /referrals under load beside a bare FastAPI endpoint doing one INSERT, measured in one run.

    .venv/bin/python -m bench.intake [--seconds 20] [--connections 32] [--client raw|httpx] [--alone]
                                     [--profile FILE.svg|FILE.txt] [--profile-service NAME]

Starts the real stack (Kafka, PostgreSQL, the mail catcher, the four services) on free ports in a temporary folder,
intake as the launcher runs it (shared.run: one uvicorn process). Then puts the same load on two endpoints: a fixed
number of keep-alive connections (raw HTTP/1.1 on asyncio streams; `--client httpx` for one shared httpx client, which
on two cores is the bottleneck itself: see RawConnection), each sending its next request when the last one is
answered, for a given time after a short warm-up; the bodies are distinct synthetic referrals to the programme
running today, generated before anything is timed:
  1. the reference: a bare FastAPI app (below) whose one route INSERTs the JSON body into a table of a database
     `bench` on the same PostgreSQL, through the same engine factory (asyncpg, pool, pre-ping), served by uvicorn
     with intake's worker count and settings;
  2. intake's POST /referrals with a caseworker token.
Only 201 answers count as successes. On two cores the other services, consuming intake's events while it is
measured, take most of the CPU: --alone stops them for intake's phase to show intake's own capacity. --profile
records intake's measured phase with py-spy (flame graph for .svg, collapsed stacks for .txt); --profile-service
records another service instead (enrolment, followup or reporting: where a referral's events are consumed).
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import json
import logging
import math
import os
import platform
import random
import shutil
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

import asyncpg
import httpx
import psutil
import uvicorn
from fastapi import FastAPI
from fastapi.responses import JSONResponse
from sqlalchemy import BigInteger, Column, MetaData, Table, insert
from sqlalchemy.dialects.postgresql import JSONB

from deploy.ports import LOCALHOST, free_port, wait_for_port
from deploy.stack import ROOT, Stack, StackConfig
from deploy.synthetic import referral_body, synthetic_citizen
from shared.db import create_engine
from shared.logging import configure_logging

RATIO_GOAL = 0.5
P99_GOAL_MS = 100.0
WARM_UP_SECONDS = 2.0
# Distinct citizens generated per second of load: well above what two cores serve, so intake never runs out.
BODIES_PER_SECOND = 2_000
SEED = 2026
OTHER_SERVICES = ("enrolment", "followup", "reporting")
OTHERS = "enrolment, followup, reporting"
REST = "the rest (other processes)"

BARE_TABLE = Table(
    "bench_referral",
    MetaData(),
    Column("id", BigInteger, primary_key=True, autoincrement=True),
    Column("body", JSONB, nullable=False),
)
BARE_DDL = "CREATE TABLE IF NOT EXISTS bench_referral (id bigserial PRIMARY KEY, body jsonb NOT NULL)"


# --- the pure parts ------------------------------------------------------------------------------------------------
def percentile(sorted_values: Sequence[float], q: float) -> float:
    """The nearest-rank q-th percentile of already sorted values (NaN when there are none)."""
    if not sorted_values:
        return math.nan
    rank = math.ceil(q / 100 * len(sorted_values))
    return sorted_values[min(max(rank, 1), len(sorted_values)) - 1]


@dataclass
class Measurement:
    """What one phase of load saw: the latency of every success, failures by status or error, the wall time."""

    seconds: float = 0.0
    latencies_ms: list[float] = field(default_factory=list)
    errors: Counter[str] = field(default_factory=Counter)

    @property
    def rate(self) -> float:
        """Successful requests per second."""
        return len(self.latencies_ms) / self.seconds if self.seconds > 0 else 0.0

    def p(self, q: float) -> float:
        """The q-th percentile of the successes' latency in milliseconds."""
        return percentile(sorted(self.latencies_ms), q)


def verdict(met: bool) -> str:
    """How a goal reads in the report."""
    return "met" if met else "NOT met"


def report(bare: Measurement, intake: Measurement) -> list[str]:
    """The figures side by side, the ratio, and the two goals with whether each is met."""
    lines = [f"{'what':<44}{'requests/s':>12}{'p50 ms':>9}{'p99 ms':>9}{'errors':>9}"]
    for label, m in (("bare FastAPI + one INSERT (reference)", bare), ("intake POST /referrals", intake)):
        lines.append(f"{label:<44}{m.rate:>12,.0f}{m.p(50):>9.1f}{m.p(99):>9.1f}{sum(m.errors.values()):>9}")
        if m.errors:
            lines.append(f"  {label} errors: " + ", ".join(f"{k} x{n}" for k, n in m.errors.most_common()))
    ratio = intake.rate / bare.rate if bare.rate > 0 else 0.0
    p99 = intake.p(99)
    lines += [
        f"{'intake / bare':<44}{ratio:>12.2f}",
        "",
        f"goal: intake/bare >= {RATIO_GOAL:.1f}{'':<18}{ratio:>8.2f}  {verdict(ratio >= RATIO_GOAL)}",
        f"goal: intake p99 < {P99_GOAL_MS:.0f} ms{'':<17}{p99:>8.1f}  {verdict(p99 < P99_GOAL_MS)}",
    ]
    return lines


def distinct_bodies(n: int, seed: int = SEED) -> list[bytes]:
    """n JSON referral bodies, each of a different synthetic citizen (the same CPR twice would be refused)."""
    rng = random.Random(seed)
    seen: set[str] = set()
    bodies: list[bytes] = []
    while len(bodies) < n:
        citizen = synthetic_citizen(rng)
        if citizen.cpr not in seen:
            seen.add(citizen.cpr)
            bodies.append(json.dumps(referral_body(citizen)).encode())
    return bodies


def combine_others(cpu: dict[str, float]) -> dict[str, float]:
    """CPU seconds per group with enrolment, followup and reporting summed into one row (the table's former rows)."""
    combined = {name: v for name, v in cpu.items() if name not in OTHER_SERVICES and name != CpuProbe.MACHINE}
    combined[OTHERS] = sum(cpu.get(name, 0.0) for name in OTHER_SERVICES)
    combined[CpuProbe.MACHINE] = cpu.get(CpuProbe.MACHINE, 0.0)
    return combined


def cpu_ms_per_request(cpu: dict[str, float], requests: int) -> dict[str, float]:
    """CPU milliseconds per successful request of each group, the rest of the machine, and the whole machine."""
    groups = {name: v for name, v in cpu.items() if name != CpuProbe.MACHINE}
    machine_seconds = cpu.get(CpuProbe.MACHINE, 0.0)
    # Other engineers' work and the system's own show only in the machine's total: what no group accounts for.
    seconds = groups | {REST: max(machine_seconds - sum(groups.values()), 0.0), CpuProbe.MACHINE: machine_seconds}
    return {name: (v * 1000 / requests if requests > 0 else math.nan) for name, v in seconds.items()}


def cpu_per_request_report(
    bare_cpu: dict[str, float], bare_requests: int, intake_cpu: dict[str, float], intake_requests: int
) -> list[str]:
    """Where the time goes: CPU ms per request of the bare endpoint and per referral of intake, group by group."""
    bare, intake = cpu_ms_per_request(bare_cpu, bare_requests), cpu_ms_per_request(intake_cpu, intake_requests)
    label = {"server under test": "server under test (bare app / intake)"}
    lines = [
        "CPU milliseconds per request (bare) and per referral (intake) during the measured phase:",
        f"{'':<44}{'bare':>8}{'intake':>8}",
    ]
    first = ["server under test", *OTHER_SERVICES, "PostgreSQL", "Kafka"]  # the services, then what they use
    for name in sorted(intake, key=lambda n: first.index(n) if n in first else len(first)):
        lines.append(f"{label.get(name, name):<44}{bare.get(name, 0.0):>8.2f}{intake[name]:>8.2f}")
    lines.append(f"{'(requests answered 201)':<44}{bare_requests:>8}{intake_requests:>8}")
    return lines


# --- the reference: a bare endpoint of the same framework ----------------------------------------------------------
def create_bare_app(database_url: str) -> FastAPI:
    """One POST route that INSERTs the JSON body in one transaction, through the engine factory intake uses."""
    engine = create_engine(database_url)

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        yield
        await engine.dispose()

    app = FastAPI(lifespan=lifespan)

    @app.post("/referrals", status_code=201)
    async def post_referral(body: dict[str, Any]) -> JSONResponse:
        """Store the body as it came."""
        async with engine.begin() as conn:
            statement = insert(BARE_TABLE).values(body=body).returning(BARE_TABLE.c.id)
            new_id = (await conn.execute(statement)).scalar_one()
        return JSONResponse({"id": new_id}, status_code=201)

    return app


def serve_bare(database_url: str, port: int) -> None:
    """Serve the bare app exactly as shared.run.run_service serves a service: one process, no access log."""
    configure_logging("bench-bare", json=True)
    uvicorn.run(
        create_bare_app(database_url),
        host=LOCALHOST,
        port=port,
        log_config=None,
        access_log=False,
        timeout_graceful_shutdown=10,
    )


def start_bare(stack: Stack, port: int) -> subprocess.Popen[bytes]:
    """The bare app in a process of its own, like a service, logging beside the stack's logs."""
    log = (stack.config.state_dir / "logs" / "bare.log").open("ab")
    argv = [
        sys.executable,
        "-m",
        "bench.intake",
        "--serve-bare",
        str(port),
        "--database-url",
        stack.postgres.url("bench"),
    ]
    return subprocess.Popen(argv, cwd=ROOT, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)


# --- load and what it costs ----------------------------------------------------------------------------------------
class CpuProbe:
    """CPU seconds (user + system) used so far by named groups of processes, and by the whole machine."""

    MACHINE = "whole machine (all processes)"

    def __init__(self, groups: dict[str, list[tuple[int, bool]]]) -> None:
        self.groups = groups

    @staticmethod
    def _used(pid: int, children: bool) -> float:
        try:
            proc = psutil.Process(pid)
            times = proc.cpu_times()
            live = proc.children(recursive=True) if children else []
        except psutil.NoSuchProcess:
            return 0.0
        total = float(times.user + times.system)
        if children:
            # Children that already ended (PostgreSQL backends of discarded pool connections) count in their
            # parent's children_* times once reaped; the live ones are read one by one.
            total += times.children_user + times.children_system
            for child in live:
                try:
                    child_times = child.cpu_times()
                except psutil.NoSuchProcess:  # ended between the listing and the reading
                    continue
                total += child_times.user + child_times.system
        return total

    def read(self) -> dict[str, float]:
        """The seconds used per group so far, then the machine's busy seconds (other engineers' work shows here)."""
        used = {name: sum(self._used(pid, ch) for pid, ch in members) for name, members in self.groups.items()}
        machine = psutil.cpu_times()
        busy = ("user", "nice", "system", "irq", "softirq")  # guest time is already inside user on Linux
        used[self.MACHINE] = float(sum(getattr(machine, f, 0.0) for f in busy))
        return used


def parse_head(head: bytes) -> tuple[int, int, bool]:
    """Status, Content-Length and whether the server closes, from an HTTP/1.1 answer's head."""
    lines = head.split(b"\r\n")
    status = int(lines[0].split(b" ", 2)[1])
    length: int | None = None
    close = False
    for line in lines[1:]:
        name, _, value = line.partition(b":")
        name = name.strip().lower()
        if name == b"content-length":
            length = int(value)
        elif name == b"connection":
            close = value.strip().lower() == b"close"
    if length is None:  # uvicorn always sends one for these answers; anything else is not the server we expect
        raise ValueError("an answer without Content-Length")
    return status, length, close


class RawConnection:
    """One keep-alive HTTP/1.1 connection that POSTs a body and returns the answer's status.

    Why not httpx: on these two cores, httpx's shared pool of 32 connections spent a whole core to send 232
    requests/s to a FastAPI route that does nothing, and 32 one-connection clients 475/s; this spends about a
    twentieth of httpx's CPU per request (2,307/s on a tenth of a core), so the cores go to the server measured.
    """

    def __init__(self, url: str, headers: dict[str, str]) -> None:
        target = httpx.URL(url)
        self.host, self.port = target.host, target.port or 80
        fields = {"host": f"{self.host}:{self.port}", **headers}
        self._head = (
            f"POST {target.raw_path.decode()} HTTP/1.1\r\n" + "".join(f"{k}: {v}\r\n" for k, v in fields.items())
        ).encode()
        self._streams: tuple[asyncio.StreamReader, asyncio.StreamWriter] | None = None

    async def post(self, body: bytes) -> int:
        """Send one request and read its whole answer; reconnects after an error or a closing answer."""
        if self._streams is None:
            self._streams = await asyncio.open_connection(self.host, self.port)
        reader, writer = self._streams
        try:
            async with asyncio.timeout(30):
                writer.write(self._head + b"content-length: %d\r\n\r\n" % len(body) + body)
                await writer.drain()
                status, length, close = parse_head(await reader.readuntil(b"\r\n\r\n"))
                await reader.readexactly(length)
        except BaseException:
            self.close()
            raise
        if close:
            self.close()
        return status

    def close(self) -> None:
        """Drop the connection; the next post opens a new one."""
        if self._streams is not None:
            self._streams[1].close()
            self._streams = None


Send = Callable[[bytes], Awaitable[int]]
"""Sends one body on one connection and returns the HTTP status."""


async def _phase(senders: Sequence[Send], bodies: Iterator[bytes], seconds: float) -> Measurement:
    """Every connection sends its next body as soon as its last one is answered, until the time is up."""
    result = Measurement()
    t0 = time.perf_counter()
    deadline = t0 + seconds

    async def one_connection(send: Send) -> None:
        for body in bodies:  # shared by all connections: each body goes out once
            if time.perf_counter() >= deadline:
                return
            start = time.perf_counter()
            try:
                status = await send(body)
            except (OSError, TimeoutError, ValueError, asyncio.IncompleteReadError, httpx.HTTPError) as exc:
                result.errors[type(exc).__name__] += 1
                continue
            if status == 201:
                result.latencies_ms.append((time.perf_counter() - start) * 1000)
            else:
                result.errors[f"HTTP {status}"] += 1
        result.errors["bodies used up"] += 1

    await asyncio.gather(*(one_connection(send) for send in senders))
    result.seconds = time.perf_counter() - t0
    return result


@asynccontextmanager
async def connections_to(url: str, n: int, headers: dict[str, str], client: str) -> AsyncIterator[list[Send]]:
    """n senders: n raw connections, or one shared httpx client limited to n connections (--client httpx)."""
    if client == "httpx":
        limits = httpx.Limits(max_connections=n, max_keepalive_connections=n)
        async with httpx.AsyncClient(limits=limits, headers=headers, timeout=30) as shared:

            async def send(body: bytes) -> int:
                return (await shared.post(url, content=body)).status_code

            yield [send] * n
        return
    raw = [RawConnection(url, headers) for _ in range(n)]
    try:
        yield [c.post for c in raw]
    finally:
        for c in raw:
            c.close()


async def put_load(
    url: str,
    bodies: Iterator[bytes],
    *,
    connections: int,
    seconds: float,
    token: str | None = None,
    cpu: CpuProbe,
    client: str = "raw",
    on_measure: Callable[[], None] = lambda: None,
) -> tuple[Measurement, Measurement, dict[str, float]]:
    """Warm up, then measure: (warm-up, measured phase, CPU seconds per group during the measured phase)."""
    headers = {"content-type": "application/json"} | ({"authorization": f"Bearer {token}"} if token else {})
    async with connections_to(url, connections, headers, client) as senders:
        # Opens the connections and fills the server's pool, so the measured phase starts in the steady state.
        warm = await _phase(senders, bodies, WARM_UP_SECONDS)
        on_measure()
        before = cpu.read()
        measured = await _phase(senders, bodies, seconds)
        after = cpu.read()
    return warm, measured, {name: after[name] - before[name] for name in after}


def start_py_spy(pid: int, seconds: float, out: Path) -> subprocess.Popen[bytes]:
    """py-spy sampling a process for the given time (flame graph, or collapsed stacks when out ends in .txt)."""
    exe = shutil.which("py-spy", path=str(Path(sys.executable).parent)) or shutil.which("py-spy")
    if exe is None:
        raise SystemExit("--profile needs py-spy: .venv/bin/pip install py-spy")
    fmt = "raw" if out.suffix == ".txt" else "flamegraph"
    argv = [exe, "record", "--pid", str(pid), "--duration", str(math.ceil(seconds)), "--format", fmt, "-o", str(out)]
    return subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)


def machine() -> str:
    """CPUs, CPU model, platform and Python, for the report."""
    model = ""
    cpuinfo = Path("/proc/cpuinfo")
    if cpuinfo.exists():
        model = next((ln.split(":", 1)[1].strip() for ln in cpuinfo.read_text().splitlines() if "model name" in ln), "")
    model = model or platform.processor() or "?"
    return f"{os.cpu_count()} CPUs ({model}), {platform.platform()}, Python {platform.python_version()}"


async def main(
    seconds: float, connections: int, profile: Path | None, client: str, alone: bool, profiled: str = "intake"
) -> None:
    """Start the stack and the bare app, load the reference and then intake, print the comparison."""
    configure_logging("bench", level=logging.WARNING)
    started = datetime.now().astimezone()
    load_before = os.getloadavg()[0]
    bodies = distinct_bodies(int(BODIES_PER_SECOND * (seconds + WARM_UP_SECONDS)))
    state = Path(tempfile.mkdtemp(prefix="rummelig-bench-intake-"))
    stack = Stack(
        StackConfig.on_free_ports(state, environment="test"),
        log=lambda line: print(f"[stack] {line}", file=sys.stderr),
    )
    bare_proc: subprocess.Popen[bytes] | None = None
    try:
        await stack.start()
        await stack.postgres.ensure_database("bench")
        conn = await asyncpg.connect(stack.postgres.dsn("bench"))
        try:
            await conn.execute(BARE_DDL)
        finally:
            await conn.close()
        port = free_port()
        bare_proc = start_bare(stack, port)
        await asyncio.to_thread(wait_for_port, LOCALHOST, port, 30)
        groups = {
            "load generator (this process)": [(os.getpid(), False)],
            "server under test": [(bare_proc.pid, True)],
            "PostgreSQL": [(stack.postgres.pid or 0, True)],
            "Kafka": [(stack.kafka.pid or 0, True)],
        } | {name: [(stack.services[name].pid, True)] for name in OTHER_SERVICES}
        # The reference first: intake's events keep enrolment and reporting busy for a while after its phase.
        print(f"[bench] bare endpoint, {connections} connections, {seconds:.0f} s ...", file=sys.stderr)
        _, bare, bare_cpu = await put_load(
            f"http://{LOCALHOST}:{port}/referrals",
            itertools.cycle(bodies),
            connections=connections,
            seconds=seconds,
            cpu=CpuProbe(groups),
            client=client,
        )
        bare_proc.terminate()
        bare_proc.wait(timeout=20)
        intake_pid = stack.services["intake"].pid
        groups["server under test"] = [(intake_pid, True)]
        if alone:  # their events wait in Kafka; intake gets the cores the bare app had
            for name in OTHER_SERVICES:
                stack.stop_service(name)
            groups |= {name: [] for name in OTHER_SERVICES}
        spy: list[subprocess.Popen[bytes]] = []

        def profile_intake() -> None:
            if profile is not None:
                spy.append(start_py_spy(stack.services[profiled].pid, seconds, profile))

        print(f"[bench] intake, {connections} connections, {seconds:.0f} s ...", file=sys.stderr)
        warm, intake, intake_cpu = await put_load(
            stack.url("intake") + "/referrals",
            iter(bodies),
            connections=connections,
            seconds=seconds,
            token=stack.token(role="caseworker", municipality="751", subject="bench-caseworker"),
            cpu=CpuProbe(groups),
            client=client,
            on_measure=profile_intake,
        )
        for p in spy:
            _, err = p.communicate(timeout=120)
            print(f"[bench] py-spy: {err.decode().strip().splitlines()[-1:] or 'done'} -> {profile}", file=sys.stderr)
        conn = await asyncpg.connect(stack.postgres.dsn("intake"))
        try:
            stored = await conn.fetchval("SELECT count(*) FROM participant")
        finally:
            await conn.close()
    except BaseException:
        print(f"[bench] failed; logs kept in {state / 'logs'}", file=sys.stderr)
        raise
    finally:
        if bare_proc is not None and bare_proc.poll() is None:
            bare_proc.terminate()
            bare_proc.wait(timeout=20)
        stack.stop()
    # Every run leaves a database and Kafka's log, over 100 MB; kept only when something failed.
    shutil.rmtree(state, ignore_errors=True)
    print(f"\nmachine: {machine()}")
    print(f"date: {started:%Y-%m-%d %H:%M %Z}; load average (1 min) before the run: {load_before:.2f}")
    print(
        f"load: {connections} connections ({client} client), {seconds:.0f} s measured after {WARM_UP_SECONDS:.0f} s "
        f"warm-up, distinct synthetic referrals; intake and the bare app each one uvicorn process"
        + ("; enrolment, followup and reporting stopped during intake's phase\n" if alone else "\n")
    )
    print("\n".join(report(bare, intake)))
    print(f"\nCPU seconds used during the measured phase ({os.cpu_count()} cores):")
    print(f"{'':<36}{'bare':>8}{'intake':>8}")
    print(f"{'(wall seconds of the phase)':<36}{bare.seconds:>8.1f}{intake.seconds:>8.1f}")
    bare_seconds, intake_seconds = combine_others(bare_cpu), combine_others(intake_cpu)
    for name in bare_seconds:
        print(f"{name:<36}{bare_seconds[name]:>8.1f}{intake_seconds[name]:>8.1f}")
    print()
    print("\n".join(cpu_per_request_report(bare_cpu, len(bare.latencies_ms), intake_cpu, len(intake.latencies_ms))))
    created = len(warm.latencies_ms) + len(intake.latencies_ms)
    print(f"\nparticipants stored by intake: {stored} (201 answers, warm-up included: {created})")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seconds", type=float, default=20)
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument(
        "--client", choices=["raw", "httpx"], default="raw", help="the load generator (see RawConnection)"
    )
    parser.add_argument(
        "--alone", action="store_true", help="stop enrolment, followup and reporting during intake's phase"
    )
    parser.add_argument("--profile", type=Path, help="record intake's measured phase with py-spy into this file")
    parser.add_argument(
        "--profile-service", default="intake", choices=["intake", *OTHER_SERVICES], help="the service --profile records"
    )
    parser.add_argument("--serve-bare", type=int, metavar="PORT", help=argparse.SUPPRESS)
    parser.add_argument("--database-url", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve_bare:
        serve_bare(args.database_url, args.serve_bare)
    else:
        asyncio.run(main(args.seconds, args.connections, args.profile, args.client, args.alone, args.profile_service))

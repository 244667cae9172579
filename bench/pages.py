"""The caseworker pages' speed: "Mine sager" for a caseworker with 500 cases and the case page with 100 timeline
entries, each beside a bare page render of the same size, measured in one run.

    .venv/bin/python -m bench.pages [--cases 500] [--entries 100] [--requests 500] [--no-analyze]
                                    [--save-pages DIR]

Starts its own PostgreSQL in a temporary folder, migrates intake's database and builds intake by its composition
root (services.intake.main.create_app), served by uvicorn on a free port with lifespan off: no Kafka is started, so
the broker, the outbox relay and the pollers do not run, and nothing the pages do needs them. What intake would have
received from Kafka is delivered through the consumer intake runs (services.intake.handlers): the catalogue, each
case's facts from enrolment and follow-up, and intake's own outbox (referral.registered, participant.entered) by
shared.relay.OutboxRelay with a publisher that hands each record to that consumer instead of Kafka.

Fill: one caseworker refers N synthetic citizens through POST /referrals (personal data sealed as in life); each case
gets a short history drawn at random (enrolled, started, left with a follow-up check due, ...), and the first case
a long one, until its timeline holds M entries. The caseworker then signs in through the page (GET /sign-in, POST
/sign-in with the double-submit CSRF cookie) and the bench times, over real HTTP on one keep-alive connection:
  1. "Mine sager", the first page at the default page size (services.intake.pages.service.PAGE_SIZE);
  2. the case page of the long case (an audited read of personal data, its timeline in Danish words);
and as the reference, a bare FastAPI app served the same way in the same process, rendering a Jinja template with as
many rows (and timeline entries) of similar strings and markup as intake's page held, and form fields up to its
size in bytes (the pages' forms), with no database and no session. "Mine sager"'s use case
(services.intake.pages.service.my_cases) is timed alone too, in-process, to tell its query from the rest of the page.
The tables are analysed after the fill, as autovacuum would have done long before a caseworker has 500 cases
(--no-analyze times them as filled); --save-pages keeps the four pages' HTML.

Why real HTTP rather than httpx.ASGITransport: the browser's path is measured as it is, through uvicorn's HTTP
parsing, the cookie, the pages' app in front of the API and the security headers. Both servers run in the bench's
own event loop: requests go one at a time, so a server has the loop to itself while the client waits, and the
client's share (a raw keep-alive HTTP/1.1 GET, bench.intake.parse_head; all of it is inside the bare page's time) is
the same for all of them. They are measured in interleaved rounds, so another process's burst on the shared cores
falls on all of them alike.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import re
import shutil
import statistics
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path

import asyncpg
import httpx
import uvicorn
from fastapi import FastAPI

from bench.intake import machine, parse_head, percentile
from bench.pages_bare import bare_case_context, bare_cases_context, create_bare_app, sized
from bench.pages_fill import Intake, ToConsumer, fill
from deploy.ports import LOCALHOST, free_port
from deploy.postgres import PostgresServer, ensure_database
from deploy.stack import ROOT
from services.intake.handlers import handlers
from services.intake.main import create_app
from services.intake.pages.domain import ListAsked
from services.intake.pages.service import PAGE_SIZE, my_cases
from services.intake.settings import IntakeSettings
from shared.auth import issue_token, verify_token
from shared.clock import today_in_copenhagen
from shared.consumer import Consumer
from shared.db import asyncpg_dsn, unit_of_work
from shared.logging import configure_logging
from shared.migrate import upgrade
from shared.relay import OutboxRelay
from shared.settings import AuthSettings

MUNICIPALITY = "751"
WARM_UP_ROUNDS = 10
# The long case's first start: referral, waiting list, enrolment, start, and the entry intake judges on it.
MIN_ENTRIES = 5
KEY = "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8="  # 32 bytes, base64: a bench's own key, nothing real
_CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')
_ROW = re.compile(r'<th scope="row">')


# --- the pure parts ------------------------------------------------------------------------------------------------
def positive(text: str) -> int:
    """An argument that must be a whole number above zero."""
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"{text} is not above zero")
    return value


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    """The bench's arguments: how many cases, how many timeline entries, how many timed requests of each page."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--cases", type=positive, default=500, help="the caseworker's cases")
    parser.add_argument("--entries", type=positive, default=100, help="timeline entries on the case page's case")
    parser.add_argument("--requests", type=positive, default=500, help="timed requests of each page")
    parser.add_argument(
        "--no-analyze", dest="analyze", action="store_false", help="time the pages before the tables are analysed"
    )
    parser.add_argument("--save-pages", type=Path, metavar="DIR", help="keep each page's HTML (synthetic data) here")
    args = parser.parse_args(argv)
    if args.entries < MIN_ENTRIES:
        parser.error(f"--entries must be at least {MIN_ENTRIES}")
    return args


def table_rows(html: str) -> int:
    """The rows of a page's case table (each row's header cell)."""
    return len(_ROW.findall(html))


def timeline_items(html: str) -> int:
    """The entries of a page's timeline (the items of its ordered list)."""
    start = html.find('<ol class="timeline">')
    if start < 0:
        return 0
    return html.count("<li", start, html.find("</ol>", start))


@dataclass
class Timed:
    """One page's latencies in milliseconds and the size of its answer."""

    label: str
    size_bytes: int = 0
    latencies_ms: list[float] = field(default_factory=list)
    errors: int = 0

    def p(self, q: float) -> float:
        """The q-th percentile (nearest rank) in milliseconds."""
        return percentile(sorted(self.latencies_ms), q)


def report(pairs: Sequence[tuple[Timed, Timed]], parts: Sequence[Timed] = ()) -> list[str]:
    """Each page under its bare reference (p50, p95, max, size, p95 over the reference's), then the in-process parts."""
    lines = [f"{'what':<52}{'p50 ms':>8}{'p95 ms':>8}{'max ms':>8}{'KB':>7}{'p95 vs bare':>13}"]
    rows = [(t, r) for page, bare in pairs for t, r in ((bare, "(reference)"), (page, _ratio(page, bare)))]
    for timed, ratio in [*rows, *((part, "(in-process)") for part in parts)]:
        maximum = max(timed.latencies_ms, default=float("nan"))
        size = f"{timed.size_bytes / 1024:.1f}" if timed.size_bytes else "-"
        lines.append(f"{timed.label:<52}{timed.p(50):>8.1f}{timed.p(95):>8.1f}{maximum:>8.1f}{size:>7}{ratio:>13}")
        if timed.errors:
            lines.append(f"  {timed.label}: {timed.errors} answers were not 200")
    return lines


def _ratio(page: Timed, bare: Timed) -> str:
    """The page's p95 over its reference's."""
    return f"{page.p(95) / bare.p(95):.1f} x"


# --- serving and timing --------------------------------------------------------------------------------------------
async def serve(app: FastAPI) -> tuple[uvicorn.Server, asyncio.Task[None], int]:
    """The app under uvicorn on a free port, in this event loop, lifespan off (no broker, no relay)."""
    port = free_port()
    config = uvicorn.Config(app, host=LOCALHOST, port=port, lifespan="off", log_config=None, access_log=False)
    server = uvicorn.Server(config)
    task = asyncio.create_task(server.serve())
    while not server.started:
        if task.done():
            task.result()
        await asyncio.sleep(0.01)
    return server, task, port


class Tab:
    """One browser tab: a keep-alive HTTP/1.1 connection sending GETs with the session cookie."""

    def __init__(self, port: int, cookie: str = "") -> None:
        self.port = port
        self.cookie = cookie
        self._streams: tuple[asyncio.StreamReader, asyncio.StreamWriter] | None = None

    async def get(self, path: str) -> tuple[int, bytes]:
        """Send one GET and read the whole answer: its status and body."""
        if self._streams is None:
            self._streams = await asyncio.open_connection(LOCALHOST, self.port)
        reader, writer = self._streams
        cookie = f"cookie: {self.cookie}\r\n" if self.cookie else ""
        writer.write(f"GET {path} HTTP/1.1\r\nhost: {LOCALHOST}:{self.port}\r\n{cookie}\r\n".encode())
        await writer.drain()
        status, length, close = parse_head(await reader.readuntil(b"\r\n\r\n"))
        body = await reader.readexactly(length)
        if close:
            self.close()
        return status, body

    def close(self) -> None:
        """Drop the connection."""
        if self._streams is not None:
            self._streams[1].close()
            self._streams = None


async def signed_in_cookie(base_url: str, bearer: str) -> str:
    """Sign in through the page: GET /sign-in, then its form with the token and the double-submit cookie."""
    async with httpx.AsyncClient(base_url=base_url) as browser:
        form = await browser.get("/sign-in")
        found = _CSRF.search(form.text)
        if form.status_code != 200 or found is None:
            raise RuntimeError(f"no sign-in form: {form.status_code}")
        answer = await browser.post("/sign-in", data={"csrf_token": found.group(1), "token": bearer, "next": "/cases"})
        if answer.status_code != 303 or "rummelig_session" not in browser.cookies:
            raise RuntimeError(f"sign-in failed: {answer.status_code}")
        return f"rummelig_session={browser.cookies['rummelig_session']}"


def save_pages(folder: Path, pages: dict[str, bytes]) -> None:
    """Each page's HTML as NAME.html in the folder, to compare the real pages with the bare ones."""
    folder.mkdir(parents=True, exist_ok=True)
    for name, html in pages.items():
        (folder / f"{name}.html").write_bytes(html)


Fetch = Callable[[], Awaitable[tuple[int, bytes]]]


async def measure(targets: Sequence[tuple[Timed, Fetch]], requests: int) -> None:
    """Warm-up rounds, then timed rounds in which each target is asked once, in turn."""
    for round_number in range(WARM_UP_ROUNDS + requests):
        for timed, fetch in targets:
            start = time.perf_counter()
            status, body = await fetch()
            elapsed = (time.perf_counter() - start) * 1000
            if round_number < WARM_UP_ROUNDS:
                continue
            if status != 200:
                timed.errors += 1
                continue
            timed.latencies_ms.append(elapsed)
            timed.size_bytes = len(body)


async def main(cases: int, entries: int, requests: int, *, analyze: bool = True, save: Path | None = None) -> None:
    """Start PostgreSQL, migrate, serve intake, fill, sign in, measure beside the bare pages, print."""
    configure_logging("bench", level=logging.WARNING)
    started = datetime.now().astimezone()
    folder = Path(tempfile.mkdtemp(prefix="rummelig-bench-pages-"))
    server = PostgresServer(folder / "pg", port=free_port(), log_path=folder / "pg.log")
    server.start()
    servers: list[tuple[uvicorn.Server, asyncio.Task[None]]] = []
    try:
        await ensure_database(server.dsn("postgres"), "intake")
        await asyncio.to_thread(upgrade, server.url("intake"), ROOT / "services" / "intake" / "migrations")
        app = create_app(IntakeSettings(database_url=server.url("intake"), data_key=KEY, lookup_key=KEY))
        consumer = Consumer("intake", handlers(app.state.vault))
        dsn = asyncpg_dsn(server.url("intake"))
        intake = Intake(app, consumer, OutboxRelay(dsn=dsn, publisher=ToConsumer(consumer, app)), dsn)
        intake_server, intake_task, port = await serve(app)
        servers.append((intake_server, intake_task))
        base_url = f"http://{LOCALHOST}:{port}"
        bearer = issue_token(
            AuthSettings(),
            subject="bench-caseworker",
            email="caseworker@example.dk",
            roles=["caseworker"],
            municipality=MUNICIPALITY,
            ttl=timedelta(hours=2),
        )
        print(f"[bench] referring {cases} cases, a timeline of {entries} entries ...", file=sys.stderr, flush=True)
        t0 = time.perf_counter()
        async with httpx.AsyncClient(base_url=base_url, headers={"authorization": f"Bearer {bearer}"}) as api:
            reference = await fill(intake, api, cases=cases, entries=entries)
        if analyze:  # as autovacuum would have long before a caseworker has 500 cases: fresh tables mislead the planner
            analysing = await asyncpg.connect(dsn)
            try:
                await analysing.execute("ANALYZE")
            finally:
                await analysing.close()
        print(f"[bench] filled in {time.perf_counter() - t0:.1f} s", file=sys.stderr, flush=True)
        tab = Tab(port, await signed_in_cookie(base_url, bearer))
        status, listed = await tab.get("/cases")
        status_case, shown = await tab.get(f"/cases/{reference}")
        if (status, status_case) != (200, 200):
            raise RuntimeError(f"the pages answered {status} and {status_case}")
        rows, items = table_rows(listed.decode()), timeline_items(shown.decode())
        if rows != min(PAGE_SIZE, cases) or items != entries:
            raise RuntimeError(f"intake's pages show {rows} rows and {items} entries, not what was filled")
        bare_server, bare_task, bare_port = await serve(
            create_bare_app(
                sized("cases.html", bare_cases_context(rows, cases), len(listed)),
                sized("case.html", bare_case_context(items), len(shown)),
            )
        )
        servers.append((bare_server, bare_task))
        bare_tab = Tab(bare_port)
        cases_label = f'"Mine sager", page 1 ({rows} of {cases} cases)'
        pairs = [
            (Timed(cases_label), Timed(f"bare page, {rows} rows (reference)")),
            (Timed(f"case page, {items} timeline entries"), Timed(f"bare page, {items} entries (reference)")),
        ]
        targets: list[tuple[Timed, Fetch]] = [
            (pairs[0][1], lambda: bare_tab.get("/cases")),
            (pairs[0][0], lambda: tab.get("/cases")),
            (pairs[1][1], lambda: bare_tab.get("/case")),
            (pairs[1][0], lambda: tab.get(f"/cases/{reference}")),
        ]
        # what the list's use case costs alone: the caseload query over all the caseworker's cases
        principal = verify_token(AuthSettings(), bearer)
        alone = Timed('"Mine sager"\'s use case alone (my_cases)')

        async def list_alone() -> tuple[int, bytes]:
            async with unit_of_work(app.state.sessions) as session:
                days = app.state.consent_erasure_days
                await my_cases(session, principal, ListAsked(), today=today_in_copenhagen(), consent_erasure_days=days)
            return 200, b""

        targets.insert(2, (alone, list_alone))
        print(f"[bench] {requests} requests of each page ...", file=sys.stderr, flush=True)
        load_before = os.getloadavg()[0]
        await measure(targets, requests)
        load_after = os.getloadavg()[0]
        if save is not None:
            asked = {"cases": (tab, "/cases"), "case": (tab, f"/cases/{reference}")}
            asked |= {"bare-cases": (bare_tab, "/cases"), "bare-case": (bare_tab, "/case")}
            pages = {name: (await tab_of.get(path))[1] for name, (tab_of, path) in asked.items()}
            await asyncio.to_thread(save_pages, save, pages)
        tab.close()
        bare_tab.close()
    finally:
        for uvicorn_server, task in servers:
            uvicorn_server.should_exit = True
            await task
        if servers:
            await app.state.sessions.kw["bind"].dispose()
        server.stop()
    shutil.rmtree(folder, ignore_errors=True)
    print(f"\nmachine: {machine()}")
    print(
        f"date: {started:%Y-%m-%d %H:%M %Z}; load average (1 min): {load_before:.2f} before the timing, "
        f"{load_after:.2f} after; tables {'analysed' if analyze else 'NOT analysed'} after the fill"
    )
    print(
        f"{requests} requests of each page, one at a time on one keep-alive connection, after {WARM_UP_ROUNDS} "
        f"untimed rounds; intake and the bare app served by uvicorn in one process; page size {PAGE_SIZE}\n"
    )
    print("\n".join(report(pairs, [alone])))
    for page, bare in pairs:
        median = statistics.median(page.latencies_ms) - statistics.median(bare.latencies_ms)
        print(f"\n  {page.label}: {median:.1f} ms more than its bare render at the median")


if __name__ == "__main__":
    arguments = parse_args()
    asyncio.run(
        main(
            arguments.cases,
            arguments.entries,
            arguments.requests,
            analyze=arguments.analyze,
            save=arguments.save_pages,
        )
    )

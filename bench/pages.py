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
import random
import re
import shutil
import statistics
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any
from uuid import UUID

import asyncpg
import httpx
import uvicorn
from fastapi import FastAPI
from fastapi.responses import HTMLResponse
from jinja2 import DictLoader, Environment, select_autoescape

from bench.intake import machine, parse_head, percentile
from deploy.ports import LOCALHOST, free_port
from deploy.postgres import PostgresServer, ensure_database
from deploy.stack import ROOT
from deploy.synthetic import referral_body, synthetic_citizen
from services.enrolment.seed import COURSES, PLUS, PROGRAMMES, SUBPROJECTS
from services.intake.handlers import handlers
from services.intake.main import create_app
from services.intake.pages.domain import ListAsked
from services.intake.pages.service import PAGE_SIZE, my_cases
from services.intake.settings import IntakeSettings
from shared import contracts, fund_rules
from shared.auth import issue_token, verify_token
from shared.clock import today_in_copenhagen
from shared.consumer import Consumer
from shared.contracts import REGISTRY, AboutParticipant, to_event
from shared.db import asyncpg_dsn, unit_of_work
from shared.envelope import CloudEvent
from shared.logging import configure_logging
from shared.migrate import upgrade
from shared.registry import Contract
from shared.relay import OutboxRelay
from shared.settings import AuthSettings

SEED = 2026
MUNICIPALITY = "751"
SUBPROJECT = "plus-aarhus"
COURSE = "plus-aarhus-2026"
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


# --- the reference: a bare page of the same size -------------------------------------------------------------------
_BASE = """<!doctype html>
<html lang="da"><head><meta charset="utf-8"><title>{{ title }} &ndash; Rummelig</title>
<link rel="stylesheet" href="/static/rummelig.css"></head>
<body><header class="site"><a class="brand" href="/cases">Rummelig</a>
<nav><a href="/cases">Mine sager</a> <a href="/cases?lang=en" lang="en">English</a></nav>
<form class="sign-out" method="post" action="/sign-out"><input type="hidden" name="csrf_token" value="{{ csrf }}">
<span>Logget ind som {{ email }}</span><button type="submit">Log ud</button></form></header>
<main id="main">{% block main %}{% endblock %}
{% if fields %}<form class="steps" method="post" action="/case">
<input type="hidden" name="csrf_token" value="{{ csrf }}">
{% for n in range(fields) %}{% set id = "f%04d" | format(n) %}<div class="field"><label for="{{ id }}">Felt</label>
<input id="{{ id }}" name="{{ id }}" type="text" value="" autocomplete="off"></div>
{% endfor %}<button type="submit">Gem</button></form>{% endif %}</main></body></html>"""
# The list's filters and search, as the real page has them above its table (most of its bytes besides the rows).
_CASES = """{% extends "base.html" %}{% block main %}<h1>Mine sager</h1>
<form class="filters" method="get" action="/cases"><div class="field"><label for="status">Status</label>
<select id="status" name="status"><option value="">Alle</option>{% for value, words in statuses %}
<option value="{{ value }}">{{ words }}</option>{% endfor %}</select></div>
<div class="field"><label for="due">Frist</label><select id="due" name="due"><option value="">Alle</option>
<option value="due">Forfalder inden 14 dage</option>
<option value="overdue">Overskredet</option></select></div>
<div class="field"><label for="case_reference">Sagsnummer</label>
<input id="case_reference" name="case_reference" type="search" value="" autocomplete="off"></div>
<button type="submit">Vis</button></form>
<form class="cpr-search" method="post" action="/cases/search"><input type="hidden" name="csrf_token" value="{{ csrf }}">
<div class="field"><label for="cpr">Søg på CPR-nummer</label><p class="hint" id="cpr-hint">DDMMÅÅ-XXXX. Søgningen bliver
logget.</p><input id="cpr" name="cpr" type="text" inputmode="numeric" autocomplete="off" spellcheck="false"
aria-describedby="cpr-hint"></div><button type="submit">Søg</button></form>
<p class="count">Sager i alt: {{ total }}</p>
<table class="cases"><caption>Mine sager</caption><thead><tr><th scope="col">Sagsnummer</th><th scope="col">Status</th>
<th scope="col">Delprojekt</th><th scope="col">Forløb</th><th scope="col">Næste frist</th></tr></thead><tbody>
{% for row in rows %}
    <tr>
      <th scope="row"><a href="/cases/{{ row.reference | urlencode }}">{{ row.reference }}</a></th>
      <td>{{ row.status }}</td>
      <td>{{ row.subproject }}</td>
      <td>{{ row.course }}</td>
      <td>
        {{ row.due }}
        <strong class="overdue">(overskredet)</strong>
      </td>
    </tr>
{% endfor %}</tbody></table>
<nav class="paging" aria-label="Sider"><p>Side 1 af {{ pages }}</p>
<a href="/cases?page=2" rel="next">Næste side</a></nav>
{% endblock %}"""
_CASE = """{% extends "base.html" %}{% block main %}<h1>Sag {{ reference }}</h1>
<h2>Personoplysninger</h2><dl class="facts">{% for name, value in facts %}<dt>{{ name }}</dt><dd>{{ value }}</dd>
{% endfor %}</dl><h2>Forløb</h2><ol class="timeline">
{% for entry in entries %}
  <li><time datetime="{{ entry.at }}">{{ entry.day }}</time>
    {{ entry.line }}</li>
{% endfor %}</ol>{% endblock %}"""
BARE_TEMPLATES = Environment(
    loader=DictLoader({"base.html": _BASE, "cases.html": _CASES, "case.html": _CASE}), autoescape=select_autoescape()
)
_STATUSES = (
    ("referred", "Henvist"),
    ("waiting", "På venteliste"),
    ("enrolled", "Optaget"),
    ("started", "Startet"),
    ("completed", "Gennemført"),
    ("dropped-out", "Stoppet før tid"),
    ("withdrawn", "Udmeldt"),
)
_LINES = (
    "Optaget på forløb plus-aarhus-2026 fra 3. februar 2025",
    "Startede på forløb plus-aarhus-2026 10. februar 2025",
    "Opfølgning på situationen ved afslutning skal ske senest 28. juni 2025",
    "Påmindelse nr. 1 sendt om situationen ved afslutning",
    "Situationen ved afslutning registreret: ordinær beskæftigelse",
)


def bare_cases_context(rows: int, total: int) -> dict[str, Any]:
    """What the bare "Mine sager" shows: rows of strings like the real page's."""
    listed = [
        {
            "reference": f"RUM-{n:06d}",
            "status": "Startet",
            "subproject": SUBPROJECT,
            "course": COURSE,
            "due": "14. december 2026",
        }
        for n in range(1, rows + 1)
    ]
    return {
        "title": "Mine sager",
        "csrf": "x" * 43,
        "email": "caseworker@example.dk",
        "statuses": _STATUSES,
        "rows": listed,
        "total": total,
        "pages": -(-total // max(rows, 1)),
    }


def bare_case_context(entries: int) -> dict[str, Any]:
    """What the bare case page shows: the personal data's eleven facts and entries like the timeline's."""
    facts = [(f"Felt {n}", "Vestergade 12, 8000 Aarhus C") for n in range(11)]
    listed = [
        {"at": "2025-02-03T09:15:00.123456+00:00", "day": "3. februar 2025", "line": _LINES[n % len(_LINES)]}
        for n in range(entries)
    ]
    return {
        "title": "Sag",
        "csrf": "x" * 43,
        "email": "caseworker@example.dk",
        "reference": "RUM-000001",
        "facts": facts,
        "entries": listed,
    }


def sized(template: str, context: dict[str, Any], target_bytes: int) -> dict[str, Any]:
    """The context with as many form fields as bring the bare page nearest the real page's size."""
    # the real pages hold forms (the case's steps, filters, search) besides their rows: the bare one gets as many bytes
    page = BARE_TEMPLATES.get_template(template)

    def size(fields: int) -> int:
        return len(page.render(**(context | {"fields": fields})).encode())

    if target_bytes <= size(0):
        return context | {"fields": 0}
    one, per_field = size(1), size(2) - size(1)
    fields = min((0, max(1, round((target_bytes - one) / per_field) + 1)), key=lambda n: abs(size(n) - target_bytes))
    return context | {"fields": fields}


def create_bare_app(cases: dict[str, Any], case: dict[str, Any]) -> FastAPI:
    """Two GET routes, each rendering its template from its context on every request: no database, no session."""
    app = FastAPI(docs_url=None, redoc_url=None, openapi_url=None)
    cases_template, case_template = BARE_TEMPLATES.get_template("cases.html"), BARE_TEMPLATES.get_template("case.html")

    @app.get("/cases")
    async def bare_cases() -> HTMLResponse:
        """The bare list."""
        return HTMLResponse(cases_template.render(**cases))

    @app.get("/case")
    async def bare_case() -> HTMLResponse:
        """The bare case."""
        return HTMLResponse(case_template.render(**case))

    return app


# --- the fill: intake's own route and consumer ---------------------------------------------------------------------
class ToConsumer:
    """A publisher for shared.relay.OutboxRelay that hands each record to intake's consumer instead of Kafka."""

    def __init__(self, consumer: Consumer, app: FastAPI) -> None:
        self.consumer = consumer
        self.app = app

    async def publish(
        self, message: bytes, topic: str, *, key: bytes, headers: dict[str, str], no_confirm: bool
    ) -> Awaitable[object]:
        """Apply the record where intake subscribes to its topic (as Kafka would deliver it back)."""
        if topic in self.consumer.topics:
            await self.consumer.apply(self.app.state.sessions, CloudEvent.from_kafka(headers, message), topic=topic)
        return asyncio.sleep(0)


@dataclass
class Intake:
    """Intake's app, its consumer and its outbox relay, for delivering facts as Kafka would."""

    app: FastAPI
    consumer: Consumer
    relay: OutboxRelay
    dsn: str

    async def deliver(self, fact: Contract) -> None:
        """A fact from another service, applied once by intake's consumer."""
        event = to_event(fact, source="bench")
        wire = REGISTRY.current(event.type)
        topic = REGISTRY.topic_of(wire.model, among=next(t for t in wire.topics if t in self.consumer.topics))
        if not await self.consumer.apply(self.app.state.sessions, event, topic=topic):
            raise RuntimeError(f"intake's consumer skipped {event.type}")

    async def relay_outbox(self) -> None:
        """Everything intake has staged in its outbox, delivered back to its own consumer."""
        conn = await asyncpg.connect(self.dsn)
        try:
            while await self.relay.publish_batch(conn):
                pass
        finally:
            await conn.close()


def catalogue() -> list[Contract]:
    """The seed's running programme, its Aarhus sub-project and course, as enrolment publishes them."""
    programme = PROGRAMMES[PLUS]
    course = COURSES[COURSE]
    return [
        contracts.ProgrammePublished(
            programme_id=PLUS,
            settings=contracts.ProgrammeSettings.model_validate(programme.model_dump()),
            **programme.model_dump(include={"title", "operator", "region", "starts_on", "ends_on", "fund"}),
        ),
        contracts.SubprojectPublished(
            subproject_id=SUBPROJECT, **SUBPROJECTS[SUBPROJECT].model_dump(exclude={"provider"})
        ),
        contracts.CoursePublished(course_id=COURSE, programme_id=PLUS, **course.model_dump()),
    ]


def short_history(pid: UUID, referred: date, today: date, rng: random.Random) -> list[AboutParticipant]:
    """A case's facts after its referral, drawn from a caseload's mix (a fifth are waiting for their first step)."""
    stage = rng.choices(
        ["referred", "waiting", "enrolled", "withdrawn", "started", "completed", "dropped-out"],
        weights=[15, 5, 15, 5, 30, 20, 10],
    )[0]
    enrolled = min(referred + timedelta(days=rng.randrange(5, 20)), today)
    started = min(enrolled + timedelta(days=rng.randrange(3, 14)), today)
    left = min(started + timedelta(days=rng.randrange(20, 120)), today)
    placed = {"programme_id": PLUS, "subproject_id": SUBPROJECT, "course_id": COURSE}
    facts: list[AboutParticipant] = []
    if stage == "waiting":
        waiting = {"waitlisted_on": enrolled, "position": rng.randrange(1, 9), "re_entry": False}
        return [contracts.EnrolmentWaitlisted(participant_id=pid, **placed, **waiting)]
    if stage != "referred":
        facts.append(contracts.EnrolmentConfirmed(participant_id=pid, enrolled_on=enrolled, re_entry=False, **placed))
    if stage == "withdrawn":
        facts.append(
            contracts.ParticipationWithdrawn(participant_id=pid, course_id=COURSE, withdrawn_on=started, reason="moved")
        )
    if stage in ("started", "completed", "dropped-out"):
        facts.append(contracts.ParticipationStarted(participant_id=pid, course_id=COURSE, started_on=started))
    if stage == "completed":
        facts.append(contracts.ParticipationCompleted(participant_id=pid, course_id=COURSE, left_on=left))
    if stage == "dropped-out":
        facts.append(
            contracts.ParticipationDroppedOut(participant_id=pid, course_id=COURSE, left_on=left, reason="illness")
        )
    if stage in ("completed", "dropped-out"):  # follow-up's check, open: the list's next deadline
        facts.append(leaving_check(pid, left, exit_number=1))
    return facts


def leaving_check(pid: UUID, left: date, *, exit_number: int) -> contracts.CheckScheduled:
    """Follow-up's check of the situation upon leaving, due two weeks after the exit."""
    return contracts.CheckScheduled(
        participant_id=pid,
        check="leaving-outcome",
        exit_number=exit_number,
        left_on=left,
        due_on=left + timedelta(days=14),
        counts_until=fund_rules.upon_leaving_ends(left),
    )


def long_history(pid: UUID, first: date) -> Iterator[AboutParticipant]:
    """A case that comes back again and again: each exit's enrolment, start, leaving, follow-up and re-entry."""
    day, exit_number = first, 0
    placed = {"programme_id": PLUS, "subproject_id": SUBPROJECT, "course_id": COURSE}
    while True:
        exit_number += 1
        again = exit_number > 1
        on = {"participant_id": pid}
        yield contracts.EnrolmentWaitlisted(**on, **placed, waitlisted_on=day, position=3, re_entry=again)
        yield contracts.EnrolmentConfirmed(**on, **placed, enrolled_on=day + timedelta(days=9), re_entry=again)
        started = day + timedelta(days=14)
        if (
            again
        ):  # a re-entry's start entered a day early and corrected (correcting the first would judge the entry anew)
            yield contracts.ParticipationStarted(**on, course_id=COURSE, started_on=started - timedelta(days=1))
            yield contracts.StartCorrected(
                **on,
                course_id=COURSE,
                started_on=started,
                previous_started_on=started - timedelta(days=1),
                correction_reason="entered-wrong",
            )
        else:
            yield contracts.ParticipationStarted(**on, course_id=COURSE, started_on=started)
        left = started + timedelta(days=45)
        if exit_number % 2:
            yield contracts.ParticipationDroppedOut(**on, course_id=COURSE, left_on=left, reason="illness")
        else:
            yield contracts.ParticipationCompleted(**on, course_id=COURSE, left_on=left)
        check = leaving_check(pid, left, exit_number=exit_number)
        yield check
        yield contracts.ReminderSent(**on, check="leaving-outcome", due_on=check.due_on, reminder_number=1)
        observed = left + timedelta(days=16)
        yield contracts.LeavingOutcomeRecorded(
            **on,
            situation="job-seeking",
            employed=False,
            qualification_gained=None,
            observed_on=observed,
            left_on=left,
            exit_number=exit_number,
            counts=True,
            late=False,
            supersedes=None,
        )
        yield contracts.CheckClosed(
            **on, check="leaving-outcome", exit_number=exit_number, left_on=left, reason="recorded"
        )
        six = fund_rules.six_months_after(left)
        yield contracts.CheckScheduled(
            **on,
            check="six-month",
            exit_number=exit_number,
            left_on=left,
            due_on=six,
            counts_until=six + timedelta(weeks=8),
        )
        day = observed + timedelta(days=10)  # back before the six-month result: the re-entry closes the check
        yield contracts.CheckClosed(
            **on, check="six-month", exit_number=exit_number, left_on=left, reason="re-enrolled"
        )


async def fill(intake: Intake, client: httpx.AsyncClient, *, cases: int, entries: int) -> str:
    """Refer the caseworker's cases through POST /referrals and give them histories; the long case's reference."""
    rng = random.Random(SEED)
    today = today_in_copenhagen()
    for fact in catalogue():
        await intake.deliver(fact)
    seen: set[str] = set()
    referred: list[tuple[UUID, str, date]] = []
    while len(referred) < cases:
        citizen = synthetic_citizen(rng)
        if citizen.cpr in seen:
            continue
        seen.add(citizen.cpr)
        first_name = citizen.name.split()[0].lower().replace("ø", "oe")
        contact = {"phone": f"+45 2{rng.randrange(10**6, 10**7)}", "email": f"{first_name}@example.dk"}
        contact["address"] = f"Vestergade {rng.randrange(1, 99)}, 8000 Aarhus C"
        # the long case first, referred long enough ago for its history (a cycle of about 12 facts is 85 days, so
        # 100 entries end before today); the others within the last year
        days_ago = 1000 if not referred else rng.randrange(1, 365)
        on = today - timedelta(days=days_ago)
        body = referral_body(citizen, subproject_id=SUBPROJECT, referred_on=on.isoformat(), contact=contact)
        answer = await client.post("/referrals", json=body)
        if answer.status_code != 201:
            raise RuntimeError(f"referral refused: {answer.status_code} {answer.text}")
        created = answer.json()
        referred.append((UUID(created["participant_id"]), created["case_reference"], on))
    await intake.relay_outbox()  # referral.registered: each case's first timeline entry
    for pid, _, on in referred[1:]:
        for fact in short_history(pid, on, today, rng):
            await intake.deliver(fact)
    pid, reference, on = referred[0]
    on_timeline = 1  # referral.registered
    for fact in long_history(pid, on + timedelta(days=7)):
        first_start = isinstance(fact, contracts.ParticipationStarted) and on_timeline == 3
        if on_timeline + (2 if first_start else 1) > entries:
            break
        await intake.deliver(fact)
        on_timeline += 1
        if first_start:  # intake judges the entry and stages participant.entered: one more entry
            await intake.relay_outbox()
            on_timeline += 1
    await intake.relay_outbox()  # the other cases' participant.entered
    return reference


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

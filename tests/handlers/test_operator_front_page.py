"""The operator's front page (reporting's `/`) in-process on a migrated PostgreSQL without Kafka: the programmes the
operator operates and no other, each with the dashboard's own figures against the targets in force and a link to its
dashboard that keeps the token; Danish by default, English on request; refused as the dashboard refuses (the browser
test is tests/e2e/test_report_page.py)."""

from __future__ import annotations

import base64
import hashlib
import re
from collections.abc import AsyncIterator, Callable
from datetime import date
from html import unescape
from typing import Any
from uuid import uuid4

import httpx
import pytest
import pytest_asyncio
from fastapi import FastAPI

from services.reporting.main import create_app as reporting_app
from services.reporting.settings import ReportingSettings
from shared.auth import Role, issue_token
from shared.contracts import TargetPublished, TargetStep
from shared.db import SessionMaker
from shared.settings import AuthSettings
from tests.fixtures.clients import bearer_client
from tests.fixtures.cohort import Cohort
from tests.fixtures.database import Databases
from tests.fixtures.events import programme

SECTION = re.compile(r'<section class="programme" [^>]*data-programme="([^"]+)"')
DASHBOARD_LINK = re.compile(r'<a class="open" href="([^"]+)"')


@pytest_asyncio.fixture(scope="module", loop_scope="session")
async def reporting(databases: Databases) -> AsyncIterator[FastAPI]:
    app = reporting_app(ReportingSettings(database_url=databases.url("reporting"), min_cell=5))
    yield app
    await app.state.sessions.kw["bind"].dispose()


def _token(programmes: list[str], role: Role = "operator") -> str:
    return issue_token(
        AuthSettings(),
        subject="front-op",
        email="op@example.dk",
        roles=[role],
        programmes=programmes if role == "operator" else None,
        municipality="751" if role == "caseworker" else None,
    )


def _client(app: FastAPI, programmes: list[str]) -> httpx.AsyncClient:
    return bearer_client(app, _token(programmes))


def _anonymous(app: FastAPI) -> httpx.AsyncClient:
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://test")


def _part(page: str, programme_id: str) -> str:
    """The page's section of one programme."""
    start = page.index(f'data-programme="{programme_id}"')
    return page[start : page.index("</section>", start)]


def _row(part: str, figure: str) -> list[str]:
    """The texts of a figure's row: its name, count / target, share of the target."""
    start = part.index(f'<tr data-figure="{figure}">')
    row = part[start : part.index("</tr>", start)]
    cells = re.findall(r"<t[hd][^>]*>(.*?)</t[hd]>", row, re.DOTALL)
    return [unescape(re.sub(r"<[^>]+>", "", c)).strip() for c in cells]


class Programmes:
    """Three programmes of this test alone: two the operator operates (titled so that the second sorts first), and
    one they do not."""

    def __init__(self, sessions: SessionMaker) -> None:
        tag = uuid4().hex[:8]
        self.plus = Cohort(sessions, f"front-plus-{tag}")
        self.small = Cohort(sessions, f"front-small-{tag}")
        self.other = Cohort(sessions, f"front-other-{tag}")

    async def publish(self) -> None:
        await self.plus.facts(
            programme(self.plus.programme, title="Veje til job", fund="esf-plus-2021-2027"),
            TargetPublished(
                target_id=f"{self.plus.programme}-participants",
                programme_id=self.plus.programme,
                figure="participants",
                steps=[TargetStep(number=20, effective_on=date(2017, 9, 1))],
            ),
            TargetPublished(
                target_id=f"{self.plus.programme}-employed",
                programme_id=self.plus.programme,
                figure="employed-upon-leaving",
                steps=[TargetStep(number=8, effective_on=date(2017, 9, 1))],
            ),
        )
        await self.small.facts(
            programme(self.small.programme, title="Aarhus-forløbet"),
            TargetPublished(
                target_id=f"{self.small.programme}-participants",
                programme_id=self.small.programme,
                figure="participants",
                steps=[TargetStep(number=40, effective_on=date(2017, 9, 1))],
            ),
        )
        await self.other.facts(programme(self.other.programme, title="Et andet program"))
        for _ in range(7):
            await self.plus.participant()
        await self.small.participant()  # one person: a count the page must not show
        for _ in range(6):
            await self.other.participant()

    @property
    def operated(self) -> list[str]:
        return [self.plus.programme, self.small.programme]


@pytest_asyncio.fixture(loop_scope="session")
async def three(service_sessions: Callable[[str], SessionMaker]) -> Programmes:
    made = Programmes(service_sessions("reporting"))
    await made.publish()
    return made


async def test_the_front_page_lists_the_operators_programmes_by_title_with_their_targets_and_no_other(
    three: Programmes, reporting: FastAPI
) -> None:
    async with _client(reporting, three.operated) as client:
        answer = await client.get("/")
        dashboards = {
            p: (await client.get("/report/figures", params={"programme_id": p})).json() for p in three.operated
        }
    assert answer.status_code == 200, answer.text
    page = answer.text
    assert '<html lang="da">' in page and "<h1>Dine programmer</h1>" in page
    # exactly the operator's programmes, sorted by title: "Aarhus-forløbet" before "Veje til job"
    assert SECTION.findall(page) == [three.small.programme, three.plus.programme]
    assert three.other.programme not in page and "Et andet program" not in page
    plus = _part(page, three.plus.programme)
    assert "Veje til job" in plus and "Socialfonden Plus 2021\u20132027" in plus
    assert "1. september 2017 \u2013 31. december 2020" in plus and "programperioden er slut" in plus
    # the dashboard's own figures: the target against its figure, "n / N" and the share reached
    assert _row(plus, "participants") == ["Deltagere", "7 / 20", "35 %"]
    employed = next(t for t in dashboards[three.plus.programme]["targets"] if t["figure"] == "employed-upon-leaving")
    assert _row(plus, "employed-upon-leaving")[1] == f"{employed['value']} / 8"
    assert _row(plus, "completed") == ["Gennemført", "7", "intet mål"]  # no target: the count alone
    for figure in ("participants", "completed", "employed-six-months-after", "self-supporting"):
        value = next(f["value"] for f in dashboards[three.plus.programme]["figures"] if f["id"] == figure)
        assert _row(plus, figure)[1].split(" / ")[0] == str(value), figure
    # the old five-count table is gone
    assert "Programme results" not in page and "employed_six_months" not in page and "Referred" not in page


async def test_a_hidden_count_stays_hidden_on_the_front_page_as_on_the_dashboard(
    three: Programmes, reporting: FastAPI
) -> None:
    async with _client(reporting, three.operated) as client:
        page = (await client.get("/")).text
        dashboard = (await client.get("/dashboard", params={"programme_id": three.small.programme})).text
        report = (await client.get("/report/figures", params={"programme_id": three.small.programme})).json()
    # one person: "<5", or "x" where the audit hides more; never 1, and no share of the target, no bar
    hidden = next(t["value"] for t in report["targets"] if t["figure"] == "participants")
    assert hidden in ("<5", "x")
    small = _part(page, three.small.programme)
    assert _row(small, "participants") == ["Deltagere", f"{hidden} / 40", "\u2013"]
    assert 'class="fill"' not in small
    assert f"{hidden} / 40" in unescape(dashboard)  # the dashboard shows the very same
    assert "Tal under 5 vises som &lt;5" in page  # said once: every programme here hides below 5


async def test_each_programme_links_to_its_dashboard_keeping_the_token_and_the_language(
    three: Programmes, reporting: FastAPI
) -> None:
    token = _token(three.operated)
    async with _anonymous(reporting) as browser:
        da = await browser.get("/", params={"access_token": token})
        en = await browser.get("/", params={"access_token": token, "lang": "en"})
        assert da.status_code == 200 and en.status_code == 200, da.text
        links = [unescape(href) for href in DASHBOARD_LINK.findall(da.text)]
        assert links == [
            f"/dashboard?programme_id={p}&access_token={token}" for p in (three.small.programme, three.plus.programme)
        ]
        for href in links:  # each opens, with the token the link carries
            opened = await browser.get(href)
            assert opened.status_code == 200 and "Fra henvisning til job" in opened.text, opened.text
        english = [unescape(href) for href in DASHBOARD_LINK.findall(en.text)]
        assert english[0] == f"/dashboard?programme_id={three.small.programme}&lang=en&access_token={token}"
        assert "From referral to employment" in (await browser.get(english[0])).text
    assert f'href="/?access_token={token}&amp;lang=en"' in da.text  # the switch keeps the token too
    assert f'href="/?access_token={token}"' in en.text
    assert '<html lang="en">' in en.text and "<h1>Your programmes</h1>" in en.text
    assert "European Social Fund Plus 2021\u20132027" in en.text and "the programme period has ended" in en.text
    assert _row(_part(en.text, three.plus.programme), "participants") == ["Participants", "7 / 20", "35 %"]


async def test_the_page_says_its_security_headers_and_admits_only_its_own_style(
    three: Programmes, reporting: FastAPI
) -> None:
    async with _client(reporting, three.operated) as client:
        answer = await client.get("/")
    headers = answer.headers
    assert headers["cache-control"] == "no-store" and headers["referrer-policy"] == "no-referrer"
    assert headers["x-content-type-options"] == "nosniff"
    policy = headers["content-security-policy"]
    assert "frame-ancestors 'none'" in policy and "unsafe-inline" not in policy and "script-src" not in policy
    style = re.search(r"<style>(.*?)</style>", answer.text, re.DOTALL)
    assert style is not None
    digest = base64.b64encode(hashlib.sha256(style.group(1).encode()).digest()).decode()
    assert f"style-src 'sha256-{digest}'" in policy
    assert ' style="' not in answer.text and "<script" not in answer.text  # nothing the policy would refuse


async def test_the_front_page_is_the_operators_only(reporting: FastAPI) -> None:
    async with _anonymous(reporting) as nobody:
        assert (await nobody.get("/")).status_code == 401
        assert (await nobody.get("/", params={"access_token": "not-a-token"})).status_code == 401
    for role in ("caseworker", "administrator"):
        async with bearer_client(reporting, _token([], role=role)) as client:
            assert (await client.get("/")).status_code == 403, role


@pytest.mark.parametrize(
    "params",
    [
        {"lang": "fr"},
        {"lang": "da" * 600},  # oversized
        {"lang": "<script>"},
        {"lang": ""},
        {"unknown": "1"},
        {"half_year": "2026-08"},  # the dashboard's filter: not this page's
    ],
)
async def test_a_wrong_query_is_refused_as_the_dashboard_refuses_it(
    three: Programmes, reporting: FastAPI, params: dict[str, Any]
) -> None:
    async with _client(reporting, three.operated) as client:
        front = await client.get("/", params=params)
        dashboard = await client.get("/dashboard", params={"programme_id": three.plus.programme} | params)
    assert front.status_code == 422, front.text
    assert front.headers["content-type"] == "application/problem+json"
    if "half_year" not in params:  # a filter the dashboard knows is no error there
        assert dashboard.status_code == 422 and dashboard.headers["content-type"] == front.headers["content-type"]

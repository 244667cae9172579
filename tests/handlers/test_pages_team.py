"""The team lead's pages (issue 19): the municipality's cases by caseworker, moved through the page by the API's own
use case (a result per case in words, one case.reassigned and one audit entry per moved case, the old caseworker's
"Mine sager" without them), once per form; CSRF; a caseworker refused; bad input beside its field, nothing moved. On
a migrated PostgreSQL without Kafka.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import AsyncIterator
from dataclasses import dataclass
from uuid import UUID, uuid4

import httpx
import pytest
import pytest_asyncio
from fastapi import FastAPI

from services.intake.main import create_app as intake_app
from shared.auth import Role, issue_token
from shared.contracts import REGISTRY, CaseReassigned
from tests.fixtures.database import Databases
from tests.fixtures.handlers import rows
from tests.fixtures.pages import AUTH, Office, api_client, browser, intake_settings, open_office, sign_in

MUNICIPALITIES = itertools.count(401)  # 4xx: no other module's (caseload counts up from 901)
MOVED = REGISTRY.wire(CaseReassigned).name
_HIDDEN = re.compile(r'<input type="hidden" name="([a-z_]+)" value="([^"]*)">')
_RESULT = re.compile(r'<tr><th scope="row">(RUM-[0-9]+)</th><td>([^<]+)</td></tr>')


@pytest_asyncio.fixture(scope="module", loop_scope="session")
async def intake(databases: Databases) -> AsyncIterator[FastAPI]:
    """Intake built by its composition root on the test database; no broker is started."""
    app = intake_app(intake_settings(databases.url("intake")))
    yield app
    await app.state.sessions.kw["bind"].dispose()


@dataclass(frozen=True)
class Staff:
    """A member of staff: token subject, work email, role, and the token."""

    subject: str
    email: str
    token: str


@dataclass
class Team:
    """One test's municipality: two caseworkers (a and b) and their team lead."""

    office: Office
    a: Staff
    b: Staff
    lead: Staff

    async def refer(self, n: int, who: Staff | None = None) -> list[tuple[UUID, str]]:
        """Refer n synthetic citizens as a caseworker (a by default): participant id and case reference each."""
        return [(r.id, r.case_reference) for r in [await self.office.refer((who or self.a).token) for _ in range(n)]]

    async def holders(self) -> dict[UUID, str]:
        """Whose each case of the municipality is."""
        found = await rows(
            self.office.app.state.sessions,
            "SELECT id, caseworker_subject FROM participant WHERE municipality = :m",
            m=self.office.municipality,
        )
        return {r["id"]: r["caseworker_subject"] for r in found}

    async def moves(self) -> dict[str, int]:
        """How many case.reassigned are in the outbox and reassign entries in the audit log, per participant."""
        ids = list(await self.holders())
        staged = await rows(
            self.office.app.state.sessions,
            "SELECT key FROM outbox_message WHERE headers->>'ce_type' = :t AND key = ANY(:k)",
            t=MOVED,
            k=[str(i) for i in ids],
        )
        audited = await rows(
            self.office.app.state.sessions,
            "SELECT participant_id, actor FROM audit_entry WHERE action = 'reassign' AND participant_id = ANY(:p)",
            p=ids,
        )
        counts: dict[str, int] = {}
        for key in [f"event {r['key']}" for r in staged] + [
            f"audit {r['participant_id']} {r['actor']}" for r in audited
        ]:
            counts[key] = counts.get(key, 0) + 1
        return counts


def _staff(kind: str, role: Role, municipality: str) -> Staff:
    subject = f"{kind}-{uuid4().hex[:8]}"
    email = f"{subject}@jobcenter.example.dk"
    bearer = issue_token(AUTH, subject=subject, email=email, roles=[role], municipality=municipality)
    return Staff(subject, email, bearer)


@pytest_asyncio.fixture(loop_scope="session")
async def team(intake: FastAPI) -> Team:
    """A municipality of the test's own with its programme, two caseworkers and a team lead."""
    office = await open_office(intake, str(next(MUNICIPALITIES)))
    m = office.municipality
    return Team(
        office, _staff("cw-a", "caseworker", m), _staff("cw-b", "caseworker", m), _staff("lead", "team-lead", m)
    )


def _form_of(page: httpx.Response, subject: str) -> tuple[dict[str, str], list[str]]:
    """The hidden fields of the form that moves a caseworker's cases, and the participant ids it offers to tick."""
    assert page.status_code == 200, page.text
    for chunk in page.text.split('<form id="cw')[1:]:
        form = chunk.split("</form>", 1)[0]
        hidden = dict(_HIDDEN.findall(form))
        if hidden["from_caseworker"] == subject:
            return hidden, re.findall(r'name="participant_ids" value="([^"]+)"', form)
    raise AssertionError(f"no form moves {subject}'s cases")


async def _total_in_mine_sager(intake: FastAPI, who: Staff) -> tuple[int, list[str]]:
    """How many cases the caseworker's own "Mine sager" counts, and the case references of its first page."""
    async with browser(intake) as client:
        await sign_in(client, who.token)
        page = await client.get("/cases")
    assert page.status_code == 200, page.text
    total = re.search(r"Sager i alt: ([0-9]+)", page.text)
    assert total is not None
    return int(total.group(1)), re.findall(r'href="/cases/(RUM-[0-9]+)"', page.text)


# --- moving cases -----------------------------------------------------------------------------------------------------
async def test_a_team_lead_moves_fifty_cases_through_the_page_each_with_its_result(intake: FastAPI, team: Team) -> None:
    cases = await team.refer(50)
    [(b_case, b_ref)] = await team.refer(1, team.b)  # b holds a case, so the page offers b
    async with browser(intake) as client:
        await sign_in(client, team.lead.token)
        page = await client.get("/team")
        hidden, offered = _form_of(page, team.a.subject)
        assert set(offered) == {str(pid) for pid, _ in cases}
        assert f'<option value="{team.b.subject}">' in _form_of_html(page, team.a.subject)
        answer = await client.post(
            "/team/reassign",
            data=hidden
            | {"participant_ids": offered, "to": team.b.subject, "reason": "caseworker-left", "move": "chosen"},
        )
        mine = await client.get("/cases")  # the team lead's own "Mine sager" stays as it was

    assert answer.status_code == 200, answer.text
    assert f"50 sager flyttet til {team.b.email}" in answer.text
    assert "Årsag: Sagsbehandleren er stoppet" in answer.text
    assert sorted(_RESULT.findall(answer.text)) == sorted((ref, "Flyttet") for _, ref in cases)
    holders = await team.holders()
    assert {holders[pid] for pid, _ in cases} == {team.b.subject} and holders[b_case] == team.b.subject
    a_total, a_listed = await _total_in_mine_sager(intake, team.a)
    b_total, b_listed = await _total_in_mine_sager(intake, team.b)
    assert (a_total, a_listed) == (0, [])
    assert b_total == 51 and len(b_listed) == 25 and set(b_listed) <= {ref for _, ref in cases} | {b_ref}
    moves = await team.moves()
    assert {f"event {pid}": 1 for pid, _ in cases}.items() <= moves.items()
    assert {f"audit {pid} {team.lead.subject}": 1 for pid, _ in cases}.items() <= moves.items()
    assert len(moves) == 100  # one event and one audit entry per moved case, nothing for b's own case
    assert mine.status_code == 200 and "<h1>Mine sager</h1>" in mine.text and 'href="/team"' in mine.text


def _form_of_html(page: httpx.Response, subject: str) -> str:
    for chunk in page.text.split('<form id="cw')[1:]:
        form = chunk.split("</form>", 1)[0]
        if f'name="from_caseworker" value="{subject}"' in form:
            return form
    raise AssertionError(f"no form moves {subject}'s cases")


async def test_a_whole_caseload_moves_to_a_new_colleague_and_an_erased_case_is_reported_in_words(
    intake: FastAPI, team: Team
) -> None:
    cases = await team.refer(3)
    admin = issue_token(AUTH, subject="admin", email="admin@example.dk", roles=["administrator"])
    async with api_client(intake, admin) as api:
        erased = await api.post(f"/participants/{cases[1][0]}/erasure", json={"reason": "request"})
        assert erased.status_code == 200, erased.text
    newcomer = f"new-{uuid4().hex[:8]}"
    async with browser(intake) as client:
        await sign_in(client, team.lead.token)
        page = await client.get("/team")
        hidden, _ = _form_of(page, team.a.subject)
        # the choice as the page offers it (the language switch's variable once took its value)
        another = re.search(r'<option value="([^"]*)"[^>]*>En anden kollega', page.text)
        assert another is not None and another.group(1) == "other", page.text
        fields = {"to": another.group(1), "to_subject": newcomer, "to_email": f"{newcomer}@jobcenter.example.dk"}
        answer = await client.post("/team/reassign", data=hidden | fields | {"reason": "workload", "move": "all"})
        english = await client.get("/team?lang=en")

    assert answer.status_code == 200, answer.text
    assert dict(_RESULT.findall(answer.text)) == {
        cases[0][1]: "Flyttet",
        cases[1][1]: "Personoplysningerne er slettet: ikke flyttet",
        cases[2][1]: "Flyttet",
    }
    holders = await team.holders()
    assert [holders[pid] for pid, _ in cases] == [newcomer, team.a.subject, newcomer]
    assert english.status_code == 200 and "Move the whole caseload" in english.text  # every word in English too


async def test_the_same_form_sent_twice_moves_once_and_answers_the_same(intake: FastAPI, team: Team) -> None:
    cases = await team.refer(3)
    async with browser(intake) as client:
        await sign_in(client, team.lead.token)
        hidden, _ = _form_of(await client.get("/team"), team.a.subject)
        fields = {"to": "other", "to_subject": team.b.subject, "to_email": team.b.email, "reason": "workload"}
        chosen = {"participant_ids": [str(cases[0][0]), str(cases[2][0])], "move": "chosen"}
        first = await client.post("/team/reassign", data=hidden | fields | chosen)
        again = await client.post("/team/reassign", data=hidden | fields | chosen)  # a double click

    assert first.status_code == again.status_code == 200, again.text
    assert (
        _RESULT.findall(first.text)
        == _RESULT.findall(again.text)
        == [
            (cases[0][1], "Flyttet"),
            (cases[2][1], "Flyttet"),
        ]
    )
    holders = await team.holders()
    assert [holders[pid] for pid, _ in cases] == [team.b.subject, team.a.subject, team.b.subject]
    assert sorted((await team.moves()).values()) == [1, 1, 1, 1]  # two events, two audit entries


# --- refused ----------------------------------------------------------------------------------------------------------
async def test_a_move_without_the_csrf_token_is_refused_and_nothing_moves(intake: FastAPI, team: Team) -> None:
    cases = await team.refer(2)
    async with browser(intake) as client:
        await sign_in(client, team.lead.token)
        hidden, offered = _form_of(await client.get("/team"), team.a.subject)
        fields = {"participant_ids": offered, "to": "other", "to_subject": team.b.subject, "to_email": team.b.email}
        fields |= {"reason": "workload", "move": "all"}
        without = {k: v for k, v in hidden.items() if k != "csrf_token"} | fields
        missing = await client.post("/team/reassign", data=without)
        wrong = await client.post("/team/reassign", data=without | {"csrf_token": "x" * 43})

    for answer in (missing, wrong):
        assert answer.status_code == 403 and "<h1>Formularen kunne ikke sendes</h1>" in answer.text
    assert set((await team.holders()).values()) == {team.a.subject} and len(cases) == 2
    assert await team.moves() == {}


async def test_a_caseworker_gets_no_team_page_and_moves_nothing(intake: FastAPI, team: Team) -> None:
    cases = await team.refer(2)
    async with browser(intake) as lead:
        await sign_in(lead, team.lead.token)
        hidden, offered = _form_of(await lead.get("/team"), team.a.subject)
    async with browser(intake) as client:
        await sign_in(client, team.a.token)
        page = await client.get("/team")
        mine = await client.get("/cases")
        csrf = dict(_HIDDEN.findall(mine.text))["csrf_token"]
        fields = {"participant_ids": offered, "to": "other", "to_subject": team.a.subject, "to_email": team.a.email}
        posted = await client.post(
            "/team/reassign", data=hidden | fields | {"csrf_token": csrf, "reason": "workload", "move": "chosen"}
        )

    for answer in (page, posted):
        assert answer.status_code == 403 and "<h1>Ingen adgang</h1>" in answer.text
        assert cases[0][1] not in answer.text
    assert 'href="/team"' not in mine.text  # no link to a page the caseworker may not open
    assert set((await team.holders()).values()) == {team.a.subject}
    assert await team.moves() == {}


@pytest.mark.parametrize(
    ("fields", "field", "words"),
    [
        ({"to": "other", "to_subject": "bo", "to_email": "bo@example.dk", "reason": ""}, "reason", "Vælg en mulighed"),
        (
            {"to": "other", "to_subject": "bo hansen", "to_email": "bo@example.dk", "reason": "workload"},
            "to_subject",
            "Skriv brugernavnet uden mellemrum",
        ),
        (
            {"to": "other", "to_subject": "bo", "to_email": "b" * 10_000 + "@example.dk", "reason": "workload"},
            "to_email",
            "Skriv en gyldig arbejdsmail",
        ),
        ({"to": "", "reason": "workload"}, "to", "Vælg en mulighed"),
    ],
    ids=["no-reason", "subject-with-spaces", "email-of-10-kB", "nobody-to-move-to"],
)
async def test_bad_input_is_shown_beside_its_field_and_nothing_moves(
    intake: FastAPI, team: Team, fields: dict[str, str], field: str, words: str
) -> None:
    await team.refer(2)
    async with browser(intake) as client:
        await sign_in(client, team.lead.token)
        page = await client.get("/team")
        hidden, offered = _form_of(page, team.a.subject)
        answer = await client.post(
            "/team/reassign", data=hidden | fields | {"participant_ids": offered, "move": "chosen"}
        )

    assert answer.status_code == 422, answer.text
    form = _form_of_html(answer, team.a.subject)
    prefix = re.search(r'<section class="caseload" aria-labelledby="(cw[0-9]+)-title">', answer.text)
    assert prefix is not None
    field_id = f"{prefix.group(1)}-{field}"
    assert f'<p class="field-error" id="{field_id}-error">{words}' in form  # beside the field
    summary = answer.text.split('class="error-summary"', 1)[1].split("</div>", 1)[0]
    assert f'href="#{field_id}"' in summary  # and in the summary, linking to it
    assert dict(_HIDDEN.findall(form))["idempotency_key"] == hidden["idempotency_key"]  # the key posted is kept
    assert set((await team.holders()).values()) == {team.a.subject}
    assert await team.moves() == {}

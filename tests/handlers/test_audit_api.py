"""Reading the audit log (GET /audit, /audit.csv) and answering an access request
(GET /participants/{id}/access-request), in-process on the migrated intake database without Kafka.

Each test refers participants of its own and reads the log filtered by them, so tests sharing the database never see
each other's entries.
"""

from __future__ import annotations

import base64
import csv
import io
import random
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import timedelta
from typing import Any
from uuid import UUID, uuid4

import httpx
import pytest
import pytest_asyncio
from fastapi import FastAPI

from deploy.synthetic import referral_body, synthetic_citizen
from services.intake.main import create_app as intake_app
from services.intake.settings import IntakeSettings
from shared.auth import ROLES, Role, issue_token
from shared.clock import today_in_copenhagen
from shared.contracts import (
    CheckClosed,
    CheckOverdue,
    EnrolmentConfirmed,
    ParticipationCompleted,
    ParticipationStarted,
    ReminderSent,
)
from shared.problems import PROBLEM_JSON
from shared.settings import AuthSettings
from tests.fixtures.database import Databases
from tests.fixtures.events import check_scheduled, leaving_outcome_recorded
from tests.fixtures.handlers import deliver

KEY = base64.b64encode(bytes(range(32))).decode()
AUTH = AuthSettings()
TODAY = today_in_copenhagen()
READERS: tuple[Role, ...] = ("administrator", "data-protection-officer")


@pytest_asyncio.fixture(scope="module", loop_scope="session")
async def intake(databases: Databases, seeded_catalogue: list[str]) -> AsyncIterator[FastAPI]:
    """Intake built by its composition root on the test database, with the seed catalogue; no broker."""
    app = intake_app(
        IntakeSettings(database_url=databases.url("intake"), data_key=KEY, lookup_key=KEY, command_wait_seconds=0)
    )
    yield app
    await app.state.sessions.kw["bind"].dispose()


def _client(app: FastAPI, role: Role, subject: str | None = None, **headers: str) -> httpx.AsyncClient:
    token = issue_token(
        AUTH,
        subject=subject or f"{role}-{uuid4().hex[:8]}",
        email=f"{role}@example.dk",
        roles=[role],
        municipality="751" if role in ("caseworker", "team-lead") else None,
        subprojects=["plus-aarhus"] if role == "provider-staff" else None,
        programmes=["rummelig-plus"] if role == "operator" else None,
    )
    return httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app),
        base_url="http://test",
        headers={"Authorization": f"Bearer {token}", **headers},
    )


@dataclass
class Case:
    """A participant referred by a caseworker of the test's own, whose data the caseworker has read."""

    id: UUID
    caseworker: str
    cpr: str
    name: str


async def _referred_and_read(intake: FastAPI, *, reads: int = 1, name: str | None = None) -> Case:
    citizen = synthetic_citizen(random.Random(uuid4().int))
    subject = f"cw-audit-{uuid4().hex[:8]}"
    body = referral_body(citizen) | ({"name": name} if name else {})
    async with _client(intake, "caseworker", subject) as caseworker:
        created = await caseworker.post("/referrals", json=body)
        assert created.status_code == 201, created.text
        pid = UUID(created.json()["participant_id"])
        for _ in range(reads):
            assert (await caseworker.get(f"/participants/{pid}")).status_code == 200
    return Case(pid, subject, citizen.cpr, str(body["name"]))


async def _log(app: FastAPI, params: dict[str, Any], role: Role = "data-protection-officer") -> httpx.Response:
    async with _client(app, role) as reader:
        return await reader.get("/audit", params=params)


# --- reading the log -----------------------------------------------------------------------------------------------
@pytest.mark.parametrize("role", READERS)
async def test_the_log_tells_who_read_a_participants_data_newest_first(intake: FastAPI, role: Role) -> None:
    case = await _referred_and_read(intake, reads=2)
    answer = await _log(intake, {"participant_id": str(case.id)}, role)
    assert answer.status_code == 200, answer.text
    items = answer.json()["items"]
    assert [(i["actor"], i["roles"], i["action"]) for i in items] == [
        (case.caseworker, ["caseworker"], "read-personal-data")
    ] * 2
    assert items[0]["id"] > items[1]["id"]
    assert items[0]["prev_hash"] == items[1]["hash"] or items[0]["id"] > items[1]["id"] + 1
    assert answer.json()["next"] is None


async def test_filters_by_user_action_and_period(intake: FastAPI) -> None:
    case = await _referred_and_read(intake)
    async with _client(intake, "caseworker", case.caseworker) as caseworker:
        assert (await caseworker.get(f"/participants/{case.id}/timeline")).status_code == 200
    mine = {"participant_id": str(case.id)}

    async def actions(**params: Any) -> list[str]:
        answer = await _log(intake, mine | params)
        assert answer.status_code == 200, answer.text
        return [i["action"] for i in answer.json()["items"] if i["action"] != "read-audit-log"]  # these reads

    assert await actions() == ["read-timeline", "read-personal-data"]
    assert (await _log(intake, mine | {"action": "read-audit-log"})).json()["items"][0]["detail"] == (
        f"json: participant_id={case.id}; limit=100"
    )
    assert await actions(action="read-timeline") == ["read-timeline"]
    assert await actions(actor=case.caseworker) == ["read-timeline", "read-personal-data"]
    assert await actions(actor="someone-else") == []
    assert await actions(**{"from": TODAY.isoformat(), "to": TODAY.isoformat()}) == [
        "read-timeline",
        "read-personal-data",
    ]
    assert await actions(**{"from": (TODAY + timedelta(days=1)).isoformat()}) == []
    assert await actions(to=(TODAY - timedelta(days=1)).isoformat()) == []


async def test_pages_follow_next_to_the_oldest_entry_without_overlap(intake: FastAPI) -> None:
    case = await _referred_and_read(intake, reads=5)
    seen: list[int] = []
    async with _client(intake, "administrator") as admin:
        url: str | None = f"/audit?participant_id={case.id}&limit=2"
        while url is not None:
            page = (await admin.get(url)).json()
            assert len(page["items"]) <= 2
            seen += [i["id"] for i in page["items"]]
            url = page["next"]
    assert len(seen) == 5
    assert seen == sorted(seen, reverse=True)


async def test_reading_the_log_is_itself_audited_with_the_filter_used(intake: FastAPI) -> None:
    case = await _referred_and_read(intake)
    reader = f"dpo-{uuid4().hex[:8]}"
    async with _client(intake, "data-protection-officer", reader) as dpo:
        await dpo.get("/audit", params={"participant_id": str(case.id), "action": "read-personal-data"})
        await dpo.get("/audit.csv", params={"actor": case.caseworker})
        reads = (await dpo.get("/audit", params={"actor": reader})).json()["items"]
    assert [(r["action"], r["roles"]) for r in reads] == [("read-audit-log", ["data-protection-officer"])] * 2
    assert reads[0]["participant_id"] is None
    assert reads[0]["detail"] == f"csv: actor={case.caseworker}; limit=10000"
    assert reads[1]["participant_id"] == str(case.id)
    assert reads[1]["detail"] == f"json: participant_id={case.id}; action=read-personal-data; limit=100"


async def test_the_csv_is_semicolon_separated_with_a_bom_and_shows_formulas_as_text(intake: FastAPI) -> None:
    case = await _referred_and_read(intake)
    async with _client(intake, "team-lead", "=HYPERLINK(1)") as sneaky_lead:
        assert (await sneaky_lead.get(f"/participants/{case.id}")).status_code == 200
    async with _client(intake, "administrator") as admin:
        answer = await admin.get("/audit.csv", params={"participant_id": str(case.id), "limit": 1})
    assert answer.status_code == 200
    assert answer.headers["content-type"] == "text/csv; charset=utf-8"
    assert answer.content.startswith("\ufeff".encode())
    assert 'rel="next"' in answer.headers["link"] and "limit=1" in answer.headers["link"]
    rows = list(csv.reader(io.StringIO(answer.text.lstrip("\ufeff")), delimiter=";"))
    assert rows[0] == [
        "id",
        "tidspunkt",
        "bruger",
        "roller",
        "handling",
        "deltager",
        "detaljer",
        "hash",
        "forrige hash",
    ]
    assert rows[1][2:6] == ["'=HYPERLINK(1)", "team-lead", "read-personal-data", str(case.id)]
    assert len(rows) == 2


# --- refusals --------------------------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"participant_id": "not-a-uuid"}, "participant_id"),
        ({"participant_id": "1' OR '1'='1"}, "participant_id"),
        ({"action": "read-personal-data'; DROP TABLE audit_entry; --"}, "action"),
        ({"action": "READ"}, "action"),
        ({"actor": ""}, "actor"),
        ({"actor": "x" * 201}, "actor"),
        ({"actor": "cw\x00-1"}, "actor"),
        ({"from": "2026-13-01"}, "from"),
        ({"from": "1999-12-31"}, "from"),
        ({"to": "9999-12-31"}, "to"),
        ({"from": "2026-11-02", "to": "2026-11-01"}, "to"),
        ({"limit": "0"}, "limit"),
        ({"limit": "1001"}, "limit"),
        ({"limit": "ten"}, "limit"),
        ({"before": "0"}, "before"),
        ({"before": str(2**63)}, "before"),
        ({"sort": "id"}, "sort"),
    ],
)
async def test_a_bad_filter_is_a_problem_naming_it(intake: FastAPI, params: dict[str, str], field: str) -> None:
    answer = await _log(intake, params)
    assert answer.status_code == 422, answer.text
    assert answer.headers["content-type"] == PROBLEM_JSON
    assert ["query", field] in [e["location"] for e in answer.json()["errors"]]


@pytest.mark.parametrize("path", ["/audit", "/audit.csv"])
@pytest.mark.parametrize("text", ["%00", "\u202e", "😀" * 50, "a" * 5000, "';--", "{{7*7}}", "../../etc/passwd"])
async def test_no_input_makes_the_log_fail(intake: FastAPI, path: str, text: str) -> None:
    async with _client(intake, "administrator") as admin:
        for name in ("participant_id", "actor", "action", "from", "to", "limit", "before"):
            answer = await admin.get(path, params={name: text})
            assert answer.status_code in (200, 422), (name, answer.text)


@pytest.mark.parametrize("role", [r for r in ROLES if r not in READERS])
@pytest.mark.parametrize("path", ["/audit", "/audit.csv", "/participants/{pid}/access-request"])
async def test_only_the_administrator_and_the_dpo_read_the_log_and_answer_access_requests(
    intake: FastAPI, role: Role, path: str
) -> None:
    async with _client(intake, role) as other:
        answer = await other.get(path.format(pid=uuid4()))
    assert answer.status_code == 403
    assert answer.headers["content-type"] == PROBLEM_JSON


# --- the access request ----------------------------------------------------------------------------------------------
async def test_the_access_document_holds_the_personal_data_every_fact_the_commands_and_every_read(
    intake: FastAPI,
) -> None:
    case = await _referred_and_read(intake)
    pid, left = case.id, TODAY - timedelta(days=40)
    facts = [
        EnrolmentConfirmed(
            participant_id=pid,
            programme_id="rummelig-plus",
            subproject_id="plus-aarhus",
            course_id="plus-aarhus-2026",
            enrolled_on=left - timedelta(days=60),
            re_entry=False,
        ),
        ParticipationStarted(participant_id=pid, course_id="plus-aarhus-2026", started_on=left - timedelta(days=50)),
        ParticipationCompleted(participant_id=pid, course_id="plus-aarhus-2026", left_on=left),
        check_scheduled(pid, "leaving-outcome", left_on=left, due_on=left + timedelta(days=7)),
        ReminderSent(participant_id=pid, check="leaving-outcome", due_on=left + timedelta(days=7), reminder_number=1),
        CheckOverdue(
            participant_id=pid,
            check="leaving-outcome",
            exit_number=1,
            left_on=left,
            due_on=left + timedelta(days=7),
            counts_until=left + timedelta(days=28),
        ),
        leaving_outcome_recorded(pid, "job-seeking", observed_on=left + timedelta(days=20), left_on=left),
        CheckClosed(participant_id=pid, check="leaving-outcome", exit_number=1, left_on=left, reason="recorded"),
    ]
    delivered = [await deliver(intake.state.sessions, "intake", fact, vault=intake.state.vault) for fact in facts]
    async with _client(intake, "caseworker", case.caseworker) as caseworker:
        issued = await caseworker.post(
            f"/participants/{pid}/six-month-result",
            json={"situation": "ordinary-employment", "observed_on": TODAY.isoformat()},
        )
    dpo = f"dpo-{uuid4().hex[:8]}"
    async with _client(intake, "data-protection-officer", dpo) as reader:
        answer = await reader.get(f"/participants/{pid}/access-request")
    assert answer.status_code == 200, answer.text
    assert answer.headers["cache-control"] == "no-store"
    doc = answer.json()

    assert doc["personal_data"]["cpr"] == case.cpr.replace("-", "")
    assert doc["personal_data"]["name"] == case.name
    assert doc["referral"]["programme_id"] == "rummelig-plus"
    assert doc["referral"]["responsible_caseworker"] == case.caseworker
    assert doc["legal_basis"]["legal_basis"] == "consent"
    assert doc["legal_basis"]["consent_text_version"] == "samtykke-2024-1"
    assert [f["id"] for f in doc["facts"]] == [str(e.id) for e in delivered]
    assert [f["type"] for f in doc["facts"]][3:] == [
        "followup.check-scheduled",
        "reminder.sent",
        "followup.check-overdue",
        "leaving-outcome.recorded",
        "followup.check-closed",
    ]
    assert [(r["kind"], r["check"]) for r in doc["reminders"]] == [
        ("reminder", "leaving-outcome"),
        ("escalation", "leaving-outcome"),
    ]
    assert issued.status_code == 202, issued.text  # no broker here: the command waits for follow-up's answer
    assert [(c["type"], c["status"], c["issued_by"]) for c in doc["commands"]] == [
        ("followup.record-six-month-result", "pending", case.caseworker)
    ]
    assert [(r["actor"], r["action"]) for r in doc["reads"]] == [
        (case.caseworker, "read-personal-data"),
        (dpo, "access-request"),
    ]
    assert doc["reads"][1]["detail"] == "json"


async def test_the_access_page_is_html_in_danish_with_everything_escaped(intake: FastAPI) -> None:
    case = await _referred_and_read(intake, name="Åse O'Brien-Nørgaard")
    due = TODAY - timedelta(days=3)
    await deliver(
        intake.state.sessions,
        "intake",
        ReminderSent(participant_id=case.id, check="six-month", due_on=due, reminder_number=1),
    )
    async with _client(intake, "team-lead", "<script>alert(1)</script>") as curious:
        assert (await curious.get(f"/participants/{case.id}")).status_code == 200
    async with _client(intake, "administrator", accept="text/html,application/xhtml+xml") as admin:
        page = await admin.get(f"/participants/{case.id}/access-request")
        asked = await admin.get(f"/participants/{case.id}/access-request", params={"format": "json"})
    assert page.status_code == 200
    assert page.headers["content-type"].startswith("text/html")
    assert "Personoplysninger (personal data)" in page.text
    assert "Hvem har set oplysningerne (who read the data)" in page.text
    assert "<script>alert(1)</script>" not in page.text
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page.text
    assert "Åse O&#39;Brien-Nørgaard" in page.text
    assert "reminder.sent" in page.text and f"due_on: {due.isoformat()}" in page.text
    assert "påmindelse til sagsbehandler (reminder)" in page.text
    assert f"{case.cpr.replace('-', '')[:6]}-{case.cpr.replace('-', '')[6:]}" in page.text
    assert asked.headers["content-type"] == "application/json"


async def test_an_access_request_for_nobody_is_404_and_a_bad_format_422(intake: FastAPI) -> None:
    async with _client(intake, "data-protection-officer") as dpo:
        assert (await dpo.get(f"/participants/{uuid4()}/access-request")).status_code == 404
        assert (await dpo.get("/participants/nobody/access-request")).status_code == 422
        case = await _referred_and_read(intake)
        wrong = await dpo.get(f"/participants/{case.id}/access-request", params={"format": "pdf"})
    assert wrong.status_code == 422
    assert ["query", "format"] in [e["location"] for e in wrong.json()["errors"]]

"""Erasure (art. 17) through intake's API on a migrated PostgreSQL, without Kafka: what is destroyed, what stays,
what still answers, and what the request may not be.
"""

from __future__ import annotations

import json
import random
from collections.abc import AsyncIterator
from datetime import date, timedelta
from typing import Any
from uuid import UUID, uuid4

import httpx
import pytest
import pytest_asyncio
from fastapi import FastAPI

from deploy.synthetic import SyntheticCitizen, referral_body, synthetic_citizen
from services.intake.main import create_app as intake_app
from services.intake.settings import IntakeSettings
from shared.auth import Role, issue_token
from shared.clock import today_in_copenhagen
from shared.contracts import EnrolmentConfirmed
from shared.problems import MAX_BODY_BYTES, PROBLEM_JSON
from shared.settings import AuthSettings
from shared.topics import REFERRAL_EVENTS
from tests.fixtures.clients import bearer_client
from tests.fixtures.database import Databases
from tests.fixtures.handlers import deliver, execute, outbox_rows, row, rows
from tests.fixtures.vaults import fresh_key

AUTH = AuthSettings()
rng = random.Random(1717)


@pytest_asyncio.fixture(scope="module", loop_scope="session")
async def intake(databases: Databases, seeded_catalogue: list[str]) -> AsyncIterator[FastAPI]:
    """Intake built by its composition root on the test database, its catalogue read model seeded; no broker."""
    settings = IntakeSettings(
        database_url=databases.url("intake"), data_key=fresh_key(), lookup_key=fresh_key(), command_wait_seconds=0
    )
    app = intake_app(settings)
    yield app
    await app.state.sessions.kw["bind"].dispose()


def _client(app: FastAPI, role: Role, municipality: str | None = "751") -> httpx.AsyncClient:
    token = issue_token(
        AUTH,
        subject=f"{role}-erasure",
        email=f"{role}@example.dk",
        roles=[role],
        municipality=municipality if role in ("caseworker", "team-lead") else None,
    )
    return bearer_client(app, token)


CONTACT = {"phone": "+45 20 30 40 50", "email": "borger@example.org", "address": "Vestergade 12, 8000 Aarhus C"}


async def _referred(app: FastAPI, citizen: SyntheticCitizen | None = None, **overrides: Any) -> tuple[str, Any]:
    citizen = citizen or synthetic_citizen(rng)
    async with _client(app, "caseworker") as caseworker:
        created = await caseworker.post(
            "/referrals",
            json=referral_body(citizen, contact=CONTACT, **overrides),
            headers={"Idempotency-Key": f"erasure-{uuid4().hex}"},
        )
    assert created.status_code == 201, created.text
    return created.json()["participant_id"], citizen


async def _erase(app: FastAPI, pid: str, body: Any = None, role: Role = "administrator") -> httpx.Response:
    async with _client(app, role) as client:
        return await client.post(f"/participants/{pid}/erasure", json={"reason": "request"} if body is None else body)


async def _stored(app: FastAPI, pid: str) -> dict[str, Any] | None:
    return await row(
        app.state.sessions,
        "SELECT status, cpr_hash, cpr_encrypted, name_encrypted, contact_encrypted, legacy_key_id, erased_on,"
        " erasure_basis, erasure_note, case_reference, characteristics, legal_basis, consent_given_on"
        " FROM participant WHERE id = :p",
        p=pid,
    )


async def test_erasure_destroys_the_key_and_every_personal_field_and_tells_the_other_services(intake: FastAPI) -> None:
    pid, _ = await _referred(intake)
    before = await _stored(intake, pid)

    erased = await _erase(intake, pid, {"reason": "request", "note": "Ticket 2026-118 from the jobcentre"})

    assert erased.status_code == 200, erased.text
    today = today_in_copenhagen().isoformat()
    assert erased.json() == {
        "participant_id": pid,
        "case_reference": before and before["case_reference"],
        "erased_on": today,
        "basis": "request",
        "links": {"timeline": f"/participants/{pid}/timeline"},
    }
    after = await _stored(intake, pid)
    assert after is not None and before is not None
    assert after["status"] == "erased" and (after["erased_on"].isoformat(), after["erasure_basis"]) == (
        today,
        "request",
    )
    for column in ("cpr_hash", "cpr_encrypted", "name_encrypted", "contact_encrypted", "legacy_key_id"):
        assert after[column] is None, column
    assert after["erasure_note"] == "Ticket 2026-118 from the jobcentre"
    # the pseudonymous record stays
    for column in ("case_reference", "characteristics", "legal_basis", "consent_given_on"):
        assert after[column] == before[column], column
    assert await rows(intake.state.sessions, "SELECT 1 FROM participant_key WHERE participant_id = :p", p=pid) == []
    stored_answers = await rows(
        intake.state.sessions, "SELECT 1 FROM idempotent_request WHERE answer->>'participant_id' = :p", p=pid
    )
    assert stored_answers == []  # its fingerprint hashes the referral body, CPR number and name included
    [told] = [r for r in await outbox_rows(intake.state.sessions, pid) if r.type == "participant.erased"]
    assert (told.version, told.topic, told.data) == (
        1,
        REFERRAL_EVENTS,
        {"participant_id": pid, "erased_on": today, "basis": "request"},
    )
    audited = await rows(
        intake.state.sessions, "SELECT actor, role, action FROM audit_entry WHERE participant_id = :p", p=pid
    )
    assert {"actor": "administrator-erasure", "role": "administrator", "action": "erasure"} in audited


async def test_erasing_twice_answers_the_same_and_publishes_nothing_new(intake: FastAPI) -> None:
    pid, _ = await _referred(intake)
    first = await _erase(intake, pid)
    second = await _erase(intake, pid, {"reason": "retention", "note": "again"})
    assert second.status_code == 200 and second.json() == first.json()
    staged = [r.type for r in await outbox_rows(intake.state.sessions, pid)]
    assert staged.count("participant.erased") == 1
    erasures = await rows(
        intake.state.sessions, "SELECT 1 FROM audit_entry WHERE participant_id = :p AND action = 'erasure'", p=pid
    )
    assert len(erasures) == 1
    stored = await _stored(intake, pid)
    assert stored is not None and (stored["erasure_basis"], stored["erasure_note"]) == ("request", None)


async def test_after_erasure_the_timeline_and_caseload_answer_and_nothing_finds_the_citizen(intake: FastAPI) -> None:
    pid, citizen = await _referred(intake)
    assert (await _erase(intake, pid)).status_code == 200

    async with _client(intake, "caseworker") as caseworker:
        personal = await caseworker.get(f"/participants/{pid}")
        timeline = await caseworker.get(f"/participants/{pid}/timeline")
        listed = (await caseworker.get("/participants", params={"page_size": 100, "sort": "-referred_on"})).json()
        searched = (await caseworker.post("/search/participants", json={"cpr": citizen.cpr})).json()
        withdrawal = await caseworker.post(
            f"/participants/{pid}/consent-withdrawal", json={"withdrawn_on": "2026-11-01"}
        )
        started = await caseworker.post(f"/participants/{pid}/start", json={"started_on": "2026-11-02"})
        again = await caseworker.post("/referrals", json=referral_body(citizen))

    assert personal.status_code == 410 and personal.headers["content-type"] == PROBLEM_JSON
    assert personal.json()["type"] == "urn:rummelig:problem:erased"
    assert personal.json()["links"] == {"timeline": f"/participants/{pid}/timeline"}
    assert citizen.name not in personal.text
    assert timeline.status_code == 200 and timeline.json()["participant_id"] == pid
    [item] = [i for i in listed["items"] if i["participant_id"] == pid]
    assert item["erased_on"] == today_in_copenhagen().isoformat()
    assert searched["items"] == [] and searched["total"] == 0
    assert withdrawal.status_code == 409 and withdrawal.json()["type"] == "urn:rummelig:problem:erased"
    assert started.status_code == 409 and started.json()["type"] == "urn:rummelig:problem:erased"
    assert again.status_code == 201, again.text  # a new participant: nothing leads to the erased one
    assert again.json()["participant_id"] != pid


async def test_an_unknown_participant_is_404(intake: FastAPI) -> None:
    response = await _erase(intake, str(uuid4()))
    assert response.status_code == 404 and response.headers["content-type"] == PROBLEM_JSON


@pytest.mark.parametrize("role", ["caseworker", "team-lead", "provider-staff", "operator"])
async def test_only_an_administrator_erases(intake: FastAPI, role: Role) -> None:
    pid, _ = await _referred(intake)
    assert (await _erase(intake, pid, role=role)).status_code == 403
    stored = await _stored(intake, pid)
    assert stored is not None and stored["status"] == "active"


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({}, "reason"),
        ({"reason": "because"}, "reason"),
        ({"reason": 1}, "reason"),
        ({"reason": None}, "reason"),
        ({"reason": "request", "note": ""}, "note"),
        ({"reason": "request", "note": "x" * 501}, "note"),
        ({"reason": "request", "note": "<script>alert(1)</script>"}, "note"),
        ({"reason": "request", "note": "line\u0000break"}, "note"),
        ({"reason": "request", "note": 42}, "note"),
        ({"reason": "request", "erase_everything": True}, "erase_everything"),
        ({"reason": "request'; DROP TABLE participant; --"}, "reason"),
    ],
    ids=[
        "missing",
        "unknown",
        "number",
        "null",
        "empty-note",
        "long-note",
        "markup",
        "control",
        "note-number",
        "extra",
        "injection",
    ],
)
async def test_an_invalid_request_is_422_naming_the_field_and_erases_nothing(
    intake: FastAPI, body: dict[str, Any], field: str
) -> None:
    pid, _ = await _referred(intake)
    response = await _erase(intake, pid, body)
    assert response.status_code == 422, response.text
    assert response.headers["content-type"] == PROBLEM_JSON
    assert ["body", field] in [e["location"][:2] for e in response.json()["errors"]]
    stored = await _stored(intake, pid)
    assert stored is not None and stored["status"] == "active" and stored["cpr_encrypted"] is not None


async def test_a_note_that_names_the_citizen_is_refused(intake: FastAPI) -> None:
    pid, citizen = await _referred(intake)
    for note in (f"Asked by {citizen.name.split()[-1]} in person", f"CPR {citizen.cpr}"):
        response = await _erase(intake, pid, {"reason": "request", "note": note})
        assert response.status_code == 422, response.text
        assert response.json()["type"] == "urn:rummelig:problem:note-names-the-citizen"
        assert response.json()["errors"][0]["location"] == ["body", "note"]
    stored = await _stored(intake, pid)
    assert stored is not None and stored["status"] == "active"


@pytest.mark.parametrize(
    ("request_kwargs", "status"),
    [
        ({"content": b"{", "headers": {"content-type": "application/json"}}, 400),
        ({"content": b"reason=request", "headers": {"content-type": "application/x-www-form-urlencoded"}}, 415),
        ({"content": b"x" * (MAX_BODY_BYTES + 1), "headers": {"content-type": "application/json"}}, 413),
        ({"content": json.dumps(["request"]).encode(), "headers": {"content-type": "application/json"}}, 422),
    ],
    ids=["malformed", "form", "oversized", "array"],
)
async def test_a_body_that_is_not_an_erasure_request_is_refused(
    intake: FastAPI, request_kwargs: dict[str, Any], status: int
) -> None:
    pid, _ = await _referred(intake)
    async with _client(intake, "administrator") as admin:
        response = await admin.post(f"/participants/{pid}/erasure", **request_kwargs)
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == PROBLEM_JSON


async def test_a_bad_participant_id_is_422(intake: FastAPI) -> None:
    response = await _erase(intake, "not-a-uuid")
    assert response.status_code == 422
    assert response.json()["errors"][0]["location"] == ["path", "participant_id"]


async def test_the_withdrawal_and_the_participant_view_say_when_the_data_will_be_erased(intake: FastAPI) -> None:
    pid, _ = await _referred(intake, referred_on="2026-01-12")
    async with _client(intake, "caseworker") as caseworker:
        withdrawn = await caseworker.post(
            f"/participants/{pid}/consent-withdrawal", json={"withdrawn_on": "2026-03-02"}
        )
        shown = (await caseworker.get(f"/participants/{pid}")).json()
        listed = (await caseworker.get("/participants", params={"page_size": 100})).json()
    due = (date(2026, 3, 2) + timedelta(days=30)).isoformat()
    assert withdrawn.json()["erasure_due_on"] == due == shown["erasure_due_on"]
    assert [i["erasure_due_on"] for i in listed["items"] if i["participant_id"] == pid] == [due]


async def test_a_participant_sealed_before_keys_of_their_own_is_read_and_erased(intake: FastAPI) -> None:
    pid, citizen = await _referred(intake)
    legacy = intake.state.vault.legacy_key(UUID(pid), "k1")  # how rows were sealed before migration 0009
    await execute(intake.state.sessions, "DELETE FROM participant_key WHERE participant_id = :p", p=pid)
    await execute(
        intake.state.sessions,
        "UPDATE participant SET legacy_key_id = 'k1', cpr_encrypted = :c, name_encrypted = :n, contact_encrypted = NULL"
        " WHERE id = :p",
        c=legacy.encrypt(citizen.cpr.replace("-", "")),
        n=legacy.encrypt(citizen.name),
        p=pid,
    )
    async with _client(intake, "caseworker") as caseworker:
        shown = await caseworker.get(f"/participants/{pid}")
    assert shown.status_code == 200 and (shown.json()["cpr"], shown.json()["name"]) == (
        citizen.cpr.replace("-", ""),
        citizen.name,
    )
    assert (await _erase(intake, pid)).status_code == 200
    stored = await _stored(intake, pid)
    assert stored is not None and (stored["legacy_key_id"], stored["cpr_encrypted"], stored["status"]) == (
        None,
        None,
        "erased",
    )


async def test_the_provider_still_sees_the_erased_participant_on_the_course_without_a_name(intake: FastAPI) -> None:
    pid, _ = await _referred(intake)
    # a course of the test's own: other tests' participants on the seeded courses are sealed under other keys
    course = f"plus-aarhus-{uuid4().hex[:8]}"
    await execute(
        intake.state.sessions,
        "INSERT INTO catalogue_course (id, programme_id, subproject_id, municipality, starts_on, ends_on, capacity)"
        " SELECT :course, programme_id, subproject_id, municipality, starts_on, ends_on, capacity"
        " FROM catalogue_course WHERE id = 'plus-aarhus-2026'",
        course=course,
    )
    enrolled = EnrolmentConfirmed(
        participant_id=UUID(pid),
        programme_id="rummelig-plus",
        subproject_id="plus-aarhus",
        course_id=course,
        enrolled_on=today_in_copenhagen(),
        re_entry=False,
    )
    await deliver(intake.state.sessions, "intake", enrolled)
    assert (await _erase(intake, pid)).status_code == 200
    token = issue_token(
        AUTH, subject="provider-erasure", email="p@example.org", roles=["provider-staff"], subprojects=["plus-aarhus"]
    )
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=intake), base_url="http://test", headers={"Authorization": f"Bearer {token}"}
    ) as provider:
        listed = (await provider.get(f"/courses/{course}/participants")).json()
    assert [(p["first_name"], p["status"]) for p in listed if p["participant_id"] == pid] == [(None, "enrolled")]
    reads = await rows(
        intake.state.sessions,
        "SELECT 1 FROM audit_entry WHERE participant_id = :p AND action = 'read-first-name'",
        p=pid,
    )
    assert reads == []

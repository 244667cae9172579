"""Bad input to the caseworker API: a clear problem-details error, nothing stored, nothing published."""

from __future__ import annotations

import random
from collections.abc import AsyncIterator
from datetime import timedelta
from typing import Any

import asyncpg
import httpx
import pytest

from deploy.stack import Stack
from deploy.synthetic import referral_body, synthetic_citizen
from shared.clock import today_in_copenhagen

pytestmark = pytest.mark.stack
rng = random.Random(7)


async def _counts(stack: Stack) -> tuple[int, int, int]:
    conn = await asyncpg.connect(stack.postgres.dsn("intake"))
    try:
        return (
            await conn.fetchval("SELECT count(*) FROM participant"),
            # every outbox row ever written, published (and deleted by the relay) or not
            await conn.fetchval("SELECT last_value FROM outbox_message_id_seq"),
            await conn.fetchval("SELECT count(*) FROM pending_command"),
        )
    finally:
        await conn.close()


@pytest.fixture
async def unchanged(stack: Stack) -> AsyncIterator[None]:
    """Asserts after the test that no participant, outbox row or command was written."""
    before = await _counts(stack)
    yield
    assert await _counts(stack) == before


def _problem(response: httpx.Response, status: int) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    body: dict[str, Any] = response.json()
    assert body["status"] == status and body["title"] and body["detail"]
    return body


def _valid() -> dict[str, object]:
    return referral_body(synthetic_citizen(rng))


BAD_REFERRALS: dict[str, dict[str, object]] = {
    "missing consent": {k: v for k, v in _valid().items() if k != "consent"},
    "consent refused": {**_valid(), "consent": False},
    "missing cpr": {k: v for k, v in _valid().items() if k != "cpr"},
    "cpr not a date": {**_valid(), "cpr": "320190-1234"},
    "cpr with letters": {**_valid(), "cpr": "01019O-1234"},
    "cpr as a number": {**_valid(), "cpr": 101901234},
    "sql in the name": {**_valid(), "name": "Robert'); DROP TABLE participant;--"},
    "markup in the name": {**_valid(), "name": "<script>alert(1)</script>"},
    "oversized name": {**_valid(), "name": "A" * 5000},
    "unknown field": {**_valid(), "address": "Somewhere 1"},
    "unknown benefit": {**_valid(), "benefit": "lottery"},
    "programme code with path": {**_valid(), "programme_id": "../../etc"},
    "future referral date": {**_valid(), "referred_on": (today_in_copenhagen() + timedelta(days=3)).isoformat()},
}


@pytest.mark.parametrize("case", BAD_REFERRALS)
async def test_a_bad_referral_is_refused_with_problem_details_and_changes_nothing(
    intake: httpx.AsyncClient, unchanged: None, case: str
) -> None:
    body = _problem(await intake.post("/referrals", json=BAD_REFERRALS[case]), 422)
    assert body["errors"]


async def test_a_body_that_is_not_json_is_refused(intake: httpx.AsyncClient, unchanged: None) -> None:
    response = await intake.post("/referrals", content=b"{not json", headers={"content-type": "application/json"})
    assert _problem(response, 400)["type"] == "urn:rummelig:problem:malformed-json"


@pytest.mark.parametrize("content_type", ["text/plain", "application/x-www-form-urlencoded", "application/xml"])
async def test_a_body_of_another_media_type_is_refused_with_415(
    intake: httpx.AsyncClient, unchanged: None, content_type: str
) -> None:
    response = await intake.post("/referrals", content=b'{"cpr": "x"}', headers={"content-type": content_type})
    assert "application/json" in _problem(response, 415)["detail"]


async def test_an_oversized_body_is_refused_before_it_is_read(intake: httpx.AsyncClient, unchanged: None) -> None:
    _problem(await intake.post("/referrals", json={**_valid(), "pad": "x" * 100_000}), 413)


@pytest.mark.parametrize(
    "headers",
    [{}, {"Authorization": "Bearer not-a-token"}, {"Authorization": "Basic dXNlcjpwYXNz"}],
    ids=["no token", "garbage token", "basic auth"],
)
async def test_without_a_valid_bearer_token_nothing_is_accepted(
    stack: Stack, unchanged: None, headers: dict[str, str]
) -> None:
    async with httpx.AsyncClient(base_url=stack.url("intake")) as anonymous:
        _problem(await anonymous.post("/referrals", json=_valid(), headers=headers), 401)


async def test_an_operator_cannot_refer(stack: Stack, operator_token: str, unchanged: None) -> None:
    async with httpx.AsyncClient(base_url=stack.url("intake")) as client:
        response = await client.post("/referrals", json=_valid(), headers={"Authorization": f"Bearer {operator_token}"})
        _problem(response, 403)


async def test_the_same_citizen_cannot_be_referred_twice_to_one_programme(
    intake: httpx.AsyncClient, stack: Stack
) -> None:
    body = _valid()
    assert (await intake.post("/referrals", json=body)).status_code == 201
    before = await _counts(stack)
    again = {**body, "cpr": str(body["cpr"]).replace("-", "")}  # the same number written without the hyphen
    mine = _problem(await intake.post("/referrals", json=again), 409)
    assert "RUM-" in mine["detail"]  # the referring municipality is told which case
    odder = stack.token(role="caseworker", municipality="727", email="cw@odder.example.dk", subject="cw-odder")
    async with httpx.AsyncClient(base_url=stack.url("intake"), headers={"Authorization": f"Bearer {odder}"}) as other:
        theirs = _problem(await other.post("/referrals", json=again), 409)
    assert "RUM-" not in theirs["detail"]  # another municipality only learns that there is one
    assert await _counts(stack) == before


async def test_another_municipalitys_caseworker_sees_404_and_the_caseworker_who_referred_sees_the_data(
    intake: httpx.AsyncClient, stack: Stack
) -> None:
    citizen = synthetic_citizen(rng)
    pid = (await intake.post("/referrals", json=referral_body(citizen))).json()["participant_id"]
    mine = (await intake.get(f"/participants/{pid}")).json()
    assert mine["cpr"] == citizen.cpr.replace("-", "") and mine["name"] == citizen.name
    odder = stack.token(role="caseworker", municipality="727", email="cw@odder.example.dk", subject="cw-odder")
    async with httpx.AsyncClient(base_url=stack.url("intake"), headers={"Authorization": f"Bearer {odder}"}) as other:
        _problem(await other.get(f"/participants/{pid}"), 404)
        _problem(await other.get(f"/participants/{pid}/timeline"), 404)
        _problem(await other.post(f"/participants/{pid}/enrolment", json={"course_id": "plus-aarhus-2026"}), 404)
    conn = await asyncpg.connect(stack.postgres.dsn("intake"))
    try:
        reads = await conn.fetchval("SELECT count(*) FROM audit_entry WHERE participant_id = $1", pid)
        stored = await conn.fetchrow("SELECT cpr_encrypted, name_encrypted FROM participant WHERE id = $1", pid)
    finally:
        await conn.close()
    assert reads == 1  # the one successful read, audited; the refused ones read nothing
    assert citizen.name.encode() not in stored["name_encrypted"]
    assert citizen.cpr.replace("-", "").encode() not in stored["cpr_encrypted"]


BAD_COMMANDS: list[tuple[str, dict[str, object]]] = [
    ("enrolment", {}),
    ("enrolment", {"course_id": "'; DROP TABLE course;--"}),
    ("start", {"started_on": "yesterday"}),
    ("start", {"started_on": (today_in_copenhagen() + timedelta(days=1)).isoformat()}),
    ("completion", {"completed_on": "1999-12-31"}),
    ("drop-out", {"dropped_out_on": today_in_copenhagen().isoformat(), "reason": "bored"}),
    ("leaving-outcome", {"situation": "rich", "observed_on": today_in_copenhagen().isoformat()}),
    ("six-month-result", {"situation": "ordinary-employment"}),
    ("corrections/start", {"started_on": today_in_copenhagen().isoformat()}),
    ("corrections/start", {"started_on": "2018-02-30", "correction_reason": "entered-wrong"}),
    ("corrections/leaving-date", {"left_on": today_in_copenhagen().isoformat(), "correction_reason": "whim"}),
    ("corrections/drop-out-reason", {"drop_out_reason": "personal", "correction_reason": "other"}),
    ("corrections/drop-out-reason", {"drop_out_reason": "job", "correction_reason": "other", "extra": 1}),
]


@pytest.mark.parametrize(("path", "body"), BAD_COMMANDS, ids=[f"{p}-{i}" for i, (p, _) in enumerate(BAD_COMMANDS)])
async def test_a_bad_command_is_refused_and_nothing_is_sent(
    intake: httpx.AsyncClient, stack: Stack, path: str, body: dict[str, object]
) -> None:
    pid = (await intake.post("/referrals", json=_valid())).json()["participant_id"]
    before = await _counts(stack)
    _problem(await intake.post(f"/participants/{pid}/{path}", json=body), 422)
    assert await _counts(stack) == before


async def test_a_command_for_an_unknown_participant_is_404(intake: httpx.AsyncClient, unchanged: None) -> None:
    _problem(
        await intake.post(
            "/participants/00000000-0000-4000-8000-000000000000/start",
            json={"started_on": today_in_copenhagen().isoformat()},
        ),
        404,
    )
    _problem(await intake.get("/participants/not-a-uuid/timeline"), 422)


async def test_a_command_the_owning_service_refuses_comes_back_as_409_with_its_reason(
    intake: httpx.AsyncClient,
) -> None:
    pid = (await intake.post("/referrals", json=_valid())).json()["participant_id"]
    response = await intake.post(f"/participants/{pid}/start", json={"started_on": today_in_copenhagen().isoformat()})
    body = _problem(response, 409)
    assert body["type"] == "urn:rummelig:problem:not-enrolled"
    assert body["status"] == 409 and body["command_id"]
    timeline = (await intake.get(f"/participants/{pid}/timeline")).json()
    assert "command.rejected" in [e["type"] for e in timeline["events"]]
    status = (await intake.get(f"/commands/{body['command_id']}")).json()
    assert status["status"] == "rejected" and status["rejection"]["reason"] == "not-enrolled"

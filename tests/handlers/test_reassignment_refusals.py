"""What a team lead's move of cases (POST /reassignments) refuses, on a migrated PostgreSQL without Kafka: intake is
called in-process and its outbox read back.

Only a team lead moves cases; another municipality's case is reported as not found and left alone; bad input is a 422
problem that changes nothing; a caseworker who holds another municipality's cases is not one to move to; the same
Idempotency-Key twice has one effect and the first answer. What a move does is in test_reassignment.py. Each test
works in a municipality of its own (671 and up), so tests sharing the session's database never see each other's cases.
"""

from __future__ import annotations

import itertools
from collections.abc import AsyncIterator
from typing import Any
from uuid import UUID, uuid4

import pytest
import pytest_asyncio
from fastapi import FastAPI

from tests.fixtures.database import Databases
from tests.fixtures.handlers import row, rows
from tests.fixtures.pages import running_intake
from tests.fixtures.reassignment import MOVED, Office, in_the_catalogue, open_office, staff, staff_client, staged

# one a test and one for each other municipality: 671-69x (test_reassignment.py counts up from 960)
MUNICIPALITIES = itertools.count(671)


@pytest_asyncio.fixture(scope="module", loop_scope="session")
async def intake(databases: Databases) -> AsyncIterator[FastAPI]:
    """Intake built by its composition root on the test database; no broker is started."""
    async with running_intake(databases) as app:
        yield app


@pytest_asyncio.fixture(loop_scope="session")
async def office(intake: FastAPI) -> AsyncIterator[Office]:
    """A municipality of the test's own, with its programme in intake's catalogue, two caseworkers and a team lead."""
    async with open_office(intake, str(next(MUNICIPALITIES))) as office:
        yield office


# --- what a team lead may not move ------------------------------------------------------------------------------------
async def test_a_caseworker_who_is_not_a_team_lead_moves_nothing(office: Office) -> None:
    [case] = await office.refer(1)
    before = await office.state()
    body = {"to": office.b.named(), "reason": "workload", "participant_ids": [str(case)]}

    refused = await office.a_client.post("/reassignments", json=body)
    async with staff_client(office.app, staff("provider"), "provider-staff", None) as provider:
        provider_refused = await provider.post("/reassignments", json=body)

    assert refused.status_code == 403 and refused.headers["content-type"] == "application/problem+json"
    assert provider_refused.status_code == 403
    assert await office.state() == before


async def test_another_municipalitys_case_is_reported_as_not_found_and_left_alone(office: Office) -> None:
    [ours] = await office.refer(1)
    elsewhere = str(next(MUNICIPALITIES))
    await in_the_catalogue(office.app, office.programme, office.municipality, elsewhere)
    stranger = staff("cw-x")
    async with staff_client(office.app, stranger, "caseworker", elsewhere) as other:
        [theirs] = await office.refer(1, client=other)
    unknown = uuid4()

    response = await office.move(
        {"to": office.b.named(), "reason": "workload", "participant_ids": [str(theirs), str(ours), str(unknown)]}
    )

    assert response.status_code == 200, response.text
    reference = response.json()["results"][1]["case_reference"]
    assert reference.startswith("RUM-")
    assert response.json()["results"] == [
        {"participant_id": str(theirs), "case_reference": None, "result": "not-found"},
        {"participant_id": str(ours), "case_reference": reference, "result": "moved"},
        {"participant_id": str(unknown), "case_reference": None, "result": "not-found"},
    ]
    untouched = await row(
        office.app.state.sessions, "SELECT caseworker_subject FROM participant WHERE id = :p", p=theirs
    )
    assert untouched == {"caseworker_subject": stranger.subject}
    assert await staged(office.app.state.sessions, theirs, MOVED) == []
    audited = await rows(
        office.app.state.sessions,
        "SELECT 1 FROM audit_entry WHERE participant_id = :p AND action = 'reassign'",
        p=theirs,
    )
    assert audited == []


BAD_BODIES: dict[str, Any] = {
    "no caseworker to move to": {"reason": "workload", "participant_ids": ["{case}"]},
    "no reason": {"to": "{b}", "participant_ids": ["{case}"]},
    "a reason in free text": {"to": "{b}", "reason": "the citizen is ill", "participant_ids": ["{case}"]},
    "no cases named": {"to": "{b}", "reason": "workload"},
    "both cases and a caseworker named": {
        "to": "{b}",
        "reason": "workload",
        "participant_ids": ["{case}"],
        "from_caseworker": "{a}",
    },
    "an empty list": {"to": "{b}", "reason": "workload", "participant_ids": []},
    "too many cases": {"to": "{b}", "reason": "workload", "participant_ids": ["{case}", *("{random}",) * 1000]},
    "a case named twice": {"to": "{b}", "reason": "workload", "participant_ids": ["{case}", "{case}"]},
    "a participant id that is not one": {"to": "{b}", "reason": "workload", "participant_ids": ["1 OR 1=1"]},
    "a list given as a string": {"to": "{b}", "reason": "workload", "participant_ids": "{case}"},
    "SQL in a subject": {
        "to": {"subject": "x'; DROP TABLE participant; --", "email": "x@example.dk"},
        "reason": "workload",
        "participant_ids": ["{case}"],
    },
    "markup for an email": {
        "to": {"subject": "cw-z", "email": "<script>alert(1)</script>"},
        "reason": "workload",
        "participant_ids": ["{case}"],
    },
    "an unknown field": {"to": "{b}", "reason": "workload", "participant_ids": ["{case}"], "note": "Jens is ill"},
    "to the caseworker who has them": {"to": "{a_named}", "reason": "workload", "from_caseworker": "{a}"},
    "an email other than on the caseworker's cases": {
        "to": {"subject": "{a}", "email": "someone-else@example.dk"},
        "reason": "workload",
        "participant_ids": ["{case}"],
    },
}


def _filled(value: Any, office: Office, case: UUID) -> Any:
    """The body with the office's names and the case put in."""
    if isinstance(value, dict):
        return {k: _filled(v, office, case) for k, v in value.items()}
    if isinstance(value, list):
        return [_filled(v, office, case) for v in value]
    names: dict[str, Any] = {
        "{b}": office.b.named(),
        "{a_named}": office.a.named(),
        "{a}": office.a.subject,
        "{case}": str(case),
        "{random}": str(uuid4()),
    }
    return names.get(value, value) if isinstance(value, str) else value


@pytest.mark.parametrize("bad", BAD_BODIES)
async def test_bad_input_is_a_422_problem_and_changes_nothing(office: Office, bad: str) -> None:
    [case] = await office.refer(1)
    before = await office.state()

    response = await office.move(_filled(BAD_BODIES[bad], office, case), key=f"bad-{uuid4().hex}")

    assert response.status_code == 422, response.text
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["detail"]
    assert await office.state() == before


async def test_a_caseworker_holding_cases_of_another_municipality_is_refused(office: Office) -> None:
    [case] = await office.refer(1)
    elsewhere = str(next(MUNICIPALITIES))
    await in_the_catalogue(office.app, office.programme, office.municipality, elsewhere)
    stranger = staff("cw-x")
    async with staff_client(office.app, stranger, "caseworker", elsewhere) as other:
        await office.refer(1, client=other)
    before = await office.state()

    response = await office.move({"to": stranger.named(), "reason": "workload", "participant_ids": [str(case)]})

    assert response.status_code == 422, response.text
    assert response.json()["type"] == "urn:rummelig:problem:caseworker-of-another-municipality"
    assert await office.state() == before


async def test_the_same_idempotency_key_twice_has_one_effect_and_the_first_answer(office: Office) -> None:
    cases = await office.refer(3)
    body = {"to": office.b.named(), "reason": "specialisation", "participant_ids": [str(c) for c in cases]}

    first = await office.move(body, key="move-1")
    after_first = await office.state()
    second = await office.move(body, key="move-1")

    assert first.status_code == second.status_code == 200
    assert second.json() == first.json()  # "moved" again, not "already-theirs": the first answer
    assert await office.state() == after_first
    assert after_first["events"] == after_first["audited"] == 3
    reused = await office.move(body | {"reason": "workload"}, key="move-1")
    assert reused.status_code == 422 and reused.json()["type"] == "urn:rummelig:problem:idempotency-key-reused"
    assert await office.state() == after_first

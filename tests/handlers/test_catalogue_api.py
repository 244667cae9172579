"""The administrator's catalogue API on a migrated PostgreSQL (no Kafka): the seed, amendments, refusals, roles."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
import pytest_asyncio
from fastapi import FastAPI
from sqlalchemy import text

from services.enrolment.main import create_app
from services.enrolment.seed import COMPANIES, COURSES, SUBPROJECTS, seed_catalogue
from services.enrolment.settings import EnrolmentSettings
from shared.auth import Role, issue_token
from shared.db import unit_of_work
from shared.problems import PROBLEM_JSON
from shared.settings import AuthSettings
from shared.topics import CATALOGUE_EVENTS
from tests.fixtures.clients import bearer_client
from tests.fixtures.database import Databases

COURSE = {
    "subproject_id": "war-veterans-aarhus",
    "title": "Et forløb",
    "location": "Jobcenter Aarhus",
    "municipality": "751",
    "starts_on": "2017-08-07",
    "ends_on": "2018-06-29",
    "capacity": 12,
}
PROGRAMME = {
    "title": "Testprogram",
    "operator": "Testoperatør",
    "region": "Midtjylland",
    "starts_on": "2020-01-01",
    "ends_on": "2022-12-31",
    "fund": "esf-plus-2021-2027",
}


def _client(app: FastAPI, role: Role = "administrator") -> httpx.AsyncClient:
    token = issue_token(AuthSettings(), subject=f"{role}-1", email=f"{role}@example.dk", roles=[role])
    return bearer_client(app, token)


@pytest_asyncio.fixture(scope="module", loop_scope="session")
async def app(databases: Databases) -> AsyncIterator[FastAPI]:
    """Enrolment built by its composition root on the test database, with the seed catalogue written once."""
    app = create_app(EnrolmentSettings(database_url=databases.url("enrolment"), seed_demo_catalogue=False))
    async with unit_of_work(app.state.sessions) as session:
        assert await seed_catalogue(session) == []
    yield app
    await app.state.sessions.kw["bind"].dispose()


async def _catalogue_events(app: FastAPI) -> list[dict[str, Any]]:
    async with app.state.sessions() as session:
        rows = (
            await session.exec(
                text("SELECT key, headers, payload FROM outbox_message WHERE topic = :t ORDER BY id"),
                params={"t": CATALOGUE_EVENTS},
            )
        ).all()
    return [{"key": r[0], "type": r[1]["ce_type"], "data": json.loads(r[2])} for r in rows]


async def test_the_seed_run_twice_leaves_the_same_catalogue_and_publishes_nothing_new(app: FastAPI) -> None:
    async with _client(app) as client:
        before = [(await client.get(p)).json() for p in ("/catalogue/programmes", "/catalogue/subprojects")]
    events = await _catalogue_events(app)
    async with unit_of_work(app.state.sessions) as session:
        assert await seed_catalogue(session) == []
    async with _client(app) as client:
        after = [(await client.get(p)).json() for p in ("/catalogue/programmes", "/catalogue/subprojects")]
    assert after == before
    assert await _catalogue_events(app) == events


async def test_the_seed_holds_both_programmes_and_rummelig_imidts_22_sub_projects_in_11_municipalities(
    app: FastAPI,
) -> None:
    async with _client(app) as client:
        programmes = {p["programme_id"]: p for p in (await client.get("/catalogue/programmes")).json()}
        rim = (await client.get("/catalogue/subprojects", params={"programme_id": "rummelig-imidt"})).json()
    assert programmes["rummelig-imidt"]["starts_on"] == "2015-09-18"
    assert programmes["rummelig-imidt"]["ends_in_force_on"] == "2022-02-28"
    assert (programmes["varig-tilknytning"]["starts_on"], programmes["varig-tilknytning"]["ends_in_force_on"]) == (
        "2020-10-20",
        "2023-03-31",
    )
    assert len(rim) == 22
    assert len({m for s in rim for m in s["municipalities"]}) == 11
    named = {s["subproject_id"]: s for s in rim if not s["illustrative"]}
    assert set(named) == {"war-veterans-aarhus", "flex-job-odder", "deaf-hedensted", "psych-vulnerable-odder"}
    assert named["deaf-hedensted"]["scope"] == "regional"
    assert named["psych-vulnerable-odder"]["ends_on"] == "2020-09-30"


@pytest.mark.parametrize(("on", "number"), [("2018-06-01", 550), ("2020-06-01", 810)])
async def test_the_amended_target_is_answered_by_the_date_asked_for(app: FastAPI, on: str, number: int) -> None:
    async with _client(app) as client:
        target = (await client.get("/catalogue/targets/rim-completed", params={"on": on})).json()
        listed = (await client.get("/catalogue/programmes/rummelig-imidt/targets", params={"on": on})).json()
    assert target["number_in_force"] == number
    assert target["figure"] == "completed"
    assert [a["number"] for a in target["amendments"]] == [810]
    assert next(t for t in listed if t["target_id"] == "rim-completed")["number_in_force"] == number


async def test_an_amendment_is_published_with_the_whole_history(app: FastAPI) -> None:
    programme = {**PROGRAMME}
    async with _client(app) as client:
        assert (await client.put("/catalogue/programmes/amend-test", json=programme)).status_code == 200
        target = {"programme_id": "amend-test", "figure": "participants", "number": 100, "set_on": "2020-01-01"}
        assert (await client.put("/catalogue/targets/amend-test-participants", json=target)).status_code == 200
        amended = await client.post(
            "/catalogue/targets/amend-test-participants/amendments",
            json={"number": 140, "effective_on": "2021-01-01", "reason": "more places granted"},
        )
        assert amended.status_code == 200, amended.text
        earlier = await client.post(
            "/catalogue/targets/amend-test-participants/amendments",
            json={"number": 90, "effective_on": "2020-06-01", "reason": "out of order"},
        )
    assert earlier.status_code == 422
    assert earlier.json()["type"] == "urn:rummelig:problem:amendment-not-later"
    published = [e for e in await _catalogue_events(app) if e["key"] == "target/amend-test-participants"]
    assert [e["type"] for e in published] == ["target.published", "target.published"]
    assert published[-1]["data"]["steps"] == [
        {"number": 100, "effective_on": "2020-01-01"},
        {"number": 140, "effective_on": "2021-01-01"},
    ]


async def test_the_same_extension_or_amendment_sent_twice_is_kept_once_and_published_once(app: FastAPI) -> None:
    # A retried POST (or a form sent by a double click) is the same decision: its second answer is the first one's.
    extension = {"ends_on": "2023-06-30", "decided_on": "2022-11-01", "reason": "six months more"}
    amendment = {"number": 150, "effective_on": "2021-07-01", "reason": "more places granted"}
    async with _client(app) as client:
        assert (await client.put("/catalogue/programmes/twice-test", json=PROGRAMME)).status_code == 200
        target = {"programme_id": "twice-test", "figure": "participants", "number": 100, "set_on": "2020-01-01"}
        assert (await client.put("/catalogue/targets/twice-test-participants", json=target)).status_code == 200
        extended = [await client.post("/catalogue/programmes/twice-test/extensions", json=extension) for _ in "12"]
        amended = [
            await client.post("/catalogue/targets/twice-test-participants/amendments", json=amendment) for _ in "12"
        ]
        other_reason = await client.post(
            "/catalogue/programmes/twice-test/extensions", json=extension | {"reason": "another decision"}
        )
    assert [a.status_code for a in extended + amended] == [200, 200, 200, 200]
    assert extended[0].json() == extended[1].json() and amended[0].json() == amended[1].json()
    assert extended[1].json()["extensions"] == [extension] and len(amended[1].json()["amendments"]) == 1
    assert other_reason.status_code == 422  # another decision to the same end is no extension
    events = await _catalogue_events(app)
    assert len([e for e in events if e["key"] == "programme/twice-test"]) == 2  # put, one extension
    assert len([e for e in events if e["key"] == "target/twice-test-participants"]) == 2  # put, one amendment


async def test_a_company_event_carries_neither_the_cvr_number_nor_the_name(app: FastAPI) -> None:
    company = COMPANIES["rim-company-1"]
    events = [e for e in await _catalogue_events(app) if e["key"] == "company/rim-company-1"]
    assert events
    raw = json.dumps(events)
    assert company.cvr not in raw
    assert company.name not in raw


BAD: dict[str, tuple[str, str, dict[str, Any], int, str]] = {
    "unknown sub-project": (
        "put",
        "/catalogue/targets/bad-target",
        {
            "programme_id": "rummelig-imidt",
            "subproject_id": "no-such",
            "figure": "completed",
            "number": 1,
            "set_on": "2016-01-01",
        },
        422,
        "subproject_id",
    ),
    "unknown programme": (
        "put",
        "/catalogue/targets/bad-target",
        {"programme_id": "rummelig-imdt", "figure": "completed", "number": 1, "set_on": "2016-01-01"},
        422,
        "programme_id",
    ),
    "CVR with 7 digits": (
        "put",
        "/catalogue/companies/bad-company",
        {
            "programme_id": "rummelig-imidt",
            "cvr": "1015081",
            "name": "X ApS",
            "kind": "commercial",
            "recruited_on": "2017-01-01",
        },
        422,
        "cvr",
    ),
    "CVR failing its check": (
        "put",
        "/catalogue/companies/bad-company",
        {
            "programme_id": "rummelig-imidt",
            "cvr": "10150818",
            "name": "X ApS",
            "kind": "commercial",
            "recruited_on": "2017-01-01",
        },
        422,
        "cvr",
    ),
    "end before start": (
        "put",
        "/catalogue/programmes/bad-programme",
        {**PROGRAMME, "ends_on": "2019-12-31"},
        422,
        "ends_on",
    ),
    "negative target": (
        "put",
        "/catalogue/targets/bad-target",
        {"programme_id": "rummelig-imidt", "figure": "completed", "number": -1, "set_on": "2016-01-01"},
        422,
        "number",
    ),
    "sub-project outside the programme": (
        "put",
        "/catalogue/subprojects/bad-subproject",
        {**SUBPROJECTS["war-veterans-aarhus"].model_dump(mode="json"), "ends_on": "2023-01-01"},
        422,
        "ends_on",
    ),
    "a 1 MB name": ("put", "/catalogue/programmes/bad-programme", {**PROGRAMME, "title": "x" * 1_000_000}, 413, ""),
    "a course of an unknown sub-project": (
        "put",
        "/catalogue/courses/bad-course",
        {**COURSE, "subproject_id": "no-such"},
        422,
        "subproject_id",
    ),
    "a course outside its sub-project's period": (
        "put",
        "/catalogue/courses/bad-course",
        {**COURSE, "ends_on": "2019-04-01"},
        422,
        "ends_on",
    ),
    "a course in a municipality its sub-project does not serve": (
        "put",
        "/catalogue/courses/bad-course",
        {**COURSE, "municipality": "727"},
        422,
        "municipality",
    ),
    "capacity -1": ("put", "/catalogue/courses/bad-course", {**COURSE, "capacity": -1}, 422, "capacity"),
    "capacity 0": ("put", "/catalogue/courses/bad-course", {**COURSE, "capacity": 0}, 422, "capacity"),
    "a course ending before it starts": (
        "put",
        "/catalogue/courses/bad-course",
        {**COURSE, "starts_on": "2018-01-01", "ends_on": "2017-12-31"},
        422,
        "ends_on",
    ),
    "a course without a title": ("put", "/catalogue/courses/bad-course", {**COURSE, "title": ""}, 422, "title"),
    "a course id with markup": ("put", "/catalogue/courses/%3Cscript%3E", COURSE, 422, "course_id"),
    "markup in a title": (
        "put",
        "/catalogue/programmes/bad-programme",
        {**PROGRAMME, "title": "<script>"},
        422,
        "title",
    ),
    "an unknown field": ("put", "/catalogue/programmes/bad-programme", {**PROGRAMME, "budget": 1}, 422, "budget"),
    "a target set on or after its amendment": (
        "put",
        "/catalogue/targets/rim-completed",
        {"programme_id": "rummelig-imidt", "figure": "completed", "number": 550, "set_on": "2019-03-01"},
        422,
        "set_on",
    ),
    "an extension that shortens": (
        "post",
        "/catalogue/programmes/rummelig-imidt/extensions",
        {"ends_on": "2021-01-01", "decided_on": "2020-01-01", "reason": "typo"},
        422,
        "ends_on",
    ),
}


@pytest.mark.parametrize("case", BAD, ids=list(BAD))
async def test_each_bad_input_gets_a_problem_and_changes_nothing(app: FastAPI, case: str) -> None:
    method, path, body, status, field = BAD[case]
    events = await _catalogue_events(app)
    async with _client(app) as client:
        before = [(await client.get(p)).json() for p in ("/catalogue/programmes", "/catalogue/courses")]
        response = await client.request(method.upper(), path, json=body)
        after = [(await client.get(p)).json() for p in ("/catalogue/programmes", "/catalogue/courses")]
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == PROBLEM_JSON
    if field:
        assert field in json.dumps(response.json()["errors"])
    assert after == before
    assert await _catalogue_events(app) == events


@pytest.mark.parametrize("role", ["caseworker", "operator"])
async def test_only_an_administrator_may_change_or_read_the_catalogue(app: FastAPI, role: Role) -> None:
    async with _client(app, role) as client:
        assert (await client.put("/catalogue/programmes/x", json=PROGRAMME)).status_code == 403
        assert (await client.get("/catalogue/programmes")).status_code == 403
        assert (await client.put("/catalogue/courses/x", json=COURSE)).status_code == 403


async def test_an_extension_is_kept_with_its_reason_and_moves_the_end_in_force(app: FastAPI) -> None:
    async with _client(app) as client:
        await client.put("/catalogue/programmes/extend-test", json=PROGRAMME)
        extended = await client.post(
            "/catalogue/programmes/extend-test/extensions",
            json={"ends_on": "2023-06-30", "decided_on": "2022-06-01", "reason": "forlænget et halvt år"},
        )
    assert extended.status_code == 200
    body = extended.json()
    assert (body["ends_on"], body["ends_in_force_on"]) == ("2022-12-31", "2023-06-30")
    assert body["extensions"] == [
        {"ends_on": "2023-06-30", "decided_on": "2022-06-01", "reason": "forlænget et halvt år"}
    ]
    published = [e for e in await _catalogue_events(app) if e["key"] == "programme/extend-test"]
    assert published[-1]["data"]["ends_on"] == "2023-06-30"


async def test_every_seeded_course_lies_inside_its_sub_project_and_the_programmes_real_period(app: FastAPI) -> None:
    async with _client(app) as client:
        courses = (await client.get("/catalogue/courses")).json()
        subprojects = {s["subproject_id"]: s for s in (await client.get("/catalogue/subprojects")).json()}
        programmes = {p["programme_id"]: p for p in (await client.get("/catalogue/programmes")).json()}
    assert {c["course_id"] for c in courses} >= set(COURSES)
    assert {c["subproject_id"] for c in courses} >= set(subprojects)  # every sub-project has a course
    for course in courses:
        subproject, programme = subprojects[course["subproject_id"]], programmes[course["programme_id"]]
        assert subproject["starts_on"] <= course["starts_on"] <= course["ends_on"] <= subproject["ends_on"], course
        assert programme["starts_on"] <= course["starts_on"] and course["ends_on"] <= programme["ends_in_force_on"]
        assert course["municipality"] in subproject["municipalities"]
    rim = [c for c in courses if c["programme_id"] == "rummelig-imidt"]
    assert rim and all(c["ends_on"] <= "2022-02-28" for c in rim)
    psych = next(c for c in courses if c["subproject_id"] == "psych-vulnerable-odder")
    assert (psych["capacity"], psych["ends_on"]) == (40, "2020-09-30")


async def test_a_course_is_published_whole_and_changed_in_place(app: FastAPI) -> None:
    async with _client(app) as client:
        created = await client.put("/catalogue/courses/course-api-test", json=COURSE)
        assert created.status_code == 200, created.text
        assert created.json() | {"course_id": None} == {
            **COURSE,
            "course_id": None,
            "programme_id": "rummelig-imidt",
            "waiting_list_open": False,
        }
        moved = await client.put(
            "/catalogue/courses/course-api-test", json={**COURSE, "capacity": 14, "waiting_list_open": True}
        )
        assert moved.status_code == 200, moved.text
    published = [e for e in await _catalogue_events(app) if e["key"] == "course-api-test"]
    assert [e["type"] for e in published] == ["course.published", "course.published"]
    assert published[-1]["data"] | {"course_id": None} == {
        **COURSE,
        "course_id": None,
        "programme_id": "rummelig-imidt",
        "capacity": 14,
        "waiting_list_open": True,
    }


async def test_a_course_keeps_a_seat_for_everyone_who_holds_one(app: FastAPI) -> None:
    async with _client(app) as client:
        assert (await client.put("/catalogue/courses/course-held", json=COURSE)).status_code == 200
    async with unit_of_work(app.state.sessions) as session:
        connection = await session.connection()
        for _ in range(3):
            await connection.execute(
                text(
                    "INSERT INTO participation (participant_id, course_id, status, enrolled_on, updated_at)"
                    " VALUES (gen_random_uuid(), 'course-held', 'enrolled', '2017-09-01', now())"
                )
            )
    async with _client(app) as client:
        fewer = await client.put("/catalogue/courses/course-held", json={**COURSE, "capacity": 2})
        assert fewer.status_code == 422 and fewer.json()["type"].endswith("capacity-below-seats-taken")
        moved = await client.put("/catalogue/courses/course-held", json={**COURSE, "subproject_id": "deaf-hedensted"})
        assert moved.status_code == 422 and moved.json()["type"].endswith("course-in-use")
        assert (await client.put("/catalogue/courses/course-held", json={**COURSE, "capacity": 3})).status_code == 200

"""The referral form (issue 19): only sub-projects serving the caseworker's municipality offered, posted through POST
/referrals' own use case (the same participant and outbox row), errors beside their fields and in the summary with
nothing stored, one referral per Idempotency-Key, CSRF, no form for roles without the duty, hostile input answered
plainly and escaped. On a migrated PostgreSQL without Kafka.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import AsyncIterator
from datetime import date, timedelta
from typing import Any
from uuid import uuid4

import httpx
import pytest
import pytest_asyncio
from fastapi import FastAPI

from deploy.synthetic import referral_body, synthetic_citizen
from services.intake.main import create_app as intake_app
from services.intake.pages.referral import FIELDS, SECTIONS
from services.intake.pages.referral_words import CONSENT_TEXT_VERSION, REFERRAL_WORDS
from shared.clock import today_in_copenhagen
from shared.contracts import ProgrammePublished, SubprojectPublished
from tests.fixtures.database import Databases
from tests.fixtures.handlers import deliver, outbox_rows, rows
from tests.fixtures.pages import Office, api_client, browser, intake_settings, open_office, rng, sign_in, token

MUNICIPALITIES = itertools.cycle(range(850, 900))  # of the tests' own; each test's programme is its own
TODAY = today_in_copenhagen()
_HIDDEN = re.compile(r'<input type="hidden" name="([a-z_]+)" value="([^"]*)">')
_OPTION = re.compile(r'<option value="([^"]+)"')


@pytest_asyncio.fixture(scope="module", loop_scope="session")
async def intake(databases: Databases) -> AsyncIterator[FastAPI]:
    """Intake built by its composition root on the test database; no broker is started."""
    app = intake_app(intake_settings(databases.url("intake")))
    yield app
    await app.state.sessions.kw["bind"].dispose()


@pytest_asyncio.fixture(loop_scope="session")
async def office(intake: FastAPI) -> Office:
    """A programme of the test's own, whose sub-project serves the office's municipality."""
    return await open_office(intake, str(next(MUNICIPALITIES)))


async def _elsewhere(app: FastAPI, office: Office, *, target_groups: list[str] | None = None) -> str:
    """Another sub-project of the office's programme, serving only a municipality that is not the office's."""
    subproject_id = f"sp-{uuid4().hex[:10]}"
    published = SubprojectPublished(
        subproject_id=subproject_id,
        programme_id=office.programme,
        title="Elsewhere",
        provider_kind="municipality",
        municipalities=["999"] if target_groups is None else [office.municipality],
        target_groups=target_groups or ["war-veterans"],
        coordinator_email="coordinator@example.org",
        scope="local",
        illustrative=True,
        starts_on=date(2015, 1, 1),
        ends_on=date(2030, 12, 31),
    )
    await deliver(app.state.sessions, "intake", published)
    return subproject_id


def _fields(office: Office, **overrides: str) -> dict[str, str]:
    """What a caseworker types into the form for a synthetic citizen (the API body of tests.fixtures.pages' refer)."""
    citizen = synthetic_citizen(rng)
    fields = {
        "cpr": citizen.cpr,
        "name": citizen.name,
        "referred_on": str(TODAY),
        "legal_basis": "consent",
        "consent": "yes",
        "phone": "",
        "email": "",
        "address": "",
        "programme_id": office.programme,
        "subproject_id": office.subproject,
        "target_group": "war-veterans",
        "responsible_caseworker_email": "",
        "labour_market_status": "unemployed",
        "months_unemployed": "14",
        "education_level": "isced-3-4",
        "benefit": "kontanthjaelp",
        "gender": "",
        "disability": "yes",
        "migrant_or_foreign_background": "not-asked",
        "minority": "refused",
        "homeless_or_housing_exclusion": "not-asked",
        "other_disadvantage": "not-asked",
        "third_country_national": "no",
        "rural_area": "not-asked",
    }
    return fields | overrides


def _hidden(page: httpx.Response) -> dict[str, str]:
    form = page.text.split('<form id="referral"', 1)[1].split("</form>", 1)[0]
    return dict(_HIDDEN.findall(form))


async def _post(client: httpx.AsyncClient, page: httpx.Response, fields: dict[str, str]) -> httpx.Response:
    return await client.post("/referrals/new", data=_hidden(page) | fields)


def _select(page: httpx.Response, name: str) -> list[str]:
    select = page.text.split(f'<select id="referral-{name}"', 1)[1].split("</select>", 1)[0]
    return _OPTION.findall(select)


def _summary(page: httpx.Response) -> str:
    return page.text.split('id="error-summary"', 1)[1].split("</div>", 1)[0]


async def _participants(app: FastAPI, office: Office) -> list[dict[str, Any]]:
    sql = "SELECT id, case_reference FROM participant WHERE programme_id = :p ORDER BY created_at"
    return await rows(app.state.sessions, sql, p=office.programme)


# --- the choices ------------------------------------------------------------------------------------------------------
async def test_the_form_offers_only_the_sub_projects_serving_the_caseworkers_municipality(
    intake: FastAPI, office: Office
) -> None:
    elsewhere = await _elsewhere(intake, office)
    async with browser(intake) as client:
        await sign_in(client, token(municipality=office.municipality))
        page = await client.get("/referrals/new")
    assert page.status_code == 200
    offered = _select(page, "subproject_id")
    assert office.subproject in offered and elsewhere not in offered
    assert office.programme in _select(page, "programme_id") and "war-veterans" in _select(page, "target_group")
    assert CONSENT_TEXT_VERSION in page.text  # the version of the consent text shown
    for field in ("cpr", "name", "referred_on", "consent", "third_country_national", "rural_area", "months_unemployed"):
        assert f'<label for="referral-{field}">' in page.text
    assert "<title>Ny henvisning" in page.text and 'href="/referrals/new"' in page.text  # the header's link
    controls = re.findall(
        r'<(?:input|select) (?:type="[a-z]+" )?(?:inputmode="numeric" )?id="(referral-[a-z_]+)"', page.text
    )
    assert len(controls) == len(FIELDS)
    assert [c for c in controls if f'<label for="{c}">' not in page.text] == []  # every control labelled


async def test_the_form_speaks_english_when_asked(intake: FastAPI, office: Office) -> None:
    async with browser(intake) as client:
        await sign_in(client, token(municipality=office.municipality))
        page = await client.get("/referrals/new", params={"lang": "en"})
    assert page.status_code == 200 and '<html lang="en">' in page.text
    assert "<title>New referral" in page.text and "Third-country" not in page.text
    assert '<label for="referral-third_country_national">National of a country outside the EU</label>' in page.text


def test_every_field_section_hint_and_code_has_words_in_both_languages() -> None:
    assert set(REFERRAL_WORDS["da"]) == set(REFERRAL_WORDS["en"])
    needed = {f"field_{name}" for name in FIELDS} | {f"section_{section}" for section, _ in SECTIONS}
    needed |= {f"hint_{name}" for name, field in FIELDS.items() if field.hint}
    needed |= {f"code_{code}" for field in FIELDS.values() for code in field.choices}
    assert needed - set(REFERRAL_WORDS["da"]) == set()


# --- the same referral as the API's -----------------------------------------------------------------------------------
async def test_a_valid_form_makes_exactly_the_referral_the_api_makes_and_leads_to_its_case(
    intake: FastAPI, office: Office
) -> None:
    bearer = token(municipality=office.municipality)
    fields = _fields(office)
    async with browser(intake) as client:
        await sign_in(client, bearer)
        answer = await _post(client, await client.get("/referrals/new"), fields)
        [by_page] = await _participants(intake, office)
        assert answer.status_code == 303 and answer.headers["location"] == f"/cases/{by_page['case_reference']}"
        case = await client.get(answer.headers["location"])
    assert case.status_code == 200 and fields["name"] in case.text
    # the same citizen and answers through POST /referrals, to a second programme serving the same municipality
    second = await open_office(intake, office.municipality)
    body = referral_body(
        synthetic_citizen(rng),
        cpr=fields["cpr"],
        name=fields["name"],
        referred_on=str(TODAY),
        programme_id=second.programme,
        subproject_id=second.subproject,
        disadvantages={"disability": "yes", "minority": "refused", "third_country_national": "no"},
    )
    async with api_client(intake, bearer) as api:
        created = await api.post("/referrals", json=body, headers={"Idempotency-Key": uuid4().hex})
    assert created.status_code == 201, created.text
    [page_row] = await outbox_rows(intake.state.sessions, by_page["id"])
    [api_row] = await outbox_rows(intake.state.sessions, created.json()["participant_id"])
    assert (page_row.type, page_row.version, page_row.topic) == (api_row.type, api_row.version, api_row.topic)
    ignored = {"participant_id", "case_reference", "programme_id", "subproject_id"}
    assert {k: v for k, v in page_row.data.items() if k not in ignored} == {
        k: v for k, v in api_row.data.items() if k not in ignored
    }
    sql = (
        "SELECT municipality, caseworker_email, legal_basis, consent_text_version, consent_given_on, referred_on,"
        " characteristics FROM participant WHERE id = :i"
    )
    [from_page] = await rows(intake.state.sessions, sql, i=by_page["id"])
    [from_api] = await rows(intake.state.sessions, sql, i=created.json()["participant_id"])
    for stored in (from_page, from_api):  # where the two differ by design: the programme
        stored["characteristics"] = {k: v for k, v in stored["characteristics"].items() if k not in ignored}
    assert from_page == from_api
    assert (from_page["consent_text_version"], from_page["consent_given_on"]) == (CONSENT_TEXT_VERSION, TODAY)


# --- errors beside the fields -----------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("overrides", "field", "words"),
    [
        ({"cpr": "311399-1234"}, "cpr", "Skriv et gyldigt CPR-nummer"),
        ({"referred_on": str(TODAY + timedelta(days=3))}, "referred_on", "fremtiden"),
        ({"subproject_id": "elsewhere"}, "subproject_id", "arbejder ikke i din kommune"),
        ({"target_group": "young-neet"}, "target_group", "arbejder ikke med den målgruppe"),
        ({"consent": ""}, "consent", "skal borgeren give samtykke"),
        ({"months_unemployed": "fjorten"}, "months_unemployed", "helt antal måneder"),
        ({"labour_market_status": "employed"}, "months_unemployed", "kun for en ledig borger"),
        ({"disability": "maybe"}, "disability", "Vælg en mulighed"),
        ({"phone": "call me"}, "phone", "telefonnummer"),
    ],
    ids=[
        "cpr",
        "future-date",
        "municipality-not-served",
        "target-group",
        "consent",
        "months",
        "months-employed",
        "disadvantage",
        "phone",
    ],
)
async def test_a_wrong_field_is_shown_beside_it_and_in_the_summary_and_nothing_is_stored(
    intake: FastAPI, office: Office, overrides: dict[str, str], field: str, words: str
) -> None:
    if overrides.get("subproject_id") == "elsewhere":
        overrides = {"subproject_id": await _elsewhere(intake, office)}
    fields = _fields(office, **overrides)
    async with browser(intake) as client:
        await sign_in(client, token(municipality=office.municipality))
        page = await client.get("/referrals/new")
        answer = await _post(client, page, fields)
    assert answer.status_code == 422, answer.text
    beside = answer.text.split(f'id="referral-{field}-error">', 1)[1].split("</p>", 1)[0]
    assert words in beside
    assert f'href="#referral-{field}"' in _summary(answer)
    assert f'value="{fields["name"]}"' in answer.text  # the values kept
    assert _hidden(answer)["idempotency_key"] == _hidden(page)["idempotency_key"]  # a corrected resend is one referral
    assert await _participants(intake, office) == []


async def test_a_wrong_cpr_number_a_future_date_and_a_sub_project_elsewhere_are_all_shown_at_once(
    intake: FastAPI, office: Office
) -> None:
    fields = _fields(
        office,
        cpr="311399-1234",
        referred_on=str(TODAY + timedelta(days=3)),
        subproject_id=await _elsewhere(intake, office),
    )
    async with browser(intake) as client:
        await sign_in(client, token(municipality=office.municipality))
        answer = await _post(client, await client.get("/referrals/new"), fields)
    assert answer.status_code == 422
    summary = _summary(answer)
    for field in ("cpr", "referred_on", "subproject_id"):  # the browser journey, in one post
        assert f'id="referral-{field}-error"' in answer.text and f'href="#referral-{field}"' in summary
    assert "arbejder ikke i din kommune" in answer.text
    assert await _participants(intake, office) == []


async def test_a_citizen_with_an_open_case_is_refused_with_a_link_to_it(intake: FastAPI, office: Office) -> None:
    bearer = token(municipality=office.municipality)
    fields = _fields(office)
    async with browser(intake) as client:
        await sign_in(client, bearer)
        await _post(client, await client.get("/referrals/new"), fields)
        again = await _post(client, await client.get("/referrals/new"), fields)  # a new form: a new key
    [case] = await _participants(intake, office)
    assert again.status_code == 409
    assert 'id="refusal"' in again.text and f'href="/cases/{case["case_reference"]}"' in again.text


# --- Idempotency-Key, CSRF, roles -------------------------------------------------------------------------------------
async def test_a_form_sent_twice_with_its_key_makes_one_referral(intake: FastAPI, office: Office) -> None:
    fields = _fields(office)
    async with browser(intake) as client:
        await sign_in(client, token(municipality=office.municipality))
        page = await client.get("/referrals/new")
        first, second = await _post(client, page, fields), await _post(client, page, fields)
    [case] = await _participants(intake, office)
    assert first.status_code == second.status_code == 303
    assert first.headers["location"] == second.headers["location"] == f"/cases/{case['case_reference']}"
    assert len(await outbox_rows(intake.state.sessions, case["id"])) == 1


async def test_a_form_without_its_csrf_token_or_key_is_refused_and_nothing_is_stored(
    intake: FastAPI, office: Office
) -> None:
    async with browser(intake) as client:
        await sign_in(client, token(municipality=office.municipality))
        hidden = _hidden(await client.get("/referrals/new"))
        fields = _fields(office) | hidden
        del fields["csrf_token"]
        missing = await client.post("/referrals/new", data=fields)
        wrong = await client.post("/referrals/new", data=fields | {"csrf_token": "x" * 43})
        keyless = await client.post(
            "/referrals/new", data=fields | {"csrf_token": hidden["csrf_token"], "idempotency_key": ""}
        )
    assert missing.status_code == wrong.status_code == 403
    assert keyless.status_code == 422
    assert await _participants(intake, office) == []


@pytest.mark.parametrize(
    "claims",
    [{"role": "operator", "programmes": ["rummelig-plus"]}, {"role": "provider-staff", "subprojects": ["sub-a"]}],
    ids=["operator", "provider-staff"],
)
async def test_a_session_without_the_caseworkers_duty_gets_no_form_and_stores_nothing(
    intake: FastAPI, office: Office, claims: dict[str, Any]
) -> None:
    role = claims.pop("role")
    async with browser(intake) as client:
        await sign_in(client, token(role, **claims))
        page = await client.get("/referrals/new")
        sign_out_form = page.text.split('action="/sign-out"', 1)[1]
        csrf = _HIDDEN.search(sign_out_form)
        assert csrf is not None
        posted = await client.post("/referrals/new", data=_fields(office) | {"csrf_token": csrf.group(2)})
    assert page.status_code == posted.status_code == 403
    assert 'id="referral"' not in page.text and 'name="cpr"' not in page.text
    assert await _participants(intake, office) == []


async def test_a_signed_out_browser_is_sent_to_sign_in(intake: FastAPI) -> None:
    async with browser(intake) as client:
        answer = await client.get("/referrals/new")
    assert answer.status_code == 303 and answer.headers["location"].startswith("/sign-in?next=%2Freferrals%2Fnew")


# --- hostile input ----------------------------------------------------------------------------------------------------
async def test_script_tags_and_huge_values_are_refused_plainly_escaped_and_nothing_is_stored(
    intake: FastAPI, office: Office
) -> None:
    script = "<script>alert(1)</script>"
    hostile = _fields(office, name=script, address="x" * 10_000, cpr=f"{script}-1234", programme_id='"><b>p</b>')
    async with browser(intake) as client:
        await sign_in(client, token(municipality=office.municipality))
        page = await client.get("/referrals/new")
        answer = await _post(client, page, hostile)
        huge = await _post(client, page, _fields(office, name="A" * 20_000))  # beyond the form's 16 kB
    assert answer.status_code == 422
    assert script not in answer.text and "&lt;script&gt;alert(1)&lt;/script&gt;" in answer.text
    assert "<b>p</b>" not in answer.text
    for field, words in (("name", "Skriv navnet med bogstaver"), ("address", "for lang"), ("cpr", "gyldigt CPR")):
        assert words in answer.text.split(f'id="referral-{field}-error">', 1)[1].split("</p>", 1)[0]
    assert huge.status_code == 413 and "A" * 200 not in huge.text
    assert await _participants(intake, office) == []


async def test_a_public_task_referral_takes_no_consent(intake: FastAPI, office: Office) -> None:
    async with browser(intake) as client:
        await sign_in(client, token(municipality=office.municipality))
        page = await client.get("/referrals/new")
        ticked = await _post(client, page, _fields(office, legal_basis="public-task"))
        answer = await _post(client, page, _fields(office, legal_basis="public-task", consent=""))
    assert ticked.status_code == 422 and 'id="referral-consent-error"' in ticked.text
    assert answer.status_code == 303
    [case] = await _participants(intake, office)
    sql = "SELECT legal_basis, consent_text_version FROM participant WHERE id = :i"
    assert await rows(intake.state.sessions, sql, i=case["id"]) == [
        {"legal_basis": "public-task", "consent_text_version": None}
    ]


async def test_the_programme_must_be_running_on_the_referral_date(intake: FastAPI, office: Office) -> None:
    ended = ProgrammePublished.model_validate(
        {
            "programme_id": f"pg-{uuid4().hex[:10]}",
            "title": "Ended",
            "operator": "Tests",
            "region": "Midtjylland",
            "fund": "esf-plus-2021-2027",
            "settings": {
                "flex_job_counts_as_employment": True,
                "wage_subsidy_counts_as_employment": False,
                "cr04_reading": "every-participant",
                "min_cell": 5,
                "six_month_result_grace_days": 90,
            },
            "starts_on": "2015-01-01",
            "ends_on": "2016-12-31",
        }
    )
    await deliver(intake.state.sessions, "intake", ended)
    async with browser(intake) as client:
        await sign_in(client, token(municipality=office.municipality))
        answer = await _post(
            client, await client.get("/referrals/new"), _fields(office, programme_id=ended.programme_id)
        )
    assert answer.status_code == 422
    assert "uden for programmets periode" in answer.text.split('id="referral-referred_on-error">', 1)[1]
    assert ended.programme_id not in _select(answer, "programme_id")  # not offered either

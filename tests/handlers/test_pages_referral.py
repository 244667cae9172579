"""The referral form (issue 19): only sub-projects serving the caseworker's municipality offered, in Danish or
English, every control labelled; posted through POST /referrals' own use case (the same participant and outbox row);
one referral per Idempotency-Key, CSRF, no form for roles without the duty; a public task's referral without consent.
Errors beside their fields and hostile input are in test_pages_referral_errors.py. On a migrated PostgreSQL without
Kafka.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import AsyncIterator
from typing import Any
from uuid import uuid4

import pytest
import pytest_asyncio
from fastapi import FastAPI

from deploy.synthetic import referral_body, synthetic_citizen
from services.intake.pages.referral import FIELDS, SECTIONS
from services.intake.pages.referral_words import CONSENT_TEXT_VERSION, REFERRAL_WORDS
from tests.fixtures.database import Databases
from tests.fixtures.handlers import outbox_rows, rows
from tests.fixtures.pages import Office, api_client, browser, open_office, rng, running_intake, sign_in, token
from tests.fixtures.referral_form import (
    HIDDEN,
    TODAY,
    form_hidden,
    options,
    participants,
    post_referral,
    subproject_elsewhere,
    typed,
)

# of the tests' own; each test's programme is its own (test_pages_referral_errors.py counts up from 641)
MUNICIPALITIES = itertools.cycle(range(850, 900))


@pytest_asyncio.fixture(scope="module", loop_scope="session")
async def intake(databases: Databases) -> AsyncIterator[FastAPI]:
    """Intake built by its composition root on the test database; no broker is started."""
    async with running_intake(databases) as app:
        yield app


@pytest_asyncio.fixture(loop_scope="session")
async def office(intake: FastAPI) -> Office:
    """A programme of the test's own, whose sub-project serves the office's municipality."""
    return await open_office(intake, str(next(MUNICIPALITIES)))


# --- the choices ------------------------------------------------------------------------------------------------------
async def test_the_form_offers_only_the_sub_projects_serving_the_caseworkers_municipality(
    intake: FastAPI, office: Office
) -> None:
    elsewhere = await subproject_elsewhere(intake, office)
    async with browser(intake) as client:
        await sign_in(client, token(municipality=office.municipality))
        page = await client.get("/referrals/new")
    assert page.status_code == 200
    offered = options(page, "subproject_id")
    assert office.subproject in offered and elsewhere not in offered
    assert office.programme in options(page, "programme_id") and "war-veterans" in options(page, "target_group")
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
    fields = typed(office)
    async with browser(intake) as client:
        await sign_in(client, bearer)
        answer = await post_referral(client, await client.get("/referrals/new"), fields)
        [by_page] = await participants(intake, office)
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


# --- Idempotency-Key, CSRF, roles -------------------------------------------------------------------------------------
async def test_a_form_sent_twice_with_its_key_makes_one_referral(intake: FastAPI, office: Office) -> None:
    fields = typed(office)
    async with browser(intake) as client:
        await sign_in(client, token(municipality=office.municipality))
        page = await client.get("/referrals/new")
        first, second = await post_referral(client, page, fields), await post_referral(client, page, fields)
    [case] = await participants(intake, office)
    assert first.status_code == second.status_code == 303
    assert first.headers["location"] == second.headers["location"] == f"/cases/{case['case_reference']}"
    assert len(await outbox_rows(intake.state.sessions, case["id"])) == 1


async def test_a_form_without_its_csrf_token_or_key_is_refused_and_nothing_is_stored(
    intake: FastAPI, office: Office
) -> None:
    async with browser(intake) as client:
        await sign_in(client, token(municipality=office.municipality))
        hidden = form_hidden(await client.get("/referrals/new"))
        fields = typed(office) | hidden
        del fields["csrf_token"]
        missing = await client.post("/referrals/new", data=fields)
        wrong = await client.post("/referrals/new", data=fields | {"csrf_token": "x" * 43})
        keyless = await client.post(
            "/referrals/new", data=fields | {"csrf_token": hidden["csrf_token"], "idempotency_key": ""}
        )
    assert missing.status_code == wrong.status_code == 403
    assert keyless.status_code == 422
    assert await participants(intake, office) == []


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
        csrf = HIDDEN.search(sign_out_form)
        assert csrf is not None
        posted = await client.post("/referrals/new", data=typed(office) | {"csrf_token": csrf.group(2)})
    assert page.status_code == posted.status_code == 403
    assert 'id="referral"' not in page.text and 'name="cpr"' not in page.text
    assert await participants(intake, office) == []


async def test_a_signed_out_browser_is_sent_to_sign_in(intake: FastAPI) -> None:
    async with browser(intake) as client:
        answer = await client.get("/referrals/new")
    assert answer.status_code == 303 and answer.headers["location"].startswith("/sign-in?next=%2Freferrals%2Fnew")


# --- a public task ----------------------------------------------------------------------------------------------------
async def test_a_public_task_referral_takes_no_consent(intake: FastAPI, office: Office) -> None:
    async with browser(intake) as client:
        await sign_in(client, token(municipality=office.municipality))
        page = await client.get("/referrals/new")
        ticked = await post_referral(client, page, typed(office, legal_basis="public-task"))
        answer = await post_referral(client, page, typed(office, legal_basis="public-task", consent=""))
    assert ticked.status_code == 422 and 'id="referral-consent-error"' in ticked.text
    assert answer.status_code == 303
    [case] = await participants(intake, office)
    sql = "SELECT legal_basis, consent_text_version FROM participant WHERE id = :i"
    assert await rows(intake.state.sessions, sql, i=case["id"]) == [
        {"legal_basis": "public-task", "consent_text_version": None}
    ]

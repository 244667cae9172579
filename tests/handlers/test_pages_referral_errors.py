"""The referral form's refusals (issue 19): a wrong field shown beside it and in the summary with nothing stored, the
values kept and the same Idempotency-Key for the corrected resend; several errors at once; a citizen with an open case
refused with a link to it; hostile input (script tags, huge values) refused plainly and escaped; a programme not
running on the referral date. The form itself and a valid referral are in test_pages_referral.py. On a migrated
PostgreSQL without Kafka.
"""

from __future__ import annotations

import itertools
from collections.abc import AsyncIterator
from datetime import timedelta
from uuid import uuid4

import pytest
import pytest_asyncio
from fastapi import FastAPI

from shared.contracts import ProgrammePublished
from tests.fixtures.database import Databases
from tests.fixtures.handlers import deliver
from tests.fixtures.pages import Office, browser, open_office, running_intake, sign_in, token
from tests.fixtures.referral_form import (
    TODAY,
    error_summary,
    form_hidden,
    options,
    participants,
    post_referral,
    subproject_elsewhere,
    typed,
)

MUNICIPALITIES = itertools.count(641)  # no other module's; one a test: 641-65x (test_pages_referral.py: 850-899)


@pytest_asyncio.fixture(scope="module", loop_scope="session")
async def intake(databases: Databases) -> AsyncIterator[FastAPI]:
    """Intake built by its composition root on the test database; no broker is started."""
    async with running_intake(databases) as app:
        yield app


@pytest_asyncio.fixture(loop_scope="session")
async def office(intake: FastAPI) -> Office:
    """A programme of the test's own, whose sub-project serves the office's municipality."""
    return await open_office(intake, str(next(MUNICIPALITIES)))


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
        overrides = {"subproject_id": await subproject_elsewhere(intake, office)}
    fields = typed(office, **overrides)
    async with browser(intake) as client:
        await sign_in(client, token(municipality=office.municipality))
        page = await client.get("/referrals/new")
        answer = await post_referral(client, page, fields)
    assert answer.status_code == 422, answer.text
    beside = answer.text.split(f'id="referral-{field}-error">', 1)[1].split("</p>", 1)[0]
    assert words in beside
    assert f'href="#referral-{field}"' in error_summary(answer)
    assert f'value="{fields["name"]}"' in answer.text  # the values kept
    # a corrected resend is one referral
    assert form_hidden(answer)["idempotency_key"] == form_hidden(page)["idempotency_key"]
    assert await participants(intake, office) == []


async def test_a_wrong_cpr_number_a_future_date_and_a_sub_project_elsewhere_are_all_shown_at_once(
    intake: FastAPI, office: Office
) -> None:
    fields = typed(
        office,
        cpr="311399-1234",
        referred_on=str(TODAY + timedelta(days=3)),
        subproject_id=await subproject_elsewhere(intake, office),
    )
    async with browser(intake) as client:
        await sign_in(client, token(municipality=office.municipality))
        answer = await post_referral(client, await client.get("/referrals/new"), fields)
    assert answer.status_code == 422
    summary = error_summary(answer)
    for field in ("cpr", "referred_on", "subproject_id"):  # the browser journey, in one post
        assert f'id="referral-{field}-error"' in answer.text and f'href="#referral-{field}"' in summary
    assert "arbejder ikke i din kommune" in answer.text
    assert await participants(intake, office) == []


async def test_a_citizen_with_an_open_case_is_refused_with_a_link_to_it(intake: FastAPI, office: Office) -> None:
    bearer = token(municipality=office.municipality)
    fields = typed(office)
    async with browser(intake) as client:
        await sign_in(client, bearer)
        await post_referral(client, await client.get("/referrals/new"), fields)
        again = await post_referral(client, await client.get("/referrals/new"), fields)  # a new form: a new key
    [case] = await participants(intake, office)
    assert again.status_code == 409
    assert 'id="refusal"' in again.text and f'href="/cases/{case["case_reference"]}"' in again.text


# --- hostile input ----------------------------------------------------------------------------------------------------
async def test_script_tags_and_huge_values_are_refused_plainly_escaped_and_nothing_is_stored(
    intake: FastAPI, office: Office
) -> None:
    script = "<script>alert(1)</script>"
    hostile = typed(office, name=script, address="x" * 10_000, cpr=f"{script}-1234", programme_id='"><b>p</b>')
    async with browser(intake) as client:
        await sign_in(client, token(municipality=office.municipality))
        page = await client.get("/referrals/new")
        answer = await post_referral(client, page, hostile)
        huge = await post_referral(client, page, typed(office, name="A" * 20_000))  # beyond the form's 16 kB
    assert answer.status_code == 422
    assert script not in answer.text and "&lt;script&gt;alert(1)&lt;/script&gt;" in answer.text
    assert "<b>p</b>" not in answer.text
    for field, words in (("name", "Skriv navnet med bogstaver"), ("address", "for lang"), ("cpr", "gyldigt CPR")):
        assert words in answer.text.split(f'id="referral-{field}-error">', 1)[1].split("</p>", 1)[0]
    assert huge.status_code == 413 and "A" * 200 not in huge.text
    assert await participants(intake, office) == []


# --- the programme's period -------------------------------------------------------------------------------------------
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
        answer = await post_referral(
            client, await client.get("/referrals/new"), typed(office, programme_id=ended.programme_id)
        )
    assert answer.status_code == 422
    assert "uden for programmets periode" in answer.text.split('id="referral-referred_on-error">', 1)[1]
    assert ended.programme_id not in options(answer, "programme_id")  # not offered either

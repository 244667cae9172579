"""The caseworker pages' sign-in, web session, CSRF protection, security headers and language, on a migrated
PostgreSQL without Kafka: intake is built by its composition root and called in-process like a browser would.
"""

from __future__ import annotations

import hashlib
import itertools
import re
from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path

import httpx
import pytest
import pytest_asyncio
from fastapi import FastAPI
from fastapi.routing import APIRoute

from services.intake.main import create_app as intake_app
from services.intake.pages import actions as pages_actions
from services.intake.pages import api as pages_api
from shared.pages import web as shared_pages
from shared.pages.web import SESSION_COOKIE, SIGN_IN_COOKIE
from tests.fixtures.database import Databases
from tests.fixtures.pages import (
    Office,
    audit_of,
    browser,
    csrf_of,
    execute,
    intake_settings,
    open_office,
    sign_in,
    token,
)

MUNICIPALITIES = itertools.count(491)  # no other module's
HEADERS = {
    "cache-control": "no-store",
    "referrer-policy": "no-referrer",
    "x-content-type-options": "nosniff",
}


@pytest_asyncio.fixture(scope="module", loop_scope="session")
async def intake(databases: Databases) -> AsyncIterator[FastAPI]:
    """Intake built by its composition root on the test database; no broker is started."""
    app = intake_app(intake_settings(databases.url("intake")))
    yield app
    await app.state.sessions.kw["bind"].dispose()


@pytest_asyncio.fixture(loop_scope="session")
async def office(intake: FastAPI) -> Office:
    """A municipality of the test's own with a programme."""
    return await open_office(intake, str(next(MUNICIPALITIES)))


def _cookie(response: httpx.Response, name: str) -> str:
    """The raw Set-Cookie header that sets the cookie."""
    found = [h for h in response.headers.get_list("set-cookie") if h.startswith(f"{name}=")]
    assert len(found) == 1, response.headers.get_list("set-cookie")
    return found[0]


def _attributes(set_cookie: str) -> set[str]:
    return {part.strip().split("=")[0].lower() for part in set_cookie.split(";")[1:]}


def _assert_page_headers(response: httpx.Response) -> None:
    where = f"{response.request.method} {response.request.url.path} ({response.status_code})"
    for name, value in HEADERS.items():
        assert response.headers.get(name) == value, f"{where}: {name} is {response.headers.get(name)!r}"
    csp = response.headers.get("content-security-policy", "")
    assert "frame-ancestors 'none'" in csp, where
    assert "default-src 'none'" in csp, where
    assert "unsafe-inline" not in csp and "unsafe-eval" not in csp, where


# --- sign-in ----------------------------------------------------------------------------------------------------------
async def test_a_good_token_signs_in_with_a_session_cookie_that_scripts_and_other_sites_cannot_use(
    intake: FastAPI, office: Office
) -> None:
    async with browser(intake) as client:
        answer = await sign_in(client, token(municipality=office.municipality))
        cookie = _cookie(answer, SESSION_COOKIE)
        assert answer.status_code == 303 and answer.headers["location"] == "/cases"
        assert {"httponly", "path"} <= _attributes(cookie) and "samesite=strict" in cookie.lower()
        assert "path=/;" in cookie.lower() + ";" and "secure" not in _attributes(cookie)  # plain http: not Secure
        assert "max-age" not in _attributes(cookie) and "expires" not in _attributes(cookie)  # dies with the browser
        assert (await client.get("/cases")).status_code == 200


@pytest.mark.parametrize(
    ("base_url", "headers"),
    [("https://intake.test", {}), ("http://intake.test", {"X-Forwarded-Proto": "https"})],
)
async def test_the_cookie_is_secure_when_the_browser_came_over_tls(
    intake: FastAPI, office: Office, base_url: str, headers: dict[str, str]
) -> None:
    async with browser(intake, base_url=base_url) as client:
        client.headers.update(headers)
        form = await client.get("/sign-in")
        assert "secure" in _attributes(_cookie(form, SIGN_IN_COOKIE))
        # behind a TLS proxy the browser speaks https; this client speaks http, so it is handed the cookie itself
        client.cookies.set(SIGN_IN_COOKIE, csrf_of(form.text))
        data = {"csrf_token": csrf_of(form.text), "token": token(municipality=office.municipality), "next": ""}
        answer = await client.post("/sign-in", data=data)
    assert answer.status_code == 303
    assert "secure" in _attributes(_cookie(answer, SESSION_COOKIE))


@pytest.mark.parametrize(
    "bearer",
    [
        "not-a-token",
        token(municipality="950", ttl=timedelta(seconds=-5)),  # expired
        token(municipality="950")[:-4] + "AAAA",  # signature broken
    ],
    ids=["wrong", "expired", "tampered"],
)
async def test_a_wrong_or_expired_token_gets_the_form_again_with_its_error_and_no_session(
    intake: FastAPI, bearer: str
) -> None:
    async with browser(intake) as client:
        answer = await sign_in(client, bearer, next_path="/cases/RUM-000001")
        assert answer.status_code == 400
        assert SESSION_COOKIE not in answer.headers.get("set-cookie", "")
        assert 'aria-invalid="true"' in answer.text and 'href="#token"' in answer.text
        assert 'name="next" value="/cases/RUM-000001"' in answer.text  # still on the way there
        assert (await client.get("/cases")).status_code == 303


async def test_sign_in_without_its_pre_session_cookie_or_from_another_site_is_refused(intake: FastAPI) -> None:
    bearer = token(municipality="950")
    async with browser(intake) as client:  # a form posted by another site: no cookie, a token it guessed
        refused = await client.post("/sign-in", data={"csrf_token": "guess", "token": bearer, "next": "/cases"})
    assert refused.status_code == 403 and SESSION_COOKIE not in refused.headers.get("set-cookie", "")
    async with browser(intake) as client:
        form = await client.get("/sign-in")
        data = {"csrf_token": csrf_of(form.text), "token": bearer, "next": ""}
        foreign = await client.post("/sign-in", data=data, headers={"Origin": "https://evil.example"})
        assert foreign.status_code == 403
        assert (await client.post("/sign-in", data=data | {"csrf_token": "other"})).status_code == 403
        assert (await client.post("/sign-in", data=data)).status_code == 303


async def test_sign_in_from_our_own_page_with_origin_null_is_taken(intake: FastAPI) -> None:
    """Browsers send Origin: null from a page with Referrer-Policy: no-referrer (Chromium and Firefox do)."""
    async with browser(intake) as client:
        form = await client.get("/sign-in")
        data = {"csrf_token": csrf_of(form.text), "token": token(municipality="950"), "next": ""}
        signed_in = await client.post("/sign-in", data=data, headers={"Origin": "null"})
        assert signed_in.status_code == 303 and SESSION_COOKIE in signed_in.headers.get("set-cookie", "")


async def test_after_sign_in_the_browser_goes_back_to_the_page_it_asked_for(intake: FastAPI, office: Office) -> None:
    bearer = token(municipality=office.municipality)
    reference = (await office.refer(bearer)).case_reference
    async with browser(intake) as client:
        asked = await client.get(f"/cases/{reference}")  # the reminder email's link
        assert asked.status_code == 303
        assert asked.headers["location"] == f"/sign-in?next=%2Fcases%2F{reference}"
        form = await client.get(asked.headers["location"])
        assert f'name="next" value="/cases/{reference}"' in form.text
        # from an email the SameSite=Strict cookie is not sent; a link on our own page carries it if still signed in
        assert f'<a href="/cases/{reference}">' in form.text
        answer = await sign_in(client, bearer, next_path=f"/cases/{reference}")
        assert answer.headers["location"] == f"/cases/{reference}"
        assert (await client.get(answer.headers["location"])).status_code == 200


@pytest.mark.parametrize(
    "asked", ["//evil.example", "/\\evil.example", "https://evil.example/cases", "evil", "/%0d%0aSet-Cookie:x", ""]
)
async def test_sign_in_never_leads_to_another_site(intake: FastAPI, asked: str) -> None:
    async with browser(intake) as client:
        answer = await sign_in(client, token(municipality="950"), next_path=asked or None)
    assert answer.status_code == 303
    location = answer.headers["location"]
    assert location.startswith("/") and not location.startswith(("//", "/\\"))
    assert location == "/cases" or location == asked


async def test_an_idle_session_ends_and_sign_in_returns_to_the_page(intake: FastAPI, office: Office) -> None:
    bearer = token(municipality=office.municipality)
    reference = (await office.refer(bearer)).case_reference
    async with browser(intake) as client:
        await sign_in(client, bearer)
        assert (await client.get(f"/cases/{reference}")).status_code == 200
        session_id = client.cookies[SESSION_COOKIE]
        id_hash = hashlib.sha256(session_id.encode()).digest()
        # 29 minutes idle: still live (the default is 30)
        await execute(
            intake, "UPDATE page_session SET last_seen_at = now() - interval '29 minutes' WHERE id_hash = :h", h=id_hash
        )
        assert (await client.get("/cases")).status_code == 200
        await execute(
            intake, "UPDATE page_session SET last_seen_at = now() - interval '31 minutes' WHERE id_hash = :h", h=id_hash
        )
        expired = await client.get(f"/cases/{reference}")
        assert expired.status_code == 303 and expired.headers["location"] == f"/sign-in?next=%2Fcases%2F{reference}"
        again = await sign_in(client, bearer, next_path=f"/cases/{reference}")
        assert again.headers["location"] == f"/cases/{reference}"
        assert client.cookies[SESSION_COOKIE] != session_id  # a new session, never the old id
        assert (await client.get(f"/cases/{reference}")).status_code == 200


async def test_a_session_ends_with_its_token_however_busy(intake: FastAPI, office: Office) -> None:
    async with browser(intake) as client:
        await sign_in(client, token(municipality=office.municipality))
        id_hash = hashlib.sha256(client.cookies[SESSION_COOKIE].encode()).digest()
        await execute(
            intake,
            "UPDATE page_session SET token_expires_at = now() - interval '1 second' WHERE id_hash = :h",
            h=id_hash,
        )
        answer = await client.get("/cases?status=started")
    assert answer.status_code == 303 and answer.headers["location"] == "/sign-in?next=%2Fcases%3Fstatus%3Dstarted"


async def test_sign_out_ends_the_session_for_good(intake: FastAPI, office: Office) -> None:
    async with browser(intake) as client:
        await sign_in(client, token(municipality=office.municipality))
        stolen = client.cookies[SESSION_COOKIE]
        page = await client.get("/cases")
        answer = await client.post("/sign-out", data={"csrf_token": csrf_of(page.text)})
        assert answer.status_code == 303 and answer.headers["location"] == "/sign-in"
        assert SESSION_COOKIE not in client.cookies
    async with browser(intake) as other:  # the old cookie, replayed, opens nothing
        other.cookies.set(SESSION_COOKIE, stolen)
        assert (await other.get("/cases")).status_code == 303


# --- CSRF -------------------------------------------------------------------------------------------------------------
@pytest.mark.parametrize("sent", [None, "", "wrong-token"], ids=["missing", "empty", "wrong"])
async def test_a_post_without_the_sessions_csrf_token_is_refused_and_changes_nothing(
    intake: FastAPI, office: Office, sent: str | None
) -> None:
    subject = f"cw-{office.municipality}-{sent}"
    bearer = token(municipality=office.municipality, subject=subject)
    referred = await office.refer(bearer)
    async with browser(intake) as client:
        await sign_in(client, bearer)
        form = {} if sent is None else {"csrf_token": sent}
        out = await client.post("/sign-out", data=form)
        search = await client.post("/cases/search", data=form | {"cpr": referred.cpr})
        for refused in (out, search):
            assert refused.status_code == 403, refused.text
            assert "<h1>Formularen kunne ikke sendes</h1>" in refused.text
            _assert_page_headers(refused)
        assert (await client.get("/cases")).status_code == 200  # still signed in
    assert await audit_of(intake, subject) == []  # no search was made


# --- headers on every page ------------------------------------------------------------------------------------------
def _get_routes() -> set[str]:
    routers = (pages_api.router, pages_actions.router, shared_pages.router)
    return {
        r.path for router in routers for r in router.routes if isinstance(r, APIRoute) and "GET" in (r.methods or set())
    }


async def test_every_page_answer_carries_the_security_headers(intake: FastAPI, office: Office) -> None:
    bearer = token(municipality=office.municipality)
    reference = (await office.refer(bearer)).case_reference
    paths = {
        "/": "/",
        "/sign-in": "/sign-in",
        "/cases": "/cases",
        "/cases/{case_reference}": f"/cases/{reference}",
        "/cases/{case_reference}/pending": f"/cases/{reference}/pending",  # without htmx: to the case page
        "/tasks": "/tasks",
    }
    assert set(paths) == _get_routes(), "a GET page route is not walked here: add it"
    extra = [
        "/cases/RUM-999999999",  # no such case: the 404 page
        "/cases/RUM-1/more",  # no such page
        "/cases?status=nonsense",  # a filter not understood
        "/cases?unknown=1",  # a parameter not known
        "/static/rummelig.css",
        "/static/htmx-2.0.11.min.js",
        "/static/missing.css",
        "/sign-in?lang=en",
    ]
    answers: list[httpx.Response] = []
    async with browser(intake) as client:
        for path in [*paths.values(), *extra]:  # signed out: sign-in, redirects
            answers.append(await client.get(path))
        answers.append(await client.post("/sign-out", data={}))
        answers.append(await sign_in(client, bearer))
        for path in [*paths.values(), *extra]:  # signed in
            answers.append(await client.get(path))
        answers.append(await client.post("/cases/search", data={"csrf_token": "x"}))
        answers.append(await client.get("/sign-out"))  # 405
    async with browser(intake) as client:
        await sign_in(client, token("operator", programmes=["p"]))
        answers += [await client.get("/cases"), await client.get(f"/cases/{reference}")]  # 403 pages
    statuses = {a.status_code for a in answers}
    assert {200, 303, 400, 403, 404, 405, 422} - statuses <= {400}, statuses
    for answer in answers:
        _assert_page_headers(answer)
    assert answers[0].headers["location"] == "/sign-in?next=%2F"


async def test_each_person_starts_where_their_work_is(intake: FastAPI) -> None:
    """Without a page asked for, a caseworker lands on their cases and provider staff on their courses."""
    for bearer, home in (
        (token(municipality="950"), "/cases"),
        (token("provider-staff", subprojects=["plus-aarhus"]), "/provider/courses"),
    ):
        async with browser(intake) as client:
            signed_in = await sign_in(client, bearer)
            assert signed_in.status_code == 303 and signed_in.headers["location"] == home
            again = await client.get("/")
            assert again.status_code == 303 and again.headers["location"] == home


async def test_the_api_answers_as_before_beside_the_pages(intake: FastAPI) -> None:
    async with browser(intake) as client:
        refused = await client.post(
            "/referrals", content=b"cpr=1", headers={"content-type": "application/x-www-form-urlencoded"}
        )
        missing = await client.get("/participants")
    assert refused.status_code == 415 and refused.headers["content-type"] == "application/problem+json"
    assert missing.status_code == 401 and "content-security-policy" not in missing.headers


def test_templates_hold_no_inline_style_or_script() -> None:
    root = Path(__file__).resolve().parents[2]
    templates = [*root.glob("services/*/templates/pages/*.html"), *root.glob("shared/pages/templates/pages/*.html")]
    assert len(templates) > 20  # intake's, enrolment's and the shared ones
    # a script is only ever a file of the site's own, empty between its tags (the CSP would refuse anything else)
    own_script = re.compile(r'<script src="/static/[a-z0-9.-]+\.js" defer></script>')
    for template in templates:
        source = own_script.sub("", template.read_text(encoding="utf-8").lower())
        for forbidden in ("<style", "style=", "<script", "onclick", "onload", "onsubmit", "javascript:", "hx-on"):
            assert forbidden not in source, f"{template.name}: {forbidden}"


# --- language ---------------------------------------------------------------------------------------------------------
async def test_danish_first_and_the_english_switch_is_remembered(intake: FastAPI, office: Office) -> None:
    async with browser(intake) as client:
        await sign_in(client, token(municipality=office.municipality))
        danish = await client.get("/cases")
        assert '<html lang="da">' in danish.text and "<h1>Mine sager</h1>" in danish.text
        assert 'href="/cases?lang=en"' in danish.text  # the switch in the header
        english = await client.get("/cases?lang=en")
        assert '<html lang="en">' in english.text and "<h1>My cases</h1>" in english.text
        assert "samesite=strict" in _cookie(english, "rummelig_lang").lower()
        still = await client.get("/cases")
        assert '<html lang="en">' in still.text and 'href="/cases?lang=da"' in still.text
        back = await client.get("/cases?lang=da")
        assert '<html lang="da">' in back.text

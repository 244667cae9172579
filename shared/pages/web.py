"""What every page route depends on: the service's PageKit, the web session of the cookie, the posted form with its
CSRF token checked; and the sign-in, sign-out and start routes every service's pages have.

Forms work without script. Every form carries the session's CSRF token; a post without the right one is refused (403)
before anything is read or changed.
"""

from __future__ import annotations

import hmac
import secrets
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Annotated
from urllib.parse import parse_qsl, urlsplit

from fastapi import APIRouter, Depends, HTTPException, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from shared.auth import verify_token
from shared.db import SessionMaker, unit_of_work
from shared.pages.domain import SECURITY_HEADERS, Lifetime, PageRefused, SignInFirst, local_path
from shared.pages.render import Renderer, secure
from shared.pages.sessions import WebSession, live_session, sign_in, sign_out, token_expiry

SESSION_COOKIE = "rummelig_session"
SIGN_IN_COOKIE = "rummelig_sign_in"
MAX_FORM_BYTES = 16 * 1024
MAX_FORM_FIELDS = 200


@dataclass(frozen=True)
class PageKit:
    """A service's pages as its composition root sets them up (app.state.page_kit): how they render, where people
    start, where sign-in leads back to after a post, how long a web session lives."""

    render: Renderer
    return_path: Callable[[str, str, str], str]
    lifetime: Lifetime


def kit_of(request: Request) -> PageKit:
    """The service's PageKit."""
    return request.app.state.page_kit  # type: ignore[no-any-return]


def _sessions(request: Request) -> SessionMaker:
    return request.app.state.sessions  # type: ignore[no-any-return]


async def current_session(request: Request) -> WebSession | None:
    """The request's live web session, or None. A GET htmx makes (the pages' only one is a part that asks again by
    itself) is no sign of the person being there: it does not keep an idle session alive."""
    session_id = request.cookies.get(SESSION_COOKIE)
    if not session_id or len(session_id) > 100:
        return None
    polled = request.headers.get("hx-request") == "true" and request.method == "GET"
    async with unit_of_work(_sessions(request)) as session:
        lifetime = kit_of(request).lifetime
        return await live_session(session, session_id, now=datetime.now(UTC), lifetime=lifetime, seen=not polled)


async def signed_in(request: Request, web: Annotated[WebSession | None, Depends(current_session)]) -> WebSession:
    """The live web session; without one, to sign-in and back here (a form's post comes back to its page)."""
    if web is None:
        raise SignInFirst(kit_of(request).return_path(request.method, request.url.path, request.url.query))
    return web


class PostedForm(dict[str, str]):
    """A posted form: the first value of each field, and every value of a field that may repeat (checkboxes)."""

    def __init__(self, pairs: Iterable[tuple[str, str]] = ()) -> None:
        super().__init__()
        self.lists: dict[str, list[str]] = {}
        for name, value in pairs:
            self.setdefault(name, value)
            self.lists.setdefault(name, []).append(value)

    def all(self, name: str) -> list[str]:
        """Every value posted for the field, in order."""
        return self.lists.get(name, [])


async def read_form(
    request: Request, *, max_bytes: int = MAX_FORM_BYTES, max_fields: int = MAX_FORM_FIELDS
) -> PostedForm:
    """The posted form; a body that is no form is an empty one, one over the limits is refused (413) unread."""
    if request.headers.get("content-type", "").split(";")[0].strip() != "application/x-www-form-urlencoded":
        return PostedForm()
    body = b""
    async for chunk in request.stream():
        body += chunk
        if len(body) > max_bytes:
            raise HTTPException(413, "form too large")
    try:
        pairs = parse_qsl(body.decode("utf-8", "replace"), keep_blank_values=True, max_num_fields=max_fields)
    except ValueError as exc:  # more fields than max_num_fields
        raise HTTPException(413, "too many fields") from exc
    return PostedForm(pairs)


async def form_of(request: Request) -> PostedForm:
    """The posted form of a page (16 KiB and 200 fields at the most)."""
    return await read_form(request)


async def checked_form(
    form: Annotated[PostedForm, Depends(form_of)], web: Annotated[WebSession, Depends(signed_in)]
) -> PostedForm:
    """The form, if it carries the session's CSRF token (synchronizer token); else 403 and nothing is done."""
    if not hmac.compare_digest(form.get("csrf_token", "").encode(), web.csrf_token.encode()):
        raise PageRefused(403, "csrf", web=web)
    return form


Lang = Annotated[str | None, Query(max_length=2, description="da or en: the page's language, remembered")]
SignedIn = Annotated[WebSession, Depends(signed_in)]
CheckedForm = Annotated[PostedForm, Depends(checked_form)]
router = APIRouter(include_in_schema=False)


@router.get("/")
async def home(request: Request, web: SignedIn, lang: Lang = None) -> RedirectResponse:
    """The pages start where this person's work is."""
    return RedirectResponse(kit_of(request).render.home_of(web.principal.roles), 303, headers=SECURITY_HEADERS)


@router.get("/sign-in")
async def sign_in_page(
    request: Request, next_path: Annotated[str | None, Query(alias="next", max_length=500)] = None, lang: Lang = None
) -> HTMLResponse:
    """The sign-in form: a token, and where to go afterwards."""
    render = kit_of(request).render
    kept = request.cookies.get(SIGN_IN_COOKIE, "")
    pre_session = kept if 30 < len(kept) <= 100 else secrets.token_urlsafe(32)  # ours, or a new one
    response = render(
        request, "sign_in.html", next=local_path(next_path, render.home), csrf_token=pre_session, failed=False
    )
    _set_sign_in_cookie(request, response, pre_session)
    return response


@router.post("/sign-in")
async def sign_in_post(request: Request, form: Annotated[PostedForm, Depends(form_of)]) -> Response:
    """Verify the token, start a web session (a new id every time) and go where the person was going."""
    # Sign-in has no session yet to hold a synchronizer token, so it is a double submit: GET /sign-in sets a random
    # HttpOnly, SameSite=Strict cookie and puts the same value in the form. Another site can neither read the value nor
    # make the browser send the cookie with its post, so it cannot sign someone in as someone else (login CSRF).
    # A cross-site Origin is refused too; the Origin header alone was not chosen, as privacy tools strip it.
    kit = kit_of(request)
    pre_session = request.cookies.get(SIGN_IN_COOKIE, "")
    if not pre_session or not hmac.compare_digest(form.get("csrf_token", "").encode(), pre_session.encode()):
        raise PageRefused(403, "csrf")
    if not _same_origin(request):
        raise PageRefused(403, "csrf")
    next_path = local_path(form.get("next"), kit.render.home)
    try:
        principal = verify_token(request.app.state.auth_settings, form.get("token", "").strip())
    except HTTPException:
        return kit.render(request, "sign_in.html", status=400, next=next_path, csrf_token=pre_session, failed=True)
    if next_path == kit.render.home:  # nowhere asked for: where this person starts
        next_path = kit.render.home_of(principal.roles)
    async with unit_of_work(_sessions(request)) as session:
        session_id, _ = await sign_in(
            session,
            principal,
            token_expires=token_expiry(form["token"].strip()),
            now=datetime.now(UTC),
            lifetime=kit.lifetime,
        )
    response = RedirectResponse(next_path, status_code=303, headers=SECURITY_HEADERS)
    # no Max-Age: the cookie dies with the browser too (municipal PCs are shared)
    response.set_cookie(SESSION_COOKIE, session_id, path="/", httponly=True, samesite="strict", secure=secure(request))
    response.delete_cookie(SIGN_IN_COOKIE, path="/sign-in")
    return response


@router.post("/sign-out")
async def sign_out_post(request: Request, form: CheckedForm) -> RedirectResponse:
    """End the web session and forget its cookie."""
    async with unit_of_work(_sessions(request)) as session:
        await sign_out(session, request.cookies.get(SESSION_COOKIE, ""))
    response = RedirectResponse("/sign-in", status_code=303, headers=SECURITY_HEADERS)
    response.delete_cookie(SESSION_COOKIE, path="/", httponly=True, samesite="strict", secure=secure(request))
    return response


def _set_sign_in_cookie(request: Request, response: Response, value: str) -> None:
    response.set_cookie(
        SIGN_IN_COOKIE, value, path="/sign-in", httponly=True, samesite="strict", secure=secure(request)
    )


def _same_origin(request: Request) -> bool:
    origin = request.headers.get("origin")
    # The double submit above is the check; a missing Origin proves nothing either way, and browsers send "null" from
    # a page served with Referrer-Policy: no-referrer, as ours are (a cross-site "null" still lacks the Strict cookie).
    if origin is None or origin == "null":
        return True
    asked = urlsplit(origin)
    host = request.headers.get("x-forwarded-host") or request.headers.get("host", "")
    return asked.netloc == host

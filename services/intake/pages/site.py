"""The caseworker pages as an ASGI app of their own, put in front of intake's API by serve_pages(app).

Why apart from the API's app: the API answers JSON problems and refuses any body that is not JSON (415, shared
BodyGate), while a page answers HTML, takes form posts and must send its security headers on every answer, a 404 or a
500 included. The pages' app shares the API's state (sessions, vault, auth settings) and its use cases; only the
paths below reach it.
"""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from urllib.parse import urlencode

from fastapi import Depends, FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from starlette.datastructures import MutableHeaders
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from services.intake.pages import actions, api, provider, referral, team
from services.intake.pages.domain import SECURITY_HEADERS, Lifetime, PageRefused, SignInFirst
from services.intake.pages.render import render
from shared.problems import known_query_parameters

STATIC = Path(__file__).resolve().parents[1] / "static"
PAGE_PATHS = frozenset(
    {"/", "/sign-in", "/sign-out", "/cases", "/tasks", "/team", "/referrals/new", "/provider/courses"}
)
PAGE_PREFIXES = ("/cases/", "/static/", "/team/", "/provider/")
_KINDS = {403: "forbidden", 404: "not_found", 405: "invalid", 413: "invalid", 422: "invalid"}


def is_page(path: str) -> bool:
    """Whether a path is one of the pages' (the API has none of these)."""
    return path in PAGE_PATHS or path.startswith(PAGE_PREFIXES)


def pages_app(parent: FastAPI, *, idle_minutes: int) -> FastAPI:
    """The pages' app, sharing the parent's state: routes, problem pages, the stylesheet, the headers."""
    pages = FastAPI(docs_url=None, redoc_url=None, openapi_url=None, dependencies=[Depends(known_query_parameters)])
    pages.state = parent.state
    parent.state.page_lifetime = Lifetime(idle=timedelta(minutes=idle_minutes))
    pages.include_router(api.router)
    pages.include_router(actions.router)
    pages.include_router(team.router)
    pages.include_router(provider.router)
    pages.include_router(referral.router)
    pages.mount("/static", StaticFiles(directory=STATIC), name="static")
    pages.add_middleware(SecurityHeaders)

    @pages.exception_handler(SignInFirst)
    async def sign_in_first(_: Request, exc: SignInFirst) -> Response:
        return RedirectResponse(f"/sign-in?{urlencode({'next': exc.next_path})}", 303, headers=SECURITY_HEADERS)

    @pages.exception_handler(PageRefused)
    async def refused(request: Request, exc: PageRefused) -> HTMLResponse:
        return render(request, "problem.html", status=exc.status, kind=exc.kind, web=exc.web)

    @pages.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException) -> HTMLResponse:
        return render(request, "problem.html", status=exc.status_code, kind=_KINDS.get(exc.status_code, "invalid"))

    @pages.exception_handler(RequestValidationError)
    async def invalid(request: Request, _: RequestValidationError) -> HTMLResponse:
        return render(request, "problem.html", status=422, kind="invalid")

    @pages.exception_handler(Exception)
    async def failed(request: Request, _: Exception) -> HTMLResponse:
        # answered outside the middleware, so the page sets its headers itself (render does)
        return render(request, "problem.html", status=500, kind="error")

    return pages


class SecurityHeaders:
    """Every answer of the pages' app carries the security headers (a redirect, the stylesheet, a 404).

    Plain ASGI, as shared.problems.BodyGate is, for the same reason: Starlette's BaseHTTPMiddleware costs CPU.
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Add the headers to the response's start."""
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                for name, value in SECURITY_HEADERS.items():
                    headers[name] = value
            await send(message)

        await self.app(scope, receive, with_headers)


class PagesFirst:
    """Sends the pages' paths to the pages' app and everything else on to the API, untouched."""

    def __init__(self, app: ASGIApp, pages: ASGIApp) -> None:
        self.app = app
        self.pages = pages

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Route by path."""
        if scope["type"] == "http" and is_page(scope["path"]):
            await self.pages(scope, receive, send)
        else:
            await self.app(scope, receive, send)


def serve_pages(app: FastAPI, *, idle_minutes: int) -> None:
    """Put the pages in front of the app's API (its body gate and JSON problems do not apply to them)."""
    app.add_middleware(PagesFirst, pages=pages_app(app, idle_minutes=idle_minutes))

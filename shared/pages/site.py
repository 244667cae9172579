"""A service's pages as an ASGI app of their own, put in front of its API by serve_pages(app, …).

Why apart from the API's app: the API answers JSON problems and refuses any body that is not JSON (415, shared
BodyGate), while a page answers HTML, takes form posts and must send its security headers on every answer, a 404 or a
500 included. The pages' app shares the API's state (sessions, auth settings, …) and its use cases; only the paths the
service names reach it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from pathlib import Path
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from starlette.datastructures import MutableHeaders
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from shared.outages import RETRY_AFTER_SECONDS, database_unavailable
from shared.pages import web
from shared.pages.domain import SECURITY_HEADERS, PageRefused, SignInFirst
from shared.pages.web import PageKit
from shared.problems import known_query_parameters

STATIC = Path(__file__).resolve().parent / "static"
# The paths every service's pages have: sign-in, sign-out, the start page, the stylesheet.
COMMON_PATHS = frozenset({"/", "/sign-in", "/sign-out"})
COMMON_PREFIXES = ("/static/",)
_KINDS = {403: "forbidden", 404: "not_found", 405: "invalid", 413: "invalid", 422: "invalid"}


def pages_app(parent: FastAPI, kit: PageKit, routers: Iterable[APIRouter]) -> FastAPI:
    """The pages' app, sharing the parent's state: sign-in, the service's routes, problem pages, the stylesheet and
    the security headers on every answer."""
    pages = FastAPI(docs_url=None, redoc_url=None, openapi_url=None, dependencies=[Depends(known_query_parameters)])
    pages.state = parent.state
    parent.state.page_kit = kit
    pages.include_router(web.router)
    for router in routers:
        pages.include_router(router)
    pages.mount("/static", StaticFiles(directory=STATIC), name="static")
    pages.add_middleware(SecurityHeaders)

    @pages.exception_handler(SignInFirst)
    async def sign_in_first(_: Request, exc: SignInFirst) -> Response:
        return RedirectResponse(f"/sign-in?{urlencode({'next': exc.next_path})}", 303, headers=SECURITY_HEADERS)

    @pages.exception_handler(PageRefused)
    async def refused(request: Request, exc: PageRefused) -> HTMLResponse:
        return kit.render(request, "problem.html", status=exc.status, kind=exc.kind, web=exc.web)

    @pages.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException) -> HTMLResponse:
        return kit.render(request, "problem.html", status=exc.status_code, kind=_KINDS.get(exc.status_code, "invalid"))

    @pages.exception_handler(RequestValidationError)
    async def invalid(request: Request, _: RequestValidationError) -> HTMLResponse:
        return kit.render(request, "problem.html", status=422, kind="invalid")

    @pages.exception_handler(Exception)
    async def failed(request: Request, exc: Exception) -> HTMLResponse:
        # answered outside the middleware, so the page sets its headers itself (render does)
        if database_unavailable(exc):  # an outage, not a fault: try again shortly
            response = kit.render(request, "problem.html", status=503, kind="unavailable")
            response.headers["Retry-After"] = str(RETRY_AFTER_SECONDS)
            return response
        return kit.render(request, "problem.html", status=500, kind="error")

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

    def __init__(self, app: ASGIApp, pages: ASGIApp, is_page: Callable[[str], bool]) -> None:
        self.app = app
        self.pages = pages
        self.is_page = is_page

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Route by path."""
        if scope["type"] == "http" and self.is_page(scope["path"]):
            await self.pages(scope, receive, send)
        else:
            await self.app(scope, receive, send)


def serve_pages(
    app: FastAPI, kit: PageKit, routers: Iterable[APIRouter], *, paths: frozenset[str], prefixes: tuple[str, ...]
) -> None:
    """Put the pages in front of the app's API (its body gate and JSON problems do not apply to them): the paths
    named, and those under the prefixes, besides sign-in, sign-out, the start page and the stylesheet."""
    every_path, every_prefix = COMMON_PATHS | paths, COMMON_PREFIXES + prefixes

    def is_page(path: str) -> bool:
        return path in every_path or path.startswith(every_prefix)

    app.add_middleware(PagesFirst, pages=pages_app(app, kit, routers), is_page=is_page)

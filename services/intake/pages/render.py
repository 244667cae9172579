"""How a page is answered: its template in the caller's language, the security headers, the language cookie."""

from __future__ import annotations

from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from fastapi import Request
from fastapi.responses import HTMLResponse

from services.intake.pages.domain import LANGUAGES, SECURITY_HEADERS, Language, language, secure_request
from services.intake.pages.texts import Say, timeline_line
from shared.templates import templates_in

TEMPLATES = Path(__file__).resolve().parents[1] / "templates"
LANG_COOKIE = "rummelig_lang"
LANG_SECONDS = 365 * 24 * 3600


def page_language(request: Request) -> Language:
    """The language of the request: ?lang= if given, else the one remembered in the cookie, else Danish."""
    return language(request.query_params.get("lang"), request.cookies.get(LANG_COOKIE))


def secure(request: Request) -> bool:
    """Whether cookies set for this request must be Secure (it came over TLS, maybe through a proxy)."""
    return secure_request(request.url.scheme, request.headers.get("x-forwarded-proto"))


def render(request: Request, template: str, *, status: int = 200, **context: Any) -> HTMLResponse:
    """The page: its template rendered (autoescaped) in the request's language, with every security header."""
    lang = page_language(request)
    html = (
        templates_in(TEMPLATES)
        .get_template(f"pages/{template}")
        .render(t=Say(lang), lang=lang, switch_href=_switch_href(request, lang), line=timeline_line, **context)
    )
    response = HTMLResponse(html, status_code=status, headers=SECURITY_HEADERS)
    remember_language(request, response)
    return response


def remember_language(request: Request, response: Any) -> None:
    """Keep the language asked for by ?lang= in a cookie, so the next page speaks it too."""
    asked = request.query_params.get("lang")
    if asked in LANGUAGES:
        response.set_cookie(
            LANG_COOKIE, asked, max_age=LANG_SECONDS, path="/", httponly=True, samesite="strict", secure=secure(request)
        )


def _switch_href(request: Request, lang: Language) -> str:
    """The same page in the other language (a form's answer page switches on the page the form is on)."""
    other = "en" if lang == "da" else "da"
    if request.method != "GET":
        path = "/sign-in" if request.url.path == "/sign-in" else "/cases"
        return f"{path}?{urlencode({'lang': other})}"
    params = {k: v for k, v in request.query_params.items() if k != "lang"} | {"lang": other}
    return f"{request.url.path}?{urlencode(params)}"

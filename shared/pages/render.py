"""How a page is answered: its template (the service's, else the shared ones) in the caller's language, with every
security header and the language remembered in a cookie."""

from __future__ import annotations

import functools
from collections.abc import Callable
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from fastapi import Request
from fastapi.responses import HTMLResponse
from jinja2 import ChoiceLoader, Environment, FileSystemLoader, select_autoescape

from shared.pages.domain import LANGUAGES, SECURITY_HEADERS, Language, language, secure_request

SHARED_TEMPLATES = Path(__file__).resolve().parent / "templates"
LANG_COOKIE = "rummelig_lang"
LANG_SECONDS = 365 * 24 * 3600


def page_language(request: Request) -> Language:
    """The language of the request: ?lang= if given, else the one remembered in the cookie, else Danish."""
    return language(request.query_params.get("lang"), request.cookies.get(LANG_COOKIE))


def secure(request: Request) -> bool:
    """Whether cookies set for this request must be Secure (it came over TLS, maybe through a proxy)."""
    return secure_request(request.url.scheme, request.headers.get("x-forwarded-proto"))


@functools.cache
def _environment(folder: Path) -> Environment:
    loader = ChoiceLoader([FileSystemLoader(folder), FileSystemLoader(SHARED_TEMPLATES)])
    return Environment(loader=loader, autoescape=select_autoescape())


class Renderer:
    """A service's pages: its templates folder, its words (a Words class per language) and where people start."""

    def __init__(
        self,
        templates: Path,
        words: Callable[[Language], Any],
        *,
        home_of: Callable[[frozenset[str]], str],
        home: str,
        **helpers: Any,
    ) -> None:
        self.templates = templates
        self.words = words
        self.home_of = home_of
        self.home = home
        self.helpers = helpers

    def __call__(self, request: Request, template: str, *, status: int = 200, **context: Any) -> HTMLResponse:
        """The page: its template rendered (autoescaped) in the request's language, with every security header."""
        lang = page_language(request)
        web = context.get("web")
        home = self.home_of(web.principal.roles) if web is not None else self.home
        html = (
            _environment(self.templates)
            .get_template(f"pages/{template}")
            .render(
                t=self.words(lang),
                lang=lang,
                switch_href=self.switch_href(request, lang),
                home=home,
                **self.helpers,
                **context,
            )
        )
        response = HTMLResponse(html, status_code=status, headers=SECURITY_HEADERS)
        remember_language(request, response)
        return response

    def switch_href(self, request: Request, lang: Language) -> str:
        """The same page in the other language (a form's answer page switches on the service's start page)."""
        other = "en" if lang == "da" else "da"
        if request.method != "GET":
            path = "/sign-in" if request.url.path == "/sign-in" else self.home
            return f"{path}?{urlencode({'lang': other})}"
        params = {k: v for k, v in request.query_params.items() if k != "lang"} | {"lang": other}
        return f"{request.url.path}?{urlencode(params)}"


def remember_language(request: Request, response: Any) -> None:
    """Keep the language asked for by ?lang= in a cookie, so the next page speaks it too."""
    asked = request.query_params.get("lang")
    if asked in LANGUAGES:
        response.set_cookie(
            LANG_COOKIE, asked, max_age=LANG_SECONDS, path="/", httponly=True, samesite="strict", secure=secure(request)
        )

"""The bench of the pages' reference: a bare FastAPI + Jinja page of the same rows, entries and size in bytes as
intake's, with no database and no session (bench.pages)."""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI
from fastapi.responses import HTMLResponse
from jinja2 import DictLoader, Environment, select_autoescape

from bench.pages_fill import COURSE, SUBPROJECT

_BASE = """<!doctype html>
<html lang="da"><head><meta charset="utf-8"><title>{{ title }} &ndash; Rummelig</title>
<link rel="stylesheet" href="/static/rummelig.css"></head>
<body><header class="site"><a class="brand" href="/cases">Rummelig</a>
<nav><a href="/cases">Mine sager</a> <a href="/cases?lang=en" lang="en">English</a></nav>
<form class="sign-out" method="post" action="/sign-out"><input type="hidden" name="csrf_token" value="{{ csrf }}">
<span>Logget ind som {{ email }}</span><button type="submit">Log ud</button></form></header>
<main id="main">{% block main %}{% endblock %}
{% if fields %}<form class="steps" method="post" action="/case">
<input type="hidden" name="csrf_token" value="{{ csrf }}">
{% for n in range(fields) %}{% set id = "f%04d" | format(n) %}<div class="field"><label for="{{ id }}">Felt</label>
<input id="{{ id }}" name="{{ id }}" type="text" value="" autocomplete="off"></div>
{% endfor %}<button type="submit">Gem</button></form>{% endif %}</main></body></html>"""
# The list's filters and search, as the real page has them above its table (most of its bytes besides the rows).
_CASES = """{% extends "base.html" %}{% block main %}<h1>Mine sager</h1>
<form class="filters" method="get" action="/cases"><div class="field"><label for="status">Status</label>
<select id="status" name="status"><option value="">Alle</option>{% for value, words in statuses %}
<option value="{{ value }}">{{ words }}</option>{% endfor %}</select></div>
<div class="field"><label for="due">Frist</label><select id="due" name="due"><option value="">Alle</option>
<option value="due">Forfalder inden 14 dage</option>
<option value="overdue">Overskredet</option></select></div>
<div class="field"><label for="case_reference">Sagsnummer</label>
<input id="case_reference" name="case_reference" type="search" value="" autocomplete="off"></div>
<button type="submit">Vis</button></form>
<form class="cpr-search" method="post" action="/cases/search"><input type="hidden" name="csrf_token" value="{{ csrf }}">
<div class="field"><label for="cpr">Søg på CPR-nummer</label><p class="hint" id="cpr-hint">DDMMÅÅ-XXXX. Søgningen bliver
logget.</p><input id="cpr" name="cpr" type="text" inputmode="numeric" autocomplete="off" spellcheck="false"
aria-describedby="cpr-hint"></div><button type="submit">Søg</button></form>
<p class="count">Sager i alt: {{ total }}</p>
<table class="cases"><caption>Mine sager</caption><thead><tr><th scope="col">Sagsnummer</th><th scope="col">Status</th>
<th scope="col">Delprojekt</th><th scope="col">Forløb</th><th scope="col">Næste frist</th></tr></thead><tbody>
{% for row in rows %}
    <tr>
      <th scope="row"><a href="/cases/{{ row.reference | urlencode }}">{{ row.reference }}</a></th>
      <td>{{ row.status }}</td>
      <td>{{ row.subproject }}</td>
      <td>{{ row.course }}</td>
      <td>
        {{ row.due }}
        <strong class="overdue">(overskredet)</strong>
      </td>
    </tr>
{% endfor %}</tbody></table>
<nav class="paging" aria-label="Sider"><p>Side 1 af {{ pages }}</p>
<a href="/cases?page=2" rel="next">Næste side</a></nav>
{% endblock %}"""
_CASE = """{% extends "base.html" %}{% block main %}<h1>Sag {{ reference }}</h1>
<h2>Personoplysninger</h2><dl class="facts">{% for name, value in facts %}<dt>{{ name }}</dt><dd>{{ value }}</dd>
{% endfor %}</dl><h2>Forløb</h2><ol class="timeline">
{% for entry in entries %}
  <li><time datetime="{{ entry.at }}">{{ entry.day }}</time>
    {{ entry.line }}</li>
{% endfor %}</ol>{% endblock %}"""
BARE_TEMPLATES = Environment(
    loader=DictLoader({"base.html": _BASE, "cases.html": _CASES, "case.html": _CASE}), autoescape=select_autoescape()
)
_STATUSES = (
    ("referred", "Henvist"),
    ("waiting", "På venteliste"),
    ("enrolled", "Optaget"),
    ("started", "Startet"),
    ("completed", "Gennemført"),
    ("dropped-out", "Stoppet før tid"),
    ("withdrawn", "Udmeldt"),
)
_LINES = (
    "Optaget på forløb plus-aarhus-2026 fra 3. februar 2025",
    "Startede på forløb plus-aarhus-2026 10. februar 2025",
    "Opfølgning på situationen ved afslutning skal ske senest 28. juni 2025",
    "Påmindelse nr. 1 sendt om situationen ved afslutning",
    "Situationen ved afslutning registreret: ordinær beskæftigelse",
)


def bare_cases_context(rows: int, total: int) -> dict[str, Any]:
    """What the bare "Mine sager" shows: rows of strings like the real page's."""
    listed = [
        {
            "reference": f"RUM-{n:06d}",
            "status": "Startet",
            "subproject": SUBPROJECT,
            "course": COURSE,
            "due": "14. december 2026",
        }
        for n in range(1, rows + 1)
    ]
    return {
        "title": "Mine sager",
        "csrf": "x" * 43,
        "email": "caseworker@example.dk",
        "statuses": _STATUSES,
        "rows": listed,
        "total": total,
        "pages": -(-total // max(rows, 1)),
    }


def bare_case_context(entries: int) -> dict[str, Any]:
    """What the bare case page shows: the personal data's eleven facts and entries like the timeline's."""
    facts = [(f"Felt {n}", "Vestergade 12, 8000 Aarhus C") for n in range(11)]
    listed = [
        {"at": "2025-02-03T09:15:00.123456+00:00", "day": "3. februar 2025", "line": _LINES[n % len(_LINES)]}
        for n in range(entries)
    ]
    return {
        "title": "Sag",
        "csrf": "x" * 43,
        "email": "caseworker@example.dk",
        "reference": "RUM-000001",
        "facts": facts,
        "entries": listed,
    }


def sized(template: str, context: dict[str, Any], target_bytes: int) -> dict[str, Any]:
    """The context with as many form fields as bring the bare page nearest the real page's size."""
    # the real pages hold forms (the case's steps, filters, search) besides their rows: the bare one gets as many bytes
    page = BARE_TEMPLATES.get_template(template)

    def size(fields: int) -> int:
        return len(page.render(**(context | {"fields": fields})).encode())

    if target_bytes <= size(0):
        return context | {"fields": 0}
    one, per_field = size(1), size(2) - size(1)
    fields = min((0, max(1, round((target_bytes - one) / per_field) + 1)), key=lambda n: abs(size(n) - target_bytes))
    return context | {"fields": fields}


def create_bare_app(cases: dict[str, Any], case: dict[str, Any]) -> FastAPI:
    """Two GET routes, each rendering its template from its context on every request: no database, no session."""
    app = FastAPI(docs_url=None, redoc_url=None, openapi_url=None)
    cases_template, case_template = BARE_TEMPLATES.get_template("cases.html"), BARE_TEMPLATES.get_template("case.html")

    @app.get("/cases")
    async def bare_cases() -> HTMLResponse:
        """The bare list."""
        return HTMLResponse(cases_template.render(**cases))

    @app.get("/case")
    async def bare_case() -> HTMLResponse:
        """The bare case."""
        return HTMLResponse(case_template.render(**case))

    return app

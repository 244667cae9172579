"""The administrator pages' routes: the programmes, a programme's sections (the programme and its extensions,
targets and amendments, sub-projects, courses, partner companies), and one post per catalogue form.

Every change goes through the catalogue's use case as the API's does; a form is answered by a redirect to its section
(so a reload sends nothing again), or by its section again with the errors beside the fields (422).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Path, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import ValidationError

from services.enrolment.pages.domain import (
    FORMS,
    SECTION_FORMS,
    AdminForm,
    FormKind,
    Section,
    body_of,
    entry_id,
    field_errors,
    form_of_kind,
    section_of,
    values_of,
)
from services.enrolment.pages.render import render
from services.enrolment.pages.service import BODIES, Mode, ProgrammeCatalogue, change, programme_catalogue, programmes
from services.enrolment.pages.words import AdminWords
from shared.auth import scope_refusal
from shared.clock import today_in_copenhagen
from shared.contracts import CODE_PATTERN
from shared.db import SessionMaker, unit_of_work
from shared.pages.domain import SECURITY_HEADERS, PageRefused
from shared.pages.render import page_language
from shared.pages.sessions import WebSession
from shared.pages.web import CheckedForm, Lang, PostedForm, signed_in
from shared.rejection import Refused, Rejection

router = APIRouter(include_in_schema=False)
Id = Annotated[str, Path(pattern=CODE_PATTERN, max_length=50)]
Asked = Annotated[str | None, Query(max_length=50)]
Done = Annotated[str | None, Query(max_length=20, description="the form whose change the page confirms")]


async def admin_session(web: Annotated[WebSession, Depends(signed_in)]) -> WebSession:
    """A session whose principal is an administrator."""
    if scope_refusal(web.principal, ("administrator",)) is not None:
        raise PageRefused(403, "forbidden", web=web)
    return web


AdminSession = Annotated[WebSession, Depends(admin_session)]


def _sessions(request: Request) -> SessionMaker:
    return request.app.state.sessions  # type: ignore[no-any-return]


@dataclass(frozen=True)
class FormState:
    """A form as a page shows it: new or changing an entry, its values, its errors by field ("" the form's own)."""

    form: AdminForm
    mode: Mode = "new"
    entry: str | None = None
    values: dict[str, str] = field(default_factory=dict)
    errors: dict[str, str] = field(default_factory=dict)


# --- the programmes ---------------------------------------------------------------------------------------------------
@router.get("/admin/programmes")
async def programmes_page(request: Request, web: AdminSession, lang: Lang = None) -> HTMLResponse:
    """Every programme, each a link to its pages."""
    async with _sessions(request)() as session:
        listed = await programmes(session)
    return render(request, "programmes.html", web=web, programmes=listed)


@router.get("/admin/programmes/new")
async def new_programme_page(request: Request, web: AdminSession, lang: Lang = None) -> HTMLResponse:
    """The form that creates a programme."""
    return render(request, "new_programme.html", web=web, state=FormState(FORMS["programme"]), subprojects=[])


@router.post("/admin/programmes")
async def create_programme(request: Request, web: AdminSession, posted: CheckedForm) -> Response:
    """Create a programme through the catalogue's use case, then open its pages."""
    state, outcome = await _changed(request, FORMS["programme"], posted, programme_id=None)
    if state.errors:
        return render(request, "new_programme.html", status=422, web=web, state=state, subprojects=[])
    if outcome is None:
        raise PageRefused(404, "not_found", web=web)
    return _done(f"/admin/programmes/{state.entry}", "programme")


# --- a programme's sections -------------------------------------------------------------------------------------------
@router.get("/admin/programmes/{programme_id}")
async def programme_page(
    request: Request, web: AdminSession, programme_id: Id, done: Done = None, lang: Lang = None
) -> HTMLResponse:
    """The programme as granted, its extensions and the forms that change them."""
    return await _section(request, web, programme_id, "programme")


@router.get("/admin/programmes/{programme_id}/{section}")
async def section_page(
    request: Request,
    web: AdminSession,
    programme_id: Id,
    section: Annotated[str, Path(max_length=20)],
    edit: Asked = None,
    amend: Asked = None,
    on: Annotated[date | None, Query(description="the date the targets' numbers in force are shown for")] = None,
    done: Done = None,
    lang: Lang = None,
) -> HTMLResponse:
    """One section of the programme's pages: its entries and its forms (a new entry's, or one entry's to change)."""
    chosen = section_of(section)
    if chosen is None:
        raise PageRefused(404, "not_found", web=web)
    return await _section(request, web, programme_id, chosen, edit=edit, amend=amend, on=on)


@router.post("/admin/programmes/{programme_id}/{kind}")
async def change_page(
    request: Request,
    web: AdminSession,
    programme_id: Id,
    kind: Annotated[str, Path(max_length=20)],
    posted: CheckedForm,
) -> Response:
    """Make one form's change through the catalogue's use case, then show its section."""
    form = form_of_kind(kind)
    if form is None:
        raise PageRefused(404, "not_found", web=web)
    state, outcome = await _changed(request, form, posted, programme_id=programme_id)
    if state.errors:
        return await _section(request, web, programme_id, form.section, posted=state, status=422)
    if outcome is None:
        raise PageRefused(404, "not_found", web=web)
    path = f"/admin/programmes/{programme_id}"
    return _done(path if form.section == "programme" else f"{path}/{form.section}", form.kind)


async def _changed(
    request: Request, form: AdminForm, posted: PostedForm, *, programme_id: str | None
) -> tuple[FormState, object | None]:
    """The form's change made (its state without errors, and the entry's new state; None: no such entry), or its
    state with the errors to show and nothing changed."""
    mode: Mode = "new" if posted.get("mode") == "new" else "change"
    values = {f.name: posted.get(f.name, "") for f in form.fields}
    errors: dict[str, str] = {}
    entry = None
    if form.id_field is not None:
        entry = entry_id(posted.get("entry_id"))
        if entry is None or entry == "new":  # /admin/programmes/new is the new programme's form
            errors["entry_id"] = "error_id"
    owner = programme_id or entry or ""
    body: Any = None
    try:
        body = BODIES[form.kind].model_validate(body_of(form, posted, programme_id=owner))
    except ValidationError as invalid:
        errors = field_errors(invalid.errors(), form) | errors
    state = FormState(form, mode, entry or posted.get("entry_id", "")[:50], values, errors)
    if errors:
        return state, None
    try:
        async with unit_of_work(_sessions(request)) as session:
            outcome = await change(session, form, body, programme_id=owner, entry=entry, mode=mode)
            if isinstance(outcome, Rejection):
                raise Refused(outcome)  # leaving the unit of work by an exception rolls it back
    except Refused as refused:
        return FormState(form, mode, state.entry, values, _refusal(request, refused.rejection, form)), None
    return state, outcome


def _refusal(request: Request, rejection: Rejection, form: AdminForm) -> dict[str, str]:
    """A refusal of the catalogue's rules beside the field it names (the form's own if it has no such field)."""
    names = {f.name for f in form.fields} | {"entry_id"}
    words = f"reason_{rejection.reason}"
    known = words if words in AdminWords(page_language(request)).words else "error_invalid"
    return {rejection.field if rejection.field in names else "": known}


def _done(path: str, kind: FormKind) -> RedirectResponse:
    return RedirectResponse(f"{path}?{urlencode({'done': kind})}", status_code=303, headers=SECURITY_HEADERS)


async def _section(
    request: Request,
    web: WebSession,
    programme_id: str,
    section: Section,
    *,
    edit: str | None = None,
    amend: str | None = None,
    on: date | None = None,
    posted: FormState | None = None,
    status: int = 200,
) -> HTMLResponse:
    async with _sessions(request)() as session:
        catalogue = await programme_catalogue(session, programme_id, on=on or today_in_copenhagen())
    if catalogue is None:
        raise PageRefused(404, "not_found", web=web)
    states = {kind: _state(catalogue, kind, edit=edit, amend=amend) for kind in SECTION_FORMS[section]}
    if posted is not None:
        states[posted.form.kind] = posted
    done = request.query_params.get("done")
    return render(
        request,
        "programme.html",
        status=status,
        web=web,
        catalogue=catalogue,
        section=section,
        states=states,
        done=done if done in FORMS else None,
        subprojects=catalogue.subprojects,
        titles={s.subproject_id: s.title for s in catalogue.subprojects},  # a sub-project is named by its title
    )


def _state(catalogue: ProgrammeCatalogue, kind: FormKind, *, edit: str | None, amend: str | None) -> FormState | None:
    """A section's form as first shown: the programme's to change, an entry's named by ?edit= or ?amend=, else a
    new entry's (no amendment form without a target named)."""
    form = FORMS[kind]
    if kind == "programme":
        return FormState(form, "change", None, values_of(catalogue.programme.model_dump(), form))
    if kind == "extension":
        return FormState(form)
    if kind == "amendment":
        target = next((t for t in catalogue.targets if t.target_id == amend), None)
        return None if target is None else FormState(form, "change", target.target_id)
    entries: dict[str, dict[str, Any]] = {
        "target": {t.target_id: t for t in catalogue.targets},
        "subproject": {s.subproject_id: s for s in catalogue.subprojects},
        "course": {c.course_id: c for c in catalogue.courses},
        "company": {c.company_id: c for c in catalogue.companies},
    }
    held = entries[kind]
    if edit in held:
        return FormState(form, "change", edit, values_of(held[edit].model_dump(), form))
    return FormState(form)

"""The administrator pages' pure rules: the catalogue's forms and their fields, how a posted form becomes the
catalogue API's body, how its errors are named beside their fields, where sign-in leads back to.

A form's kind names the catalogue change it makes (the API's PUT or POST); its fields are the API body's, except the
entry's own id (in the API's path) and the programme's (the page's).
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal, get_args

from shared import contracts
from shared.pages.domain import iso_date

HOME = "/admin/programmes"
Section = Literal["programme", "targets", "subprojects", "courses", "companies"]
SECTIONS: tuple[Section, ...] = get_args(Section)
FormKind = Literal["programme", "extension", "target", "amendment", "subproject", "course", "company"]
FieldKind = Literal["id", "text", "email", "date", "number", "choice", "yes-no", "codes", "subproject"]
_ID = re.compile(contracts.CODE_PATTERN)
_SECTION_POST = re.compile(r"/admin/programmes/([a-z0-9][a-z0-9-]{0,49})/([a-z]{1,12})")
_WHOLE_NUMBER = re.compile(r"-?[0-9]{1,9}", re.ASCII)
_CODES_SPLIT = re.compile(r"[\s,;]+")


@dataclass(frozen=True)
class AdminField:
    """One field of a catalogue form: its name in the API's body, what it holds, its choices (codes) and whether it
    may be left empty (the API's default then applies)."""

    name: str
    kind: FieldKind
    choices: tuple[str, ...] = ()
    optional: bool = False


@dataclass(frozen=True)
class AdminForm:
    """A catalogue form: the change it makes, the section of the programme's pages it is on, its entry id's field
    (None: the form changes an entry named by the page) and its fields."""

    kind: FormKind
    section: Section
    id_field: str | None
    fields: tuple[AdminField, ...]


def _date(name: str) -> AdminField:
    return AdminField(name, "date")


def _choice(name: str, codes: Any) -> AdminField:
    return AdminField(name, "choice", get_args(codes))


def _yes_no(name: str) -> AdminField:
    return AdminField(name, "yes-no", optional=True)


_REASON = AdminField("reason", "text")
FORMS: dict[FormKind, AdminForm] = {
    form.kind: form
    for form in (
        AdminForm(
            "programme",
            "programme",
            "programme_id",
            (
                AdminField("title", "text"),
                AdminField("operator", "text"),
                AdminField("region", "text"),
                _date("starts_on"),
                _date("ends_on"),
                _choice("fund", contracts.Fund),
                _yes_no("flex_job_counts_as_employment"),
                _yes_no("wage_subsidy_counts_as_employment"),
                _choice("cr04_reading", contracts.Cr04Reading),
                AdminField("min_cell", "number", optional=True),
                AdminField("six_month_result_grace_days", "number", optional=True),
                _choice("register_results", contracts.RegisterUse),
            ),
        ),
        AdminForm("extension", "programme", None, (_date("ends_on"), _date("decided_on"), _REASON)),
        AdminForm(
            "target",
            "targets",
            "target_id",
            (
                AdminField("subproject_id", "subproject", optional=True),
                _choice("figure", contracts.FigureId),
                AdminField("number", "number"),
                _date("set_on"),
            ),
        ),
        AdminForm(
            "amendment", "targets", "target_id", (AdminField("number", "number"), _date("effective_on"), _REASON)
        ),
        AdminForm(
            "subproject",
            "subprojects",
            "subproject_id",
            (
                AdminField("title", "text"),
                _choice("provider_kind", contracts.ProviderKind),
                AdminField("provider", "text"),
                AdminField("municipalities", "codes"),
                AdminField("target_groups", "codes"),
                AdminField("coordinator_email", "email"),
                _date("starts_on"),
                _date("ends_on"),
                _choice("scope", contracts.Scope),
                _yes_no("illustrative"),
            ),
        ),
        AdminForm(
            "course",
            "courses",
            "course_id",
            (
                AdminField("subproject_id", "subproject"),
                AdminField("title", "text"),
                AdminField("location", "text"),
                AdminField("municipality", "text"),
                _date("starts_on"),
                _date("ends_on"),
                AdminField("capacity", "number"),
                _yes_no("waiting_list_open"),
            ),
        ),
        AdminForm(
            "company",
            "companies",
            "company_id",
            (
                AdminField("cvr", "text"),
                AdminField("name", "text"),
                _choice("kind", contracts.CompanyKind),
                _date("recruited_on"),
                AdminField("subproject_ids", "codes", optional=True),
            ),
        ),
    )
}
# The forms each section of a programme's pages shows.
SECTION_FORMS: dict[Section, tuple[FormKind, ...]] = {
    "programme": ("programme", "extension"),
    "targets": ("target", "amendment"),
    "subprojects": ("subproject",),
    "courses": ("course",),
    "companies": ("company",),
}
_YES_NO = {"yes": True, "no": False}


def home_of(roles: frozenset[str]) -> str:
    """Where an administrator starts: the programmes."""
    return HOME


def section_of(asked: str | None) -> Section | None:
    """The section a path names, or None."""
    return next((section for section in SECTIONS if section == asked), None)


def form_of_kind(asked: str | None) -> AdminForm | None:
    """The form a post names, or None."""
    return next((form for kind, form in FORMS.items() if kind == asked), None)


def entry_id(typed: str | None) -> str | None:
    """An entry's id as typed (lower-case letters, digits and hyphens), or None if it is none."""
    cleaned = (typed or "").strip()
    return cleaned if _ID.fullmatch(cleaned) else None


def return_path(method: str, path: str, query: str) -> str:
    """Where sign-in leads back to: the page asked for; for a form's post, the section the form is on (a post cannot
    be repeated through sign-in)."""
    if method == "GET":
        return f"{path}?{query}" if query else path
    posted = _SECTION_POST.fullmatch(path)
    form = form_of_kind(posted.group(2)) if posted else None
    if posted is None or form is None:
        return HOME
    page = f"/admin/programmes/{posted.group(1)}"
    return page if form.section == "programme" else f"{page}/{form.section}"


def body_of(form: AdminForm, posted: Mapping[str, str], *, programme_id: str) -> dict[str, Any]:
    """The API body a posted form makes, as JSON would carry it: an empty field is left out (the API's default, or
    its own "missing"); a whole number becomes a number; a list of codes is split on spaces and commas; a date typed
    the Danish way is ISO."""
    body: dict[str, Any] = {}
    if form.kind in ("target", "subproject", "company"):
        body["programme_id"] = programme_id
    for field in form.fields:
        value = posted.get(field.name, "").strip()
        if not value:
            continue
        if field.kind == "yes-no":
            body[field.name] = _YES_NO.get(value, value)
        elif field.kind == "number":
            body[field.name] = int(value) if _WHOLE_NUMBER.fullmatch(value) else value
        elif field.kind == "codes":
            body[field.name] = [code for code in _CODES_SPLIT.split(value) if code]
        elif field.kind == "date":
            body[field.name] = iso_date(value)
        else:
            body[field.name] = value
    return body


def field_errors(errors: Sequence[Mapping[str, Any]], form: AdminForm) -> dict[str, str]:
    """The body's validation errors by field, each as the words' key that explains it (by what the field holds); an
    error the form has no field for is the form's own ("")."""
    kinds = {field.name: field.kind for field in form.fields}
    found: dict[str, str] = {}
    for error in errors:
        location = error.get("loc") or ("",)
        name = str(location[0]) if location[0] in kinds else ""
        missing = error.get("type") == "missing"
        found.setdefault(name, "error_missing" if missing else f"error_{kinds.get(name, 'invalid')}")
    return found


def values_of(entry: Mapping[str, Any], form: AdminForm) -> dict[str, str]:
    """An entry as the catalogue holds it, as its form's fields show it (to change it)."""
    shown: dict[str, str] = {}
    for field in form.fields:
        value = entry.get(field.name)
        if value is None:
            shown[field.name] = ""
        elif field.kind == "yes-no":
            shown[field.name] = "yes" if value else "no"
        elif field.kind == "codes":
            shown[field.name] = ", ".join(str(code) for code in value)
        else:
            shown[field.name] = str(value)
    return shown

"""The referral form, GET and POST /referrals/new: the fund's fields, the choices intake's catalogue read model offers
(only sub-projects that serve the caseworker's municipality on the referral date), posted through POST /referrals' own
use case (validated by the API's ReferralIn, once per Idempotency-Key, checked against the catalogue), then on to the
new case's page with a 303: the case exists, so a reload cannot refer the citizen again.

Not /referrals: that path is the API's and takes JSON only. A post without the session's CSRF token is refused (403)
before anything is read. The CPR number travels in the post's body only, never in a URL, a title or a log line; a form
sent back with errors shows it again (the answer is no-store and goes to the session that typed it), so a caseworker
correcting the date need not type the number twice.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any, Literal, get_args
from uuid import uuid4

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import ValidationError
from sqlalchemy import Row

from services.intake import idempotency
from services.intake.catalogue.queries import subprojects_serving
from services.intake.deps import Sessions, TheVault
from services.intake.domain import LegalBasis
from services.intake.idempotency import KEY_PATTERN
from services.intake.pages.api import CaseworkerSession
from services.intake.pages.form_words import FORM_WORDS
from services.intake.pages.referral_words import CONSENT_TEXT_VERSION, REFERRAL_WORDS
from services.intake.pages.render import render
from services.intake.referrals.schemas import ReferralIn
from services.intake.referrals.service import catalogue_refusal, refer
from shared.clock import today_in_copenhagen
from shared.contracts import (
    CODE_PATTERN,
    Answer,
    Benefit,
    DisadvantagesAtEntry,
    EducationLevel,
    Gender,
    LabourMarketStatus,
)
from shared.db import unit_of_work
from shared.pages.domain import SECURITY_HEADERS, PageRefused, iso_date
from shared.pages.render import page_language
from shared.pages.sessions import WebSession
from shared.pages.web import CheckedForm, Lang
from shared.rejection import Refused, Rejection

router = APIRouter(include_in_schema=False)
_KEY = re.compile(KEY_PATTERN)
_CASE_REFERENCE = re.compile(r"RUM-\d{6,}")
_CODE = re.compile(CODE_PATTERN)
Kind = Literal["text", "tel", "email", "date", "number", "choice", "consent", "catalogue"]


@dataclass(frozen=True)
class Field:
    """One control of the form: its name (the API body's, the last part of a nested one), what it holds, its codes,
    whether it may be left empty, whether it has a hint, and where it sits in the API's body."""

    name: str
    kind: Kind
    choices: tuple[str, ...] = ()
    optional: bool = False
    hint: bool = False
    within: str | None = None  # "contact" or "disadvantages": the nested object the field belongs to


_ANSWERS: tuple[str, ...] = get_args(Answer)
SECTIONS: tuple[tuple[str, tuple[Field, ...]], ...] = (
    (
        "citizen",
        (
            Field("cpr", "text", hint=True),
            Field("name", "text"),
            Field("referred_on", "date", optional=True, hint=True),
            Field("gender", "choice", get_args(Gender), optional=True, hint=True),
        ),
    ),
    ("basis", (Field("legal_basis", "choice", get_args(LegalBasis)), Field("consent", "consent", optional=True))),
    (
        "contact",
        (
            Field("phone", "tel", optional=True, within="contact"),
            Field("email", "email", optional=True, within="contact"),
            Field("address", "text", optional=True, within="contact"),
        ),
    ),
    (
        "programme",
        (
            Field("programme_id", "catalogue"),
            Field("subproject_id", "catalogue", hint=True),
            Field("target_group", "catalogue"),
            Field("responsible_caseworker_email", "email", optional=True, hint=True),
        ),
    ),
    (
        "situation",
        (
            Field("labour_market_status", "choice", get_args(LabourMarketStatus)),
            Field("months_unemployed", "number", optional=True, hint=True),
            Field("education_level", "choice", get_args(EducationLevel)),
            Field("benefit", "choice", get_args(Benefit)),
        ),
    ),
    (
        "disadvantages",
        tuple(Field(name, "choice", _ANSWERS, within="disadvantages") for name in DisadvantagesAtEntry.model_fields),
    ),
)
FIELDS: dict[str, Field] = {field.name: field for _, fields in SECTIONS for field in fields}
_MONTHS = re.compile(r"[0-9]{1,3}", re.ASCII)


def defaults(today: date) -> dict[str, str]:
    """A new form's values: today's date, the consent basis (its box left for the caseworker to tick), not asked."""
    answers = {name: "not-asked" for name, field in FIELDS.items() if field.within == "disadvantages"}
    return {"referred_on": today.isoformat(), "legal_basis": "consent"} | answers


def body_of(posted: Mapping[str, str]) -> dict[str, Any]:
    """The API body a posted form makes, as JSON would carry it: an empty field left out (the API's default, or its
    own "missing"), the consent box with the version of the text shown beside it, months as a number, a date typed
    the Danish way as ISO."""
    body: dict[str, Any] = {}
    for field in FIELDS.values():
        typed = posted.get(field.name, "").strip()
        if not typed or field.kind == "consent":
            continue
        # months are a JSON number; anything else goes as typed, for the schema to name
        value: Any = int(typed) if field.kind == "number" and _MONTHS.fullmatch(typed) else typed
        value = iso_date(typed) if field.kind == "date" else value
        if field.within:
            body.setdefault(field.within, {})[field.name] = value
        else:
            body[field.name] = value
    if posted.get("consent") == "yes":  # a ticked box; an unticked one is not sent at all
        body["consent"] = True
        body["consent_text_version"] = posted.get("consent_text_version", "")
    return body


def field_errors(errors: Sequence[Mapping[str, Any]]) -> dict[str, str]:
    """The body's validation errors by field name, each as the words' key that explains it; an error no field of the
    form holds is the form's own ("")."""
    found: dict[str, str] = {}
    for error in errors:
        location = tuple(str(part) for part in error.get("loc") or ())
        message, kind = str(error.get("msg", "")), str(error.get("type", ""))
        name = _field_of(location, message)
        found.setdefault(name, _error_key(name, kind, message))
    return found


def _field_of(location: tuple[str, ...], message: str) -> str:
    if not location:  # the schema's rules across fields name their field in the message only
        if "consent" in message:
            return "consent"
        return "months_unemployed" if "months_unemployed" in message else ""
    if location[0] == "consent_text_version":  # the hidden field beside the consent box
        return "consent"
    name = location[-1] if location[0] in ("contact", "disadvantages") and len(location) > 1 else location[0]
    return name if name in FIELDS else ""


def _error_key(name: str, kind: str, message: str) -> str:
    if kind == "missing":
        return "error_missing"
    if name == "cpr":
        return "error_cpr_born" if "date of birth is" in message else "error_cpr"
    if name == "consent" and kind != "string_pattern_mismatch":
        return "error_consent_basis" if "only on the consent basis" in message else "error_consent_required"
    if name == "months_unemployed":
        return "error_months" if "unemployed" in message else "error_number"
    if kind == "string_too_long":
        return "error_too_long"
    if name in ("name", "phone", "address"):
        return f"error_{name}"
    if name in ("email", "responsible_caseworker_email"):
        return "error_email"
    if kind in ("literal_error", "enum", "string_pattern_mismatch", "string_type"):
        return "error_choice"
    if "future" in message:
        return "error_future"
    if "before 2000" in message:
        return "error_before_2000"
    return "error_date" if "date" in kind or "date" in message else "error_invalid"


@dataclass(frozen=True)
class Choices:
    """What the catalogue offers the caseworker's municipality on the referral date."""

    programmes: list[tuple[str, str]]  # (id, title)
    subprojects: list[tuple[str, list[str]]]  # (programme title, its sub-project ids)
    target_groups: list[str]


def choices_of(serving: Sequence[Row[Any]]) -> Choices:
    """The form's catalogue choices from the sub-projects serving the municipality (sorted by programme title)."""
    programmes: dict[str, str] = {}
    grouped: dict[str, list[str]] = {}  # by programme id: two programmes may share a title
    groups: set[str] = set()
    for row in serving:
        programmes[row.programme_id] = row.programme_title
        grouped.setdefault(row.programme_id, []).append(row.id)
        groups.update(row.target_groups)
    by_title = [(programmes[programme], ids) for programme, ids in grouped.items()]
    return Choices(list(programmes.items()), by_title, sorted(groups))


@router.get("/referrals/new")
async def referral_form(request: Request, sessions: Sessions, web: CaseworkerSession, lang: Lang = None) -> Response:
    """An empty referral form, each form with an Idempotency-Key of its own."""
    return await _form(request, sessions, web, values=defaults(today_in_copenhagen()), key=uuid4().hex)


@router.post("/referrals/new")
async def refer_from_form(
    request: Request, sessions: Sessions, vault: TheVault, web: CaseworkerSession, form: CheckedForm
) -> Response:
    """Refer the citizen through POST /referrals' use case; on to the new case's page, or the form with its errors."""
    key = form.get("idempotency_key", "")
    kept = key if _KEY.fullmatch(key) else uuid4().hex  # after an error the same key: a double click is one referral
    try:
        referral = ReferralIn.model_validate_json(json.dumps(body_of(form)))
    except ValidationError as invalid:  # the API's own schema: its errors beside the fields, the values kept
        errors = field_errors(invalid.errors())
        errors |= await _catalogue_errors(request, sessions, web, form, errors)
        return await _form(request, sessions, web, values=form, key=kept, status=422, errors=errors)
    if not _KEY.fullmatch(key):
        raise PageRefused(422, "invalid")  # every form of ours carries one
    # the fingerprint POST /referrals takes, so the same key cannot mean two different referrals
    asked = idempotency.fingerprint("POST", "/referrals", referral.model_dump(mode="json"))
    try:
        async with unit_of_work(sessions) as session:
            answer = await refer(
                session,
                vault=vault,
                reach=request.app.state.reach,
                referral=referral.to_referral(),
                principal=web.principal,
                today=today_in_copenhagen(),
                key=key,
                asked=asked,
            )
    except Refused as refused:  # nothing kept
        answer = refused.rejection
    if isinstance(answer, Rejection):
        words = f"reason_{answer.reason}"
        if answer.field in FIELDS and words in REFERRAL_WORDS["da"]:  # the catalogue's refusal, beside its field
            errors = {str(answer.field): words}
            return await _form(request, sessions, web, values=form, key=kept, status=422, errors=errors)
        status = 422 if answer.field else 409  # as POST /referrals answers
        return await _form(request, sessions, web, values=form, key=kept, status=status, refused=answer)
    return RedirectResponse(f"/cases/{answer['case_reference']}", status_code=303, headers=SECURITY_HEADERS)


async def _catalogue_errors(
    request: Request, sessions: Sessions, web: WebSession, posted: Mapping[str, str], errors: dict[str, str]
) -> dict[str, str]:
    """The use case's catalogue rule for the form's choices, when they are well formed: a form with several mistakes
    is told of a sub-project that does not serve the municipality at once, not after the others are fixed."""
    codes = {name: posted.get(name, "").strip() for name in ("programme_id", "subproject_id", "target_group")}
    if any(name in errors or not _CODE.fullmatch(value) for name, value in codes.items()):
        return {}
    typed = "" if "referred_on" in errors else posted.get("referred_on", "").strip()
    assert web.principal.municipality is not None  # caseworker_session refuses a session without one
    async with unit_of_work(sessions) as session:
        refusal = await catalogue_refusal(
            session,
            programme_id=codes["programme_id"],
            subproject_id=codes["subproject_id"],
            target_group=codes["target_group"],
            referred_on=_day(typed) or today_in_copenhagen(),
            municipality=web.principal.municipality,
            cache=request.app.state.reach,
        )
    if refusal is None or refusal.field not in FIELDS or refusal.field in errors:
        return {}
    return {str(refusal.field): f"reason_{refusal.reason}"}


async def _form(
    request: Request,
    sessions: Sessions,
    web: WebSession,
    *,
    values: Mapping[str, str],
    key: str,
    status: int = 200,
    errors: dict[str, str] | None = None,
    refused: Rejection | None = None,
) -> HTMLResponse:
    """The form with the catalogue's choices on its referral date (today if it has none yet, or a wrong one)."""
    assert web.principal.municipality is not None  # caseworker_session refuses a session without one
    on = _day(values.get("referred_on", "")) or today_in_copenhagen()
    async with unit_of_work(sessions) as session:
        serving = await subprojects_serving(session, web.principal.municipality, on=on)
    words = FORM_WORDS[page_language(request)] | REFERRAL_WORDS[page_language(request)]
    errors = errors or {}
    reference = _CASE_REFERENCE.search(refused.detail) if refused and refused.reason == "already-referred" else None
    return render(
        request,
        "referral.html",
        status=status,
        web=web,
        w=words,
        sections=SECTIONS,
        choices=choices_of(serving),
        values=values,
        errors=errors,
        summary=sorted(errors, key=_place),  # the error summary in the form's order
        key=key,
        consent_text_version=CONSENT_TEXT_VERSION,  # the version of the text the page shows, as it shows it
        refused=refused,
        refused_case=reference.group(0) if reference else None,
    )


def _place(name: str) -> int:
    return list(FIELDS).index(name) if name in FIELDS else -1


def _day(value: str) -> date | None:
    try:
        return date.fromisoformat(value) if len(value) == 10 else None
    except ValueError:
        return None

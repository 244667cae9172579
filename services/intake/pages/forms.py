"""The case page's forms, pure: which fields each step's form has, how a posted form becomes the API's body, and how
the body's validation errors are named beside their fields.

A form's id is its step (services.intake.domain.Step); a field's id is "<step>-<field>", its name the API body's.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal, get_args

from services.intake.domain import Step
from shared import contracts
from shared.pages.domain import iso_date

FieldKind = Literal["date", "choice", "yes-no", "course"]


@dataclass(frozen=True)
class FormField:
    """One field of a form: its name in the API's body, what it holds, its choices (codes) and whether it may be
    left empty."""

    name: str
    kind: FieldKind
    choices: tuple[str, ...] = ()
    optional: bool = False


@dataclass(frozen=True)
class Form:
    """A step's form: the command route it posts to (under /participants/{id}/, None: not a command) and its fields."""

    step: Step
    path: str | None
    fields: tuple[FormField, ...]


def _date(name: str, *, optional: bool = False) -> FormField:
    return FormField(name, "date", optional=optional)


def _choice(name: str, codes: Any, *, optional: bool = False) -> FormField:
    return FormField(name, "choice", get_args(codes), optional)


_CORRECTION = _choice("correction_reason", contracts.CorrectionReason)
FORMS: dict[Step, Form] = {
    form.step: form
    for form in (
        Form("enrolment", "enrolment", (FormField("course_id", "course"), _date("enrolled_on", optional=True))),
        Form("withdrawal", "withdrawal", (_date("withdrawn_on"), _choice("reason", contracts.WithdrawalReason))),
        Form("start", "start", (_date("started_on"),)),
        Form("completion", "completion", (_date("completed_on"),)),
        Form("drop-out", "drop-out", (_date("dropped_out_on"), _choice("reason", contracts.DropOutReason))),
        Form(
            "leaving-outcome",
            "leaving-outcome",
            (
                _choice("situation", contracts.Situation),
                FormField("qualification_gained", "yes-no", optional=True),
                _date("observed_on"),
            ),
        ),
        Form(
            "six-month-result",
            "six-month-result",
            (
                _choice("situation", contracts.SixMonthSituation),
                _choice("improvement", contracts.Improvement, optional=True),
                _date("observed_on"),
            ),
        ),
        Form("correct-start", "corrections/start", (_date("started_on"), _CORRECTION)),
        Form("correct-leaving-date", "corrections/leaving-date", (_date("left_on"), _CORRECTION)),
        Form(
            "correct-drop-out-reason",
            "corrections/drop-out-reason",
            (_choice("drop_out_reason", contracts.DropOutReason), _CORRECTION),
        ),
        Form("consent-withdrawal", None, (_date("withdrawn_on"),)),
    )
}
STEPS: tuple[Step, ...] = get_args(Step)
_YES_NO = {"yes": True, "no": False}


def step_of(asked: str | None) -> Step | None:
    """The step a link or a post names, or None if it names none."""
    return asked if asked in FORMS else None


def body_of(form: Form, posted: dict[str, str]) -> dict[str, Any]:
    """The API body a posted form makes, as JSON would carry it: an empty optional field is left out (the API's
    default), an empty required one too (so the API's own "missing" names it); a date typed the Danish way is ISO."""
    body: dict[str, Any] = {}
    for field in form.fields:
        value = posted.get(field.name, "").strip()
        if not value:
            continue
        if field.kind == "yes-no":
            body[field.name] = _YES_NO.get(value, value)
        else:
            body[field.name] = iso_date(value) if field.kind == "date" else value
    return body


def field_errors(errors: Sequence[Mapping[str, Any]], form: Form) -> dict[str, str]:
    """The body's validation errors by field, each as the words' key that explains it (forms_words.py); an error the
    form has no field for is the form's own ("")."""
    names = {field.name for field in form.fields}
    found: dict[str, str] = {}
    for error in errors:
        location = error.get("loc") or ("",)
        name = str(location[0]) if location[0] in names else ""
        found.setdefault(name, _error_key(str(error.get("type", "")), str(error.get("msg", ""))))
    return found


def _error_key(kind: str, message: str) -> str:
    if kind == "missing":
        return "error_missing"
    if kind in ("literal_error", "enum", "string_pattern_mismatch", "bool_type", "bool_parsing"):
        return "error_choice"
    if "future" in message:
        return "error_future"
    if "before 2000" in message:
        return "error_before_2000"
    return "error_date" if "date" in kind or "date" in message else "error_invalid"

"""The case page's pure rules (issue 19): which steps a case allows, how a form becomes the API's body and its errors
words, that each form posts exactly its command's body, and that a reminder's link and the inbox name one form."""

from __future__ import annotations

from typing import get_args

import pytest
from pydantic import ValidationError

from services.followup.messages import FORM_OF_CHECK, case_link
from services.intake.commands.service import COMMANDS
from services.intake.domain import STATUS_OF_FACT, Status, status_of, steps_allowed
from services.intake.pages.domain import return_path, step_of_check
from services.intake.pages.form_words import FORM_WORDS
from services.intake.pages.forms import FORMS, STEPS, body_of, field_errors, step_of
from services.intake.pages.texts import Say

ENROLLED, STARTED, COMPLETED = (
    next(k for k, v in STATUS_OF_FACT.items() if v == s) for s in ("enrolled", "started", "completed")
)


@pytest.mark.parametrize(
    ("status", "allowed"),
    [
        ("referred", {"enrolment"}),
        ("waiting", {"withdrawal"}),
        ("enrolled", {"start", "withdrawal"}),
        ("started", {"completion", "drop-out", "correct-start"}),
        ("completed", {"leaving-outcome", "six-month-result", "correct-start", "correct-leaving-date", "enrolment"}),
        (
            "dropped-out",
            {
                "leaving-outcome",
                "six-month-result",
                "correct-start",
                "correct-leaving-date",
                "correct-drop-out-reason",
                "enrolment",
            },
        ),
        ("withdrawn", {"enrolment"}),
    ],
)
def test_each_status_allows_the_steps_its_owning_service_accepts(status: Status, allowed: set[str]) -> None:
    assert set(steps_allowed(status, erased=False, legal_basis="public-task", consent_withdrawn=False)) == allowed
    with_consent = steps_allowed(status, erased=False, legal_basis="consent", consent_withdrawn=False)
    assert set(with_consent) == allowed | {"consent-withdrawal"}
    assert "consent-withdrawal" not in steps_allowed(
        status, erased=False, legal_basis="consent", consent_withdrawn=True
    )


def test_an_erased_case_allows_no_step() -> None:
    for status in get_args(Status):
        assert steps_allowed(status, erased=True, legal_basis="consent", consent_withdrawn=False) == ()


def test_the_latest_placing_fact_says_where_a_case_stands() -> None:
    assert status_of([]) == "referred"
    assert status_of([ENROLLED, STARTED, "followup.check-scheduled"]) == "started"
    assert status_of([ENROLLED, STARTED, COMPLETED, "reminder.sent"]) == "completed"


def test_every_step_has_a_form_and_every_form_posts_its_commands_body() -> None:
    assert set(FORMS) == set(STEPS)
    for form in FORMS.values():
        if form.path is None:
            continue
        schema = COMMANDS[form.path][0]
        assert {field.name for field in form.fields} == set(schema.model_fields), form.step
        for field in form.fields:
            assert field.optional == (not schema.model_fields[field.name].is_required()), (form.step, field.name)


def test_a_posted_form_becomes_the_apis_body_and_its_errors_name_the_fields() -> None:
    form = FORMS["leaving-outcome"]
    posted = {"situation": "education", "qualification_gained": "no", "observed_on": "2026-11-30", "csrf_token": "x"}
    assert body_of(form, posted) == {
        "situation": "education",
        "qualification_gained": False,
        "observed_on": "2026-11-30",
    }
    assert body_of(form, {"qualification_gained": ""}) == {}
    schema = COMMANDS["leaving-outcome"][0]
    with pytest.raises(ValidationError) as invalid:
        schema.model_validate({"situation": "rich", "observed_on": "30-11-2026"})
    assert field_errors(invalid.value.errors(), form) == {"situation": "error_choice", "observed_on": "error_date"}
    with pytest.raises(ValidationError) as missing:
        schema.model_validate({})
    assert field_errors(missing.value.errors(), form) == {"situation": "error_missing", "observed_on": "error_missing"}


def test_a_step_is_named_only_as_one_of_the_forms() -> None:
    assert step_of("six-month-result") == "six-month-result"
    assert step_of("drop-database") is None and step_of(None) is None


def test_the_reminders_link_and_the_inbox_name_the_same_form_for_each_check() -> None:
    for check, step in FORM_OF_CHECK.items():
        assert step_of_check(check) == step and step in FORMS
        assert (
            case_link("https://intake.example/", "RUM-000002", check)
            == f"https://intake.example/cases/RUM-000002?step={step}"
        )
    assert case_link("https://intake.example", "RUM-000002") == "https://intake.example/cases/RUM-000002"


def test_every_form_has_words_in_both_languages() -> None:
    assert FORM_WORDS["da"].keys() == FORM_WORDS["en"].keys()
    for lang in ("da", "en"):
        say = Say(lang)
        for form in FORMS.values():
            assert say[f"step_{form.step}"]
            for field in form.fields:
                assert say[f"field_{field.name}"]


def test_sign_in_leads_back_to_the_page_or_to_the_form_a_post_came_from() -> None:
    assert return_path("GET", "/cases/RUM-000002", "step=six-month-result") == "/cases/RUM-000002?step=six-month-result"
    assert return_path("GET", "/tasks", "") == "/tasks"
    assert return_path("POST", "/cases/RUM-000002/start", "") == "/cases/RUM-000002?step=start"
    assert return_path("POST", "/cases/search", "") == "/cases"
    assert return_path("POST", "/cases/RUM-2/start", "") == "/cases"  # only a case reference as the pages write it

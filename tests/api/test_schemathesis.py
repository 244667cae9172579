"""schemathesis over the four services' committed OpenAPI documents, with valid tokens and all its checks.

Each operation is fuzzed against the running stack: valid and invalid data, missing and wrong tokens. A failure of
any check fails the test; the few expectations configured here are explained in docs/decisions.md.
"""

from __future__ import annotations

from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.checks import CHECKS, load_all_checks

from deploy.api_docs import OPENAPI_DIR
from deploy.stack import Stack

pytestmark = pytest.mark.stack
load_all_checks()
ALL_CHECKS = [check for check in CHECKS.get_all() if getattr(check, "__name__", "") != "max_response_time"]
EXAMPLES = settings(max_examples=25, deadline=None, suppress_health_check=list(HealthCheck), derandomize=True)


def _schema(service: str) -> Any:
    schema = schemathesis.openapi.from_path(OPENAPI_DIR / f"{service}.json")
    # A body valid by its schema may still break a rule no JSON Schema can state (a CPR number's date, a date in the
    # future, consent given): such a body is refused with 422. See docs/decisions.md.
    schema.config.checks.positive_data_acceptance.expected_statuses = ["2xx", "401", "403", "404", "409", "422"]
    return schema


INTAKE, ENROLMENT, FOLLOWUP, REPORTING = (_schema(s) for s in ("intake", "enrolment", "followup", "reporting"))


def _call(case: Any, stack: Stack, service: str, token: str) -> None:
    case.call_and_validate(
        base_url=stack.url(service), headers={"Authorization": f"Bearer {token}"}, checks=ALL_CHECKS, timeout=30
    )


@INTAKE.parametrize()
@EXAMPLES
def test_intake_answers_as_its_document_says(case: Any, stack: Stack, caseworker_token: str) -> None:
    _call(case, stack, "intake", caseworker_token)


@ENROLMENT.parametrize()
@EXAMPLES
def test_enrolment_answers_as_its_document_says(case: Any, stack: Stack, caseworker_token: str) -> None:
    _call(case, stack, "enrolment", caseworker_token)


@FOLLOWUP.parametrize()
@EXAMPLES
def test_followup_answers_as_its_document_says(case: Any, stack: Stack, caseworker_token: str) -> None:
    _call(case, stack, "followup", caseworker_token)


@REPORTING.parametrize()
@EXAMPLES
def test_reporting_answers_as_its_document_says(case: Any, stack: Stack, operator_token: str) -> None:
    _call(case, stack, "reporting", operator_token)

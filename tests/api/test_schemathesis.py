"""schemathesis over the four services' committed OpenAPI documents, with valid tokens and all its checks.

Each operation is fuzzed against the running stack: valid and invalid data, missing and wrong tokens. A failure of
any check fails the test; the few expectations configured here are explained in docs/decisions.md.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest
import pytest_asyncio
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.checks import CHECKS, load_all_checks

from deploy.api_docs import OPENAPI_DIR
from deploy.stack import Stack, StackConfig
from shared.auth import MUNICIPAL, ROLES, Role

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
CATALOGUE = _schema("enrolment").include(path_regex="^/catalogue/")


@pytest_asyncio.fixture(scope="module", loop_scope="session")
async def catalogue_stack(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[Stack]:
    """A stack of its own for fuzzing the catalogue as its administrator.

    The entries schemathesis makes up are published on the catalogue topic; here they never reach the topics that
    the end-to-end test scans for anything shaped like a CPR number (a made-up id of ten digits would look like one).
    """
    config = StackConfig.on_free_ports(tmp_path_factory.mktemp("catalogue-stack"), environment="test")
    running = Stack(config, log=lambda line: print(f"[catalogue stack] {line}"))
    try:
        await running.start()
        yield running
    finally:
        running.stop()


def _call(case: Any, stack: Stack, service: str, token: str) -> None:
    case.call_and_validate(
        base_url=stack.url(service), headers={"Authorization": f"Bearer {token}"}, checks=ALL_CHECKS, timeout=30
    )


@pytest.mark.parametrize("role", ROLES)
@INTAKE.parametrize()
@EXAMPLES
def test_intake_answers_each_role_as_its_document_says(case: Any, stack: Stack, role: Role) -> None:
    token = stack.token(
        role=role,
        subject=f"fuzz-{role}",
        municipality="751" if role in MUNICIPAL else None,
        subprojects=["plus-aarhus"] if role == "provider-staff" else None,
    )
    _call(case, stack, "intake", token)


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


@CATALOGUE.parametrize()
@EXAMPLES
def test_the_catalogue_answers_its_administrator_as_its_document_says(case: Any, catalogue_stack: Stack) -> None:
    token = catalogue_stack.token(role="administrator", email="admin@example.org", subject="fuzz-admin")
    _call(case, catalogue_stack, "enrolment", token)

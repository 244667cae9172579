"""The committed OpenAPI documents match the code, and every endpoint but health asks for a bearer token."""

from __future__ import annotations

import pytest
from fastapi import FastAPI

from deploy.api_docs import ASYNCAPI, OPENAPI_DIR, asyncapi, build_apps, render
from services.topology import subscriptions
from shared.contracts import REGISTRY
from shared.topics import SENDERS

APPS = build_apps()


@pytest.mark.parametrize("name", APPS)
def test_the_committed_openapi_document_is_current(name: str) -> None:
    path = OPENAPI_DIR / f"{name}.json"
    assert path.read_text() == render(APPS[name].openapi()), "run: python -m deploy.api_docs"


@pytest.mark.parametrize("name", APPS)
def test_every_endpoint_but_health_requires_a_bearer_token(name: str) -> None:
    app: FastAPI = APPS[name]
    for path, operations in app.openapi()["paths"].items():
        for method, operation in operations.items():
            if path.startswith("/health"):
                assert "security" not in operation
            else:
                assert operation.get("security") == [{"HTTPBearer": []}], f"{method.upper()} {path} is open"


def test_the_committed_asyncapi_document_is_current() -> None:
    assert ASYNCAPI.read_text() == render(asyncapi()), "run: python -m deploy.api_docs"


def test_every_topic_that_carries_a_contract_has_a_sender_and_a_reader() -> None:
    read = {t for topics in subscriptions().values() for t in topics}
    assert set(SENDERS) == set(REGISTRY.topics())
    assert read == set(REGISTRY.topics())


def test_a_command_topic_is_read_by_its_owner_alone() -> None:
    for topic in REGISTRY.topics():
        if REGISTRY.carries_commands(topic):
            readers = [service for service, topics in subscriptions().items() if topic in topics]
            assert readers == [topic.split(".")[0]], topic


def test_every_version_of_the_upcast_referral_event_is_documented_on_its_channel() -> None:
    messages = asyncapi()["channels"]["intake_referral_events"]["messages"]
    assert {"referral_registered_v1", "referral_registered_v2", "referral_registered_v3"} <= set(messages)

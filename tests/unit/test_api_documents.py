"""The committed OpenAPI documents match the code, and every endpoint but health asks for a bearer token."""

from __future__ import annotations

import pytest
from fastapi import FastAPI

from deploy.api_docs import ASYNCAPI, OPENAPI_DIR, asyncapi, build_apps, render
from shared.contracts import EVENTS
from shared.topics import CARRIES, SENDERS

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
            if path == "/health":
                assert "security" not in operation
            else:
                assert operation.get("security") == [{"HTTPBearer": []}], f"{method.upper()} {path} is open"


def test_the_committed_asyncapi_document_is_current() -> None:
    assert ASYNCAPI.read_text() == render(asyncapi()), "run: python -m deploy.api_docs"


def test_every_event_type_travels_on_some_topic_and_every_topic_has_a_sender() -> None:
    carried = {t for types in CARRIES.values() for t in types}
    assert carried == {type_ for type_, _ in EVENTS}
    assert set(SENDERS) == set(CARRIES)

"""The committed OpenAPI documents match the code, and every endpoint but health asks for a bearer token."""

from __future__ import annotations

import pytest
from fastapi import FastAPI

from deploy.api_docs import OPENAPI_DIR, build_apps, render

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

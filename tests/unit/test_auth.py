"""Bearer tokens: what verify_token accepts and refuses, and require_role as a FastAPI dependency."""

from __future__ import annotations

import base64
import json
import time
from datetime import UTC, datetime, timedelta
from typing import Annotated, Any

import jwt
import pytest
from fastapi import Depends, FastAPI, HTTPException
from fastapi.testclient import TestClient
from pydantic import SecretStr

from shared.auth import Principal, issue_token, require_role, verify_token
from shared.settings import AuthSettings

SETTINGS = AuthSettings(issuer="rummelig-test", audience="rummelig", jwt_secret=SecretStr("s" * 64))
EMAIL = "sagsbehandler@kommune.dk"


def claims(**changes: Any) -> dict[str, Any]:
    """Valid claims for SETTINGS, with some changed (a value of None removes the claim)."""
    now = datetime.now(UTC)
    data: dict[str, Any] = {
        "iss": SETTINGS.issuer,
        "aud": SETTINGS.audience,
        "iat": now,
        "exp": now + timedelta(hours=1),
        "sub": "caseworker-1",
        "email": EMAIL,
        "roles": ["caseworker"],
        "municipality": "751",
    }
    for key, value in changes.items():
        if value is None:
            data.pop(key, None)
        else:
            data[key] = value
    return data


def signed(payload: dict[str, Any], secret: str = "s" * 64, algorithm: str = "HS256") -> str:
    return jwt.encode(payload, secret, algorithm=algorithm)


def assert_401(token: str) -> None:
    with pytest.raises(HTTPException) as caught:
        verify_token(SETTINGS, token)
    assert caught.value.status_code == 401
    assert caught.value.headers == {"WWW-Authenticate": "Bearer"}


# --- verify_token -------------------------------------------------------------------------------------------------


def test_an_issued_token_verifies_to_its_principal() -> None:
    token = issue_token(SETTINGS, subject="caseworker-1", email=EMAIL, roles=["caseworker"], municipality="751")
    assert verify_token(SETTINGS, token) == Principal("caseworker-1", EMAIL, frozenset({"caseworker"}), "751")


def test_a_token_without_a_municipality_verifies_with_none() -> None:
    token = issue_token(
        SETTINGS, subject="operator-1", email="operator@example.dk", roles=["operator", "administrator"]
    )
    principal = verify_token(SETTINGS, token)
    assert principal.roles == frozenset({"operator", "administrator"})
    assert principal.municipality is None


def test_a_hand_signed_token_with_valid_claims_verifies() -> None:
    assert verify_token(SETTINGS, signed(claims())).subject == "caseworker-1"


def test_an_expired_token_is_refused() -> None:
    assert_401(issue_token(SETTINGS, subject="c", email=EMAIL, roles=["caseworker"], ttl=timedelta(seconds=-10)))


def test_a_token_for_another_audience_is_refused() -> None:
    other = AuthSettings(issuer=SETTINGS.issuer, audience="someone-else", jwt_secret=SETTINGS.jwt_secret)
    assert_401(issue_token(other, subject="c", email=EMAIL, roles=["caseworker"], municipality="751"))


def test_a_token_from_another_issuer_is_refused() -> None:
    other = AuthSettings(issuer="evil-issuer", audience=SETTINGS.audience, jwt_secret=SETTINGS.jwt_secret)
    assert_401(issue_token(other, subject="c", email=EMAIL, roles=["caseworker"], municipality="751"))


def test_a_token_signed_with_another_secret_is_refused() -> None:
    other = AuthSettings(issuer=SETTINGS.issuer, audience=SETTINGS.audience, jwt_secret=SecretStr("x" * 64))
    assert_401(issue_token(other, subject="c", email=EMAIL, roles=["caseworker"], municipality="751"))


def test_a_token_without_roles_is_refused() -> None:
    assert_401(issue_token(SETTINGS, subject="c", email=EMAIL, roles=[], municipality="751"))
    assert_401(signed(claims(roles=None)))


def test_a_token_with_an_unknown_role_is_refused() -> None:
    assert_401(signed(claims(roles=["superuser"])))
    assert_401(signed(claims(roles=["caseworker", "root"])))


@pytest.mark.parametrize("missing", ["exp", "iss", "aud", "sub", "email"])
def test_a_token_missing_a_required_claim_is_refused(missing: str) -> None:
    assert_401(signed(claims(**{missing: None})))


@pytest.mark.parametrize(
    ("claim", "value"), [("email", "not-an-email"), ("municipality", "Aarhus"), ("municipality", "0751"), ("sub", "")]
)
def test_a_token_with_a_malformed_claim_is_refused(claim: str, value: str) -> None:
    assert_401(signed(claims(**{claim: value})))


@pytest.mark.parametrize("token", ["", "not-a-token", "a.b.c", "eyJhbGciOiJIUzI1NiJ9..", "Bearer x.y.z"])
def test_a_malformed_token_is_refused(token: str) -> None:
    assert_401(token)


def test_a_token_with_alg_none_is_refused() -> None:
    token = jwt.encode(claims(), key="", algorithm="none")
    assert token.endswith(".")  # unsigned
    assert_401(token)


def test_a_token_signed_with_another_hmac_algorithm_is_refused() -> None:
    assert_401(signed(claims(), algorithm="HS512"))


def test_a_tampered_token_is_refused() -> None:
    header, _, signature = signed(claims()).split(".")
    forged = {**claims(roles=["administrator"]), "iat": 0, "exp": 4102444800}
    forged_payload = base64.urlsafe_b64encode(json.dumps(forged).encode()).rstrip(b"=").decode()
    assert_401(f"{header}.{forged_payload}.{signature}")


# --- require_role through a FastAPI app ---------------------------------------------------------------------------


@pytest.fixture(scope="module")
def client() -> TestClient:
    app = FastAPI()
    app.state.auth_settings = SETTINGS

    @app.get("/cases")
    async def cases(principal: Annotated[Principal, Depends(require_role("caseworker"))]) -> dict[str, str | None]:
        return {"subject": principal.subject, "municipality": principal.municipality}

    return TestClient(app)


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def test_a_request_without_a_token_is_401(client: TestClient) -> None:
    response = client.get("/cases")
    assert response.status_code == 401
    assert response.headers["www-authenticate"] == "Bearer"


def test_a_request_with_an_invalid_token_is_401(client: TestClient) -> None:
    assert client.get("/cases", headers=bearer("not-a-token")).status_code == 401
    assert client.get("/cases", params={"access_token": "not-a-token"}).status_code == 401


def test_an_operator_token_on_a_caseworker_route_is_403(client: TestClient) -> None:
    token = issue_token(SETTINGS, subject="op", email="operator@example.dk", roles=["operator"])
    assert client.get("/cases", headers=bearer(token)).status_code == 403


def test_a_caseworker_token_without_a_municipality_is_403(client: TestClient) -> None:
    token = issue_token(SETTINGS, subject="c", email=EMAIL, roles=["caseworker"])
    response = client.get("/cases", headers=bearer(token))
    assert response.status_code == 403
    assert "municipality" in response.json()["detail"]


def test_a_caseworker_token_with_a_municipality_is_let_through(client: TestClient) -> None:
    token = issue_token(SETTINGS, subject="caseworker-1", email=EMAIL, roles=["caseworker"], municipality="751")
    response = client.get("/cases", headers=bearer(token))
    assert response.status_code == 200
    assert response.json() == {"subject": "caseworker-1", "municipality": "751"}


def test_the_token_may_come_as_an_access_token_query_parameter(client: TestClient) -> None:
    token = issue_token(SETTINGS, subject="caseworker-1", email=EMAIL, roles=["caseworker"], municipality="751")
    response = client.get("/cases", params={"access_token": token})
    assert response.status_code == 200
    assert response.json()["municipality"] == "751"


def test_a_token_signed_for_another_deployment_is_401_through_the_app(client: TestClient) -> None:
    other = AuthSettings(issuer=SETTINGS.issuer, audience=SETTINGS.audience, jwt_secret=SecretStr("x" * 64))
    token = issue_token(other, subject="c", email=EMAIL, roles=["caseworker"], municipality="751")
    assert client.get("/cases", headers=bearer(token)).status_code == 401


@pytest.mark.parametrize(
    ("claims", "status"),
    [
        ({"roles": ["team-lead"]}, 403),  # a team lead without a municipality
        ({"roles": ["team-lead"], "municipality": "751"}, 200),
        ({"roles": ["provider-staff"]}, 403),  # a provider without sub-projects
        ({"roles": ["provider-staff"], "subprojects": ["plus-aarhus"]}, 200),
        ({"roles": ["operator"]}, 403),  # an operator without programmes
        ({"roles": ["operator"], "programmes": ["rummelig-plus"]}, 200),
        ({"roles": ["provider-staff"], "subprojects": ["Not A Code"]}, 401),
    ],
)
def test_each_role_needs_its_scope_in_the_token(claims: dict[str, Any], status: int) -> None:
    app = FastAPI()
    app.state.auth_settings = SETTINGS

    @app.get("/anyone")
    async def anyone(
        _: Annotated[Principal, Depends(require_role("team-lead", "provider-staff", "operator"))],
    ) -> dict[str, str]:
        return {}

    token = jwt.encode(
        {
            "iss": SETTINGS.issuer,
            "aud": SETTINGS.audience,
            "exp": datetime.now(UTC) + timedelta(minutes=5),
            "sub": "someone",
            "email": "someone@example.org",
            **claims,
        },
        SETTINGS.jwt_secret.get_secret_value(),
        algorithm="HS256",
    )
    response = TestClient(app).get("/anyone", headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == status, response.text


def test_a_cached_token_is_checked_again_once_it_has_expired(monkeypatch: pytest.MonkeyPatch) -> None:
    token = issue_token(SETTINGS, subject="cached", email="c@example.dk", roles=["operator"], ttl=timedelta(minutes=1))
    assert verify_token(SETTINGS, token).subject == "cached"

    def refuse(*_: object) -> None:
        raise HTTPException(401, "expired")

    monkeypatch.setattr("shared.auth._verify", refuse)
    assert verify_token(SETTINGS, token).subject == "cached"  # from the cache: not checked again
    later = time.time() + 120
    monkeypatch.setattr("shared.auth.time.time", lambda: later)
    with pytest.raises(HTTPException) as refused:  # past its expiry the cache no longer answers
        verify_token(SETTINGS, token)
    assert refused.value.status_code == 401

"""JWT bearer authentication: issuer, audience and expiry checked; roles and municipality come from the token."""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Annotated, Any, Literal

import jwt
from fastapi import Depends, HTTPException, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from pydantic import BaseModel, EmailStr, Field, ValidationError

from shared.settings import AuthSettings

Role = Literal["caseworker", "operator", "administrator"]
_bearer = HTTPBearer(auto_error=False)


class Claims(BaseModel):
    """The claims Rummelig relies on."""

    sub: str = Field(min_length=1, max_length=200)
    email: EmailStr
    roles: list[Role] = Field(min_length=1)
    municipality: str | None = Field(default=None, pattern=r"^\d{3}$")


@dataclass(frozen=True)
class Principal:
    """The authenticated user of one request."""

    subject: str
    email: str
    roles: frozenset[str]
    municipality: str | None


def issue_token(
    settings: AuthSettings,
    *,
    subject: str,
    email: str,
    roles: list[Role],
    municipality: str | None = None,
    ttl: timedelta = timedelta(hours=12),
) -> str:
    """A signed token, for the local launcher, the demo and the tests."""
    now = datetime.now(UTC)
    claims: dict[str, Any] = {
        "iss": settings.issuer,
        "aud": settings.audience,
        "iat": now,
        "exp": now + ttl,
        "sub": subject,
        "email": email,
        "roles": roles,
    }
    if municipality:
        claims["municipality"] = municipality
    return jwt.encode(claims, settings.jwt_secret.get_secret_value(), algorithm="HS256")


def verify_token(settings: AuthSettings, token: str) -> Principal:
    """Decode and check a token, or raise HTTPException 401."""
    try:
        raw = jwt.decode(
            token,
            settings.jwt_secret.get_secret_value(),
            algorithms=["HS256"],
            audience=settings.audience,
            issuer=settings.issuer,
            options={"require": ["exp", "iss", "aud", "sub"]},
        )
        claims = Claims.model_validate(raw)
    except (jwt.InvalidTokenError, ValidationError) as exc:
        raise HTTPException(401, "invalid bearer token", headers={"WWW-Authenticate": "Bearer"}) from exc
    return Principal(claims.sub, str(claims.email), frozenset(claims.roles), claims.municipality)


def require_role(role: Role) -> Callable[..., Coroutine[Any, Any, Principal]]:
    """A FastAPI dependency: the request's principal, who must hold the role."""

    async def dependency(
        request: Request, credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)]
    ) -> Principal:
        # A page opened in a browser may carry the token as ?access_token= (RFC 6750, section 2.3).
        token = credentials.credentials if credentials else request.query_params.get("access_token")
        if not token:
            raise HTTPException(401, "bearer token required", headers={"WWW-Authenticate": "Bearer"})
        principal = verify_token(request.app.state.auth_settings, token)
        if role not in principal.roles:
            raise HTTPException(403, f"role {role!r} required")
        if role == "caseworker" and principal.municipality is None:
            raise HTTPException(403, "a caseworker token must name a municipality")
        return principal

    return dependency

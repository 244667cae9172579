"""JWT bearer authentication: issuer, audience and expiry checked; roles and their scope come from the token.

The roles and what each may reach:
- caseworker: the participants of one municipality (token claim `municipality`);
- team-lead: the same, and every caseworker's caseload of it;
- provider-staff: the participants on the courses of their sub-projects (`subprojects`), never a CPR number;
- operator: the figures of the programmes they operate (`programmes`), never personal data;
- administrator: the catalogue; the audit log and access requests;
- data-protection-officer: the audit log and access requests (personal data only through these audited duties).
"""

from __future__ import annotations

import time
from collections import OrderedDict
from collections.abc import Callable, Coroutine
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Annotated, Any, Literal

import jwt
from fastapi import Depends, HTTPException, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from pydantic import BaseModel, EmailStr, Field, ValidationError

from shared.settings import AuthSettings

Role = Literal["caseworker", "team-lead", "provider-staff", "operator", "administrator", "data-protection-officer"]
ROLES: tuple[Role, ...] = (
    "caseworker",
    "team-lead",
    "provider-staff",
    "operator",
    "administrator",
    "data-protection-officer",
)
MUNICIPAL: tuple[Role, ...] = ("caseworker", "team-lead")  # roles scoped to one municipality
CODE = r"^[a-z0-9][a-z0-9-]{0,49}$"
_bearer = HTTPBearer(auto_error=False)


class Claims(BaseModel):
    """The claims Rummelig relies on."""

    sub: str = Field(min_length=1, max_length=200)
    email: EmailStr
    roles: list[Role] = Field(min_length=1)
    municipality: str | None = Field(default=None, pattern=r"^\d{3}$")
    subprojects: list[Annotated[str, Field(pattern=CODE)]] = Field(default_factory=list, max_length=100)
    programmes: list[Annotated[str, Field(pattern=CODE)]] = Field(default_factory=list, max_length=100)


@dataclass(frozen=True)
class Principal:
    """The authenticated user of one request."""

    subject: str
    email: str
    roles: frozenset[str]
    municipality: str | None
    subprojects: frozenset[str] = frozenset()
    programmes: frozenset[str] = frozenset()

    def has(self, *roles: Role) -> bool:
        """True if the user holds one of the roles."""
        return bool(self.roles & set(roles))


def issue_token(
    settings: AuthSettings,
    *,
    subject: str,
    email: str,
    roles: list[Role],
    municipality: str | None = None,
    subprojects: list[str] | None = None,
    programmes: list[str] | None = None,
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
    if subprojects:
        claims["subprojects"] = subprojects
    if programmes:
        claims["programmes"] = programmes
    return jwt.encode(claims, settings.jwt_secret.get_secret_value(), algorithm="HS256")


VERIFIED_CACHE_SIZE = 10_000
_verified: OrderedDict[tuple[str, str, str, str], tuple[float, Principal]] = OrderedDict()


def verify_token(settings: AuthSettings, token: str) -> Principal:
    """Decode and check a token, or raise HTTPException 401.

    A token checked before is taken from a small cache until it expires: checking the signature and the claims of
    every request cost intake about a twentieth of its CPU (bench/intake.py). Only valid tokens are cached.
    """
    key = (settings.jwt_secret.get_secret_value(), settings.audience, settings.issuer, token)
    hit = _verified.get(key)
    if hit is not None and time.time() < hit[0]:
        _verified.move_to_end(key)
        return hit[1]
    principal, expires = _verify(settings, token)
    _verified[key] = (expires, principal)
    if len(_verified) > VERIFIED_CACHE_SIZE:
        _verified.popitem(last=False)
    return principal


def _verify(settings: AuthSettings, token: str) -> tuple[Principal, float]:
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
    principal = Principal(
        claims.sub,
        str(claims.email),
        frozenset(claims.roles),
        claims.municipality,
        frozenset(claims.subprojects),
        frozenset(claims.programmes),
    )
    return principal, float(raw["exp"])


# Why a principal may not act in one of some roles, in words an API client reads (a page shows its own).
REFUSALS = {
    "role": "one of the roles {roles} is required",
    "municipality": "a caseworker's or team lead's token must name a municipality",
    "subprojects": "a provider's token must name its sub-projects",
    "programmes": "an operator's token must name the programmes operated",
}


def scope_refusal(principal: Principal, allowed: tuple[Role, ...]) -> str | None:
    """Why the principal may not act in one of the roles (a key of REFUSALS), or None: the role and the scope it
    needs. The one rule for the API (require_role) and the pages."""
    held = [r for r in allowed if r in principal.roles]
    if not held:
        return "role"
    if any(r in MUNICIPAL for r in held) and principal.municipality is None:
        return "municipality"
    if "provider-staff" in held and not principal.subprojects and not principal.has(*MUNICIPAL):
        return "subprojects"
    if "operator" in held and not principal.programmes:
        return "programmes"
    return None


def require_role(role: Role, *more: Role) -> Callable[..., Coroutine[Any, Any, Principal]]:
    """A FastAPI dependency: the request's principal, who must hold one of the roles, with the scope it needs."""
    allowed = (role, *more)

    async def dependency(
        request: Request, credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)]
    ) -> Principal:
        # A page opened in a browser may carry the token as ?access_token= (RFC 6750, section 2.3).
        token = credentials.credentials if credentials else request.query_params.get("access_token")
        if not token:
            raise HTTPException(401, "bearer token required", headers={"WWW-Authenticate": "Bearer"})
        principal = verify_token(request.app.state.auth_settings, token)
        if (why := scope_refusal(principal, allowed)) is not None:
            raise HTTPException(403, REFUSALS[why].format(roles=", ".join(allowed)))
        return principal

    return dependency

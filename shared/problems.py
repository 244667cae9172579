"""RFC 9457 problem details for every error a service answers with, and their place in the OpenAPI documents."""

from __future__ import annotations

import re
from http import HTTPStatus
from typing import Any

from fastapi import FastAPI, Request
from fastapi.dependencies.models import Dependant
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from fastapi.routing import APIRoute
from pydantic import BaseModel, Field
from starlette.datastructures import Headers
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.types import ASGIApp, Receive, Scope, Send

from shared.outages import RETRY_AFTER_SECONDS, database_unavailable
from shared.rejection import Rejection

PROBLEM_JSON = "application/problem+json"
MAX_BODY_BYTES = 64 * 1024
BODY_METHODS = frozenset({"POST", "PUT", "PATCH"})


class ProblemError(BaseModel):
    """One invalid part of a request."""

    location: list[str]
    message: str


class Problem(BaseModel):
    """An RFC 9457 problem: what went wrong, for people (title, detail) and machines (type, status)."""

    type: str = Field(description="a URI naming the kind of problem, e.g. urn:rummelig:problem:course-full")
    title: str
    status: int = Field(ge=400, le=599)
    detail: str
    errors: list[ProblemError] | None = Field(default=None, description="each invalid part (validation problems)")
    command_id: str | None = Field(default=None, description="the refused command (command problems)")
    command_type: str | None = None
    command_status: str | None = None
    links: dict[str, str] | None = None


DESCRIPTIONS = {
    400: "The body is not valid JSON.",
    401: "No bearer token, or one that is invalid or expired.",
    403: "The token lacks the role this endpoint requires.",
    404: "No such resource, or one of another municipality.",
    409: "The request conflicts with the state of the case; the problem type names the reason.",
    410: "The participant's personal data were erased; the timeline still answers.",
    413: f"The body is larger than {MAX_BODY_BYTES} bytes.",
    415: "The body is not application/json.",
    422: "The request is not valid; each invalid part is listed in errors.",
    503: f"The database does not answer; try again after Retry-After ({RETRY_AFTER_SECONDS}) seconds.",
}


def problem(status: int, detail: str, *, type_: str = "about:blank", **extra: Any) -> JSONResponse:
    """A problem-details response."""
    body = {"type": type_, "title": HTTPStatus(status).phrase, "status": status, "detail": detail, **extra}
    return JSONResponse(body, status_code=status, media_type=PROBLEM_JSON)


def refusal(rejection: Rejection, status: int = 422) -> JSONResponse:
    """The problem answer to a refusal: its reason as the problem type, and the field at fault where it names one."""
    extra: dict[str, Any] = {}
    if rejection.field:
        extra["errors"] = [{"location": ["body", rejection.field], "message": rejection.detail}]
    return problem(status, rejection.detail, type_=f"urn:rummelig:problem:{rejection.reason}", **extra)


def problem_responses(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """The `responses=` of a route for problems it answers beyond those every route of its kind may answer."""
    return {status: _documented(status) for status in statuses}


def _documented(status: int) -> dict[str, Any]:
    return {
        "description": DESCRIPTIONS[status],
        "content": {PROBLEM_JSON: {"schema": {"$ref": "#/components/schemas/Problem"}}},
    }


def document_problems(app: FastAPI) -> None:
    """Add the problems every operation may answer to the app's OpenAPI document, as application/problem+json.

    A secured operation may answer 401 and 403; one with parameters or a body 422 (FastAPI's own 422 is replaced);
    one with a path parameter 404; one with a body 400, 413 and 415.
    """
    plain_openapi = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema:
            return app.openapi_schema
        document = plain_openapi()
        schemas = document.setdefault("components", {}).setdefault("schemas", {})
        schemas.pop("HTTPValidationError", None)
        schemas.pop("ValidationError", None)
        schemas.update(Problem.model_json_schema(ref_template="#/components/schemas/{model}").pop("$defs", {}))
        schemas["Problem"] = Problem.model_json_schema(ref_template="#/components/schemas/{model}")
        for operations in document.get("paths", {}).values():
            for operation in operations.values():
                responses = operation.setdefault("responses", {})
                for status in _may_answer(operation):
                    responses[str(status)] = _documented(status)
        app.openapi_schema = document
        return document

    app.openapi = openapi  # type: ignore[method-assign]


def _may_answer(operation: dict[str, Any]) -> list[int]:
    statuses: list[int] = []
    parameters = operation.get("parameters", [])
    if operation.get("security"):
        statuses += [401, 403]
    if any(p.get("in") == "path" for p in parameters):
        statuses.append(404)
    if "requestBody" in operation:
        statuses += [400, 413, 415]
    statuses.append(422)  # at least for a query parameter the operation does not know
    statuses.append(503)  # the database does not answer (shared.outages)
    return statuses


def install_problem_handlers(app: FastAPI) -> None:
    """Answer HTTP errors, validation errors, bodies that are too large or not JSON as problem details."""

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        response = problem(exc.status_code, str(exc.detail))
        if exc.headers:
            response.headers.update(exc.headers)
        if exc.status_code == 405:  # Starlette names the methods of one route; a path may have a route per method
            response.headers["Allow"] = ", ".join(_methods_of(request))
        return response

    @app.exception_handler(RequestValidationError)
    async def validation_error(_: Request, exc: RequestValidationError) -> JSONResponse:
        if any(e.get("type") == "json_invalid" for e in exc.errors()):
            return problem(400, "the body is not valid JSON", type_="urn:rummelig:problem:malformed-json")
        errors = [
            {"location": [str(p) for p in e.get("loc", ())], "message": str(e.get("msg", ""))} for e in exc.errors()
        ][:20]
        return problem(422, "the request is not valid", type_="urn:rummelig:problem:validation", errors=errors)

    @app.exception_handler(Exception)
    async def failed(_: Request, exc: Exception) -> JSONResponse:
        # Starlette's ServerErrorMiddleware sends this answer and then logs the exception as it did before.
        if database_unavailable(exc):
            response = problem(
                503, "the database does not answer: try again shortly", type_="urn:rummelig:problem:unavailable"
            )
            response.headers["Retry-After"] = str(RETRY_AFTER_SECONDS)
            return response
        return problem(500, "something went wrong on our side", type_="urn:rummelig:problem:internal")

    app.add_middleware(BodyGate)

    document_problems(app)


def _methods_of(request: Request) -> list[str]:
    """Every method some operation of the app serves at the request's path (from its OpenAPI document, which sees
    the routes of included routers too)."""
    methods: set[str] = set()
    for template, operations in request.app.openapi().get("paths", {}).items():
        if re.fullmatch(re.sub(r"\\\{[^}]+\\\}", "[^/]+", re.escape(template)), request.url.path):
            methods |= {method.upper() for method in operations}
    for route in request.app.routes:  # and routes left out of the document
        if isinstance(route, APIRoute) and route.path_regex.match(request.url.path) and route.methods:
            methods |= route.methods
    return sorted(methods)


async def known_query_parameters(request: Request) -> None:
    """Refuse a query parameter the operation does not declare: a misspelt filter would be ignored, the answer wrong.

    An app-wide dependency (shared.service.build_app), so it runs once the route is known; access_token is every
    page's (shared.auth).
    """
    route = request.scope.get("route")
    if not isinstance(route, APIRoute):
        return
    unknown = sorted(set(request.query_params) - {"access_token", *_query_names(route.dependant)})
    if unknown:
        raise RequestValidationError(
            [{"type": "extra_forbidden", "loc": ("query", name), "msg": "unknown query parameter"} for name in unknown]
        )


def _query_names(dependant: Dependant) -> set[str]:
    names = {param.alias for param in dependant.query_params}
    for sub in dependant.dependencies:
        names |= _query_names(sub)
    return names


class BodyGate:
    """Refuses a body that is too large (413) or not JSON (415) before it is read.

    Plain ASGI rather than @app.middleware("http"): Starlette's BaseHTTPMiddleware wraps every request in task groups
    and streams, which cost intake about a tenth of its CPU per request (bench/intake.py, profiled with py-spy).
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Answer the problem, or pass the request on untouched."""
        if scope["type"] == "http" and scope["path"] not in _uploads(scope):
            headers = Headers(scope=scope)
            length = headers.get("content-length")
            refused: JSONResponse | None = None
            if length is not None and (not length.isdigit() or int(length) > MAX_BODY_BYTES):
                refused = problem(413, f"request body larger than {MAX_BODY_BYTES} bytes")
            elif scope["method"] in BODY_METHODS and _has_body(headers) and not _is_json(headers):
                refused = problem(415, "the body must be application/json")
            if refused is not None:
                await refused(scope, receive, send)
                return
        await self.app(scope, receive, send)


def _uploads(scope: Scope) -> frozenset[str]:
    """The app's paths that stream a body of their own kind and bound it themselves (app.state.upload_paths)."""
    state = getattr(scope.get("app"), "state", None)
    return getattr(state, "upload_paths", frozenset())


def _has_body(headers: Headers) -> bool:
    length = headers.get("content-length")
    return (length is not None and length != "0") or "chunked" in headers.get("transfer-encoding", "")


def _is_json(headers: Headers) -> bool:
    media_type = headers.get("content-type", "").split(";")[0].strip().lower()
    return media_type == "application/json" or (media_type.startswith("application/") and media_type.endswith("+json"))

"""An outage of the database is told apart from a fault: the exceptions (and their causes) that mean it does not
answer, and the problem every API answers for each."""

from __future__ import annotations

import errno

import asyncpg
import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy.exc import DBAPIError, IntegrityError
from sqlalchemy.exc import TimeoutError as PoolTimeout

from shared.outages import database_unavailable
from shared.problems import PROBLEM_JSON, install_problem_handlers


def _caused(exc: BaseException, cause: BaseException) -> BaseException:
    exc.__cause__ = cause
    return exc


@pytest.mark.parametrize(
    "exc",
    [
        ConnectionRefusedError(errno.ECONNREFUSED, "Connect call failed"),
        OSError(errno.ECONNREFUSED, "Multiple exceptions: connection refused"),
        TimeoutError(),
        PoolTimeout("QueuePool limit reached, connection timed out"),
        asyncpg.CannotConnectNowError("the database system is starting up"),
        asyncpg.AdminShutdownError("terminating connection due to administrator command"),
        DBAPIError("SELECT 1", {}, Exception("closed"), connection_invalidated=True),
        _caused(RuntimeError("while handling the request"), ConnectionResetError()),
    ],
    ids=lambda exc: type(exc).__name__,
)
def test_these_mean_the_database_does_not_answer(exc: BaseException) -> None:
    assert database_unavailable(exc)


@pytest.mark.parametrize(
    "exc",
    [
        RuntimeError("a bug"),
        KeyError("x"),
        IntegrityError("INSERT", {}, Exception("duplicate key")),
        DBAPIError("SELECT", {}, Exception("syntax error"), connection_invalidated=False),
        OSError(errno.ENOENT, "no such file"),
    ],
    ids=lambda exc: type(exc).__name__,
)
def test_these_are_faults_not_outages(exc: BaseException) -> None:
    assert not database_unavailable(exc)


def test_a_cycle_of_causes_ends() -> None:
    first, second = RuntimeError("a"), RuntimeError("b")
    first.__context__, second.__context__ = second, first
    assert not database_unavailable(first)


async def test_an_outage_is_a_503_with_retry_after_and_a_fault_a_500_both_as_problems() -> None:
    app = FastAPI()
    install_problem_handlers(app)

    @app.get("/outage")
    async def outage() -> None:
        raise ConnectionRefusedError(errno.ECONNREFUSED, "Connect call failed ('127.0.0.1', 5433)")

    @app.get("/fault")
    async def fault() -> None:
        raise RuntimeError("a bug")

    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)  # the server logs it; the client gets this
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
        outage_answer, fault_answer = await client.get("/outage"), await client.get("/fault")
    assert outage_answer.status_code == 503 and outage_answer.headers["retry-after"] == "5"
    assert outage_answer.headers["content-type"] == PROBLEM_JSON
    assert outage_answer.json()["type"] == "urn:rummelig:problem:unavailable"
    assert fault_answer.status_code == 500 and fault_answer.headers["content-type"] == PROBLEM_JSON
    assert "retry-after" not in fault_answer.headers and "a bug" not in fault_answer.text

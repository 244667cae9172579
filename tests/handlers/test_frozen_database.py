"""A PostgreSQL that is frozen (its processes stopped with SIGSTOP: a stalled disk, a paused VM) accepts connections
and answers nothing. A request waits a bounded time for it, then answers 503 with Retry-After, and once it thaws the
same process serves again. Liveness never asks the database; readiness says which dependency is missing."""

from __future__ import annotations

import asyncio
import random
import time
from collections.abc import AsyncIterator, Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import psutil
import pytest_asyncio
from fastapi import FastAPI

from deploy.ports import free_port
from deploy.postgres import PostgresServer, ensure_database
from deploy.synthetic import referral_body, synthetic_citizen
from services.intake.main import create_app as intake_app
from shared.migrate import upgrade
from shared.outages import CONNECT_SECONDS, POOL_SECONDS, STATEMENT_SECONDS
from shared.problems import PROBLEM_JSON
from tests.fixtures.database import migrations_dir
from tests.fixtures.pages import intake_settings, token

# The longest a request may wait: a pooled connection's check (a statement), then a new connection, then margin
BOUND_SECONDS = STATEMENT_SECONDS + CONNECT_SECONDS + 3
assert POOL_SECONDS <= BOUND_SECONDS


@pytest_asyncio.fixture(loop_scope="session")
async def server(tmp_path: Path) -> AsyncIterator[PostgresServer]:
    """A PostgreSQL of the test's own (freezing the session's would stall every other test) with intake migrated."""
    postgres = PostgresServer(tmp_path / "postgres", port=free_port(), log_path=tmp_path / "postgres.log")
    await asyncio.to_thread(postgres.start)
    try:
        await ensure_database(postgres.dsn("postgres"), "intake")
        await asyncio.to_thread(upgrade, postgres.url("intake"), migrations_dir("intake"))
        yield postgres
    finally:
        await asyncio.to_thread(postgres.stop)


@contextmanager
def frozen(postgres: PostgresServer) -> Iterator[None]:
    """Every process of the server stopped, as a hung machine would be; thawed afterwards whatever happened."""
    assert postgres.pid is not None
    postmaster = psutil.Process(postgres.pid)
    # the postmaster first (it forks no one while stopped), then its children: each runs in a session of its own
    processes = [postmaster]
    postmaster.suspend()
    processes += postmaster.children(recursive=True)
    for process in processes[1:]:
        process.suspend()
    try:
        yield
    finally:
        for process in processes:
            process.resume()


async def test_a_frozen_database_is_answered_503_in_bounded_time_and_served_again_after(
    server: PostgresServer,
) -> None:
    app: FastAPI = intake_app(intake_settings(server.url("intake")))
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    headers = {"Authorization": f"Bearer {token(municipality='751')}"}
    try:
        async with httpx.AsyncClient(transport=transport, base_url="http://test", headers=headers) as api:
            assert (await api.get("/participants")).status_code == 200  # the pool holds a live connection now
            with frozen(server):
                began = time.monotonic()
                live = await api.get("/health/live")
                live_took = time.monotonic() - began
                answers = []
                for request in (
                    api.get("/participants"),
                    api.post("/referrals", json=referral_body(synthetic_citizen(random.Random(77)))),
                ):
                    began = time.monotonic()
                    answers.append((await request, time.monotonic() - began))
                ready = await api.get("/health/ready")
            for answer, took in answers:
                assert answer.status_code == 503, answer.text
                assert answer.headers["retry-after"] == "5"
                assert answer.headers["content-type"] == PROBLEM_JSON
                assert answer.json()["type"] == "urn:rummelig:problem:unavailable"
                assert took < BOUND_SECONDS, f"waited {took:.1f} s for a frozen database"
            assert live.status_code == 200 and live_took < 1  # the process answers; no dependency asked
            assert ready.status_code == 503 and "database" in ready.json()["missing"]

            async def served() -> bool:
                return (await api.get("/participants")).status_code == 200

            # thawed: the connections that timed out were dropped, new ones work
            assert await served() or await served()
    finally:
        await app.state.sessions.kw["bind"].dispose()

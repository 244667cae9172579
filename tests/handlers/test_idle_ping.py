"""A pooled connection is pinged before use only after it has been idle (shared.db): one broken meanwhile (a database
restart, here its backend terminated) is then replaced before the transaction starts; one in steady use fails its
transaction once as a disconnect, and the pool connects afresh for the next."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncEngine

import shared.db
from shared.db import SessionMaker, create_engine


@pytest.fixture
async def engine(service_sessions: Callable[[str], SessionMaker]) -> AsyncIterator[AsyncEngine]:
    url = service_sessions("reporting").kw["bind"].url.render_as_string(hide_password=False)
    made = create_engine(url, pool_size=1)
    yield made
    await made.dispose()


async def _backend(engine: AsyncEngine) -> int:
    async with engine.connect() as conn:
        return int((await conn.execute(text("SELECT pg_backend_pid()"))).scalar_one())


async def _terminate(engine: AsyncEngine, pid: int, service_sessions: Callable[[str], SessionMaker]) -> None:
    async with service_sessions("reporting")() as session:
        connection = await session.connection()
        assert (await connection.execute(text("SELECT pg_terminate_backend(:p, 5000)"), {"p": pid})).scalar_one()


async def test_an_idle_connection_broken_meanwhile_is_replaced_before_use(
    engine: AsyncEngine, service_sessions: Callable[[str], SessionMaker], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(shared.db, "IDLE_PING_SECONDS", 0.0)  # every pooled connection counts as idle
    first = await _backend(engine)
    await _terminate(engine, first, service_sessions)
    assert await _backend(engine) != first  # pinged, found dead, replaced: the transaction never saw it


async def test_a_connection_in_steady_use_broken_fails_once_and_the_pool_connects_afresh(
    engine: AsyncEngine, service_sessions: Callable[[str], SessionMaker], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(shared.db, "IDLE_PING_SECONDS", 3600.0)  # never idle long enough to be pinged
    first = await _backend(engine)
    await _terminate(engine, first, service_sessions)
    with pytest.raises(DBAPIError) as failed:
        await _backend(engine)
    assert failed.value.connection_invalidated
    assert await _backend(engine) != first

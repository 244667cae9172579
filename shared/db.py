"""Database helpers: one async engine per service, sessions whose caller owns the transaction."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager
from enum import StrEnum
from typing import Any

from sqlalchemy import Enum, Executable, Result, event
from sqlalchemy.exc import DisconnectionError
from sqlalchemy.ext.asyncio import AsyncEngine, async_sessionmaker, create_async_engine
from sqlalchemy.ext.asyncio import AsyncSession as SqlAlchemySession
from sqlalchemy.pool import ConnectionPoolEntry
from sqlmodel.ext.asyncio.session import AsyncSession

from shared.outages import CONNECT_SECONDS, POOL_SECONDS, STATEMENT_SECONDS

SessionMaker = async_sessionmaker[AsyncSession]


def create_engine(url: str, *, pool_size: int = 5, statement_seconds: float | None = STATEMENT_SECONDS) -> AsyncEngine:
    """An asyncpg engine that checks a connection that has been idle before use, so a database restart is survived,
    and gives up on a connection or a statement after a few seconds (shared.outages: a request then answers 503). A
    command that reads or writes the whole database (a rebuild, a key rotation) passes statement_seconds=None."""
    connect_args: dict[str, Any] = {"timeout": CONNECT_SECONDS}
    if statement_seconds is not None:
        connect_args["command_timeout"] = statement_seconds
    engine = create_async_engine(url, pool_size=pool_size, pool_timeout=POOL_SECONDS, connect_args=connect_args)
    _ping_when_idle(engine)
    return engine


IDLE_PING_SECONDS = 1.0


def _ping_when_idle(engine: AsyncEngine) -> None:
    """Ping a pooled connection before use only if it has been idle a while (SQLAlchemy's pre-ping pings every time:
    a round trip more in every transaction, a tenth of a consumer's CPU). A connection in steady use that a restart
    broke fails its transaction as a disconnect, which discards the whole pool: the transaction is retried (a
    consumer) or answered 503 (a request), and the next one connects afresh."""

    @event.listens_for(engine.sync_engine, "checkin")
    def _idle_from(_connection: Any, record: ConnectionPoolEntry) -> None:
        record.info["idle_from"] = time.monotonic()

    @event.listens_for(engine.sync_engine, "checkout")
    def _alive(connection: Any, record: ConnectionPoolEntry, _proxy: Any) -> None:
        idle_from = record.info.get("idle_from")
        if idle_from is None or time.monotonic() - idle_from < IDLE_PING_SECONDS:
            return
        try:
            engine.dialect.do_ping(connection)
        except Exception as exc:  # the pool discards the connection and tries a new one
            raise DisconnectionError(repr(exc)) from exc


def create_sessionmaker(engine: AsyncEngine) -> SessionMaker:
    """Sessions that keep loaded objects usable after commit."""
    return async_sessionmaker(engine, class_=AsyncSession, expire_on_commit=False)


@asynccontextmanager
async def unit_of_work(sessions: SessionMaker) -> AsyncIterator[AsyncSession]:
    """One transaction: commits when the block ends, rolls back if it raises."""
    async with sessions() as session, session.begin():
        yield session


def asyncpg_dsn(url: str) -> str:
    """The plain libpq form of an SQLAlchemy asyncpg URL, for raw asyncpg connections."""
    return url.replace("postgresql+asyncpg://", "postgresql://", 1)


async def run(
    session: AsyncSession, statement: Executable, params: Mapping[str, Any] | None = None
) -> Result[*tuple[Any, ...]]:
    """A statement SQLModel's exec does not type (text(), a bulk insert), in the session's transaction."""
    # SQLModel marks execute() deprecated in favour of exec(), whose overloads take only ORM statements: SQLAlchemy's
    # own execute is the typed way to run the rest.
    return await SqlAlchemySession.execute(session, statement, params)


def one_of(kind: type[StrEnum], *, name: str, length: int = 20) -> Enum:
    """A text column type holding one of a StrEnum's values (not its member names), kept to them by a CHECK
    constraint of that name (a migration writes the same values out)."""
    return Enum(
        kind,
        name=name,
        native_enum=False,
        create_constraint=True,
        length=length,
        values_callable=lambda members: [m.value for m in members],
    )

"""Database helpers: one async engine per service, sessions whose caller owns the transaction."""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager
from enum import StrEnum
from typing import Any

from sqlalchemy import Enum, Executable, Result
from sqlalchemy.ext.asyncio import AsyncEngine, async_sessionmaker, create_async_engine
from sqlalchemy.ext.asyncio import AsyncSession as SqlAlchemySession
from sqlmodel.ext.asyncio.session import AsyncSession

from shared.outages import CONNECT_SECONDS, POOL_SECONDS, STATEMENT_SECONDS

SessionMaker = async_sessionmaker[AsyncSession]


def create_engine(url: str, *, pool_size: int = 5, statement_seconds: float | None = STATEMENT_SECONDS) -> AsyncEngine:
    """An asyncpg engine that checks connections before use, so a database restart is survived, and gives up on a
    connection or a statement after a few seconds (shared.outages: a request then answers 503). A command that reads
    or writes the whole database (a rebuild, a key rotation) passes statement_seconds=None."""
    connect_args: dict[str, Any] = {"timeout": CONNECT_SECONDS}
    if statement_seconds is not None:
        connect_args["command_timeout"] = statement_seconds
    return create_async_engine(
        url, pool_size=pool_size, pool_timeout=POOL_SECONDS, pool_pre_ping=True, connect_args=connect_args
    )


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

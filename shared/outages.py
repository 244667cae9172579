"""An outage of the database answered as an outage: 503 with Retry-After and a problem document, never a 500.

A request that finds PostgreSQL down, restarting, refusing connections or too slow to connect says so, so that a
client (or a caseworker's browser) knows to try again shortly rather than that something is wrong with its request.
"""

from __future__ import annotations

import errno

import asyncpg
from sqlalchemy.exc import DBAPIError
from sqlalchemy.exc import TimeoutError as PoolTimeout

RETRY_AFTER_SECONDS = 5
# How long a request waits for the database before it answers 503: for a new connection (asyncpg waits 60 s by
# default), for a pooled one (SQLAlchemy: 30 s) and for any one statement (none by default). A PostgreSQL that is
# frozen (SIGSTOP, a stalled disk) accepts connections and answers nothing; without these a request waits as long.
CONNECT_SECONDS = 5.0
POOL_SECONDS = 5.0
STATEMENT_SECONDS = 5.0
_UNAVAILABLE: tuple[type[BaseException], ...] = (
    ConnectionRefusedError,
    ConnectionResetError,
    ConnectionAbortedError,
    TimeoutError,  # asyncio's too: a connection or a pooled one that did not come in time
    PoolTimeout,
    asyncpg.CannotConnectNowError,
    asyncpg.ConnectionDoesNotExistError,
    asyncpg.AdminShutdownError,
    asyncpg.CrashShutdownError,
    asyncpg.TooManyConnectionsError,
)
_NETWORK = {errno.ECONNREFUSED, errno.ECONNRESET, errno.EHOSTUNREACH, errno.ENETUNREACH, errno.ETIMEDOUT, errno.EPIPE}


def database_unavailable(exc: BaseException) -> bool:
    """Whether an exception, or one it arose from, means that the database does not answer."""
    current: BaseException | None = exc
    for _ in range(10):  # a chain is short; a cycle is not followed for ever
        if current is None:
            return False
        if isinstance(current, _UNAVAILABLE):
            return True
        if isinstance(current, DBAPIError) and current.connection_invalidated:
            return True
        if isinstance(current, OSError) and current.errno in _NETWORK:
            return True
        current = current.__cause__ or current.__context__
    return False

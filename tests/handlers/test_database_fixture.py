"""The handler tests' database: every service's database really exists on PostgreSQL and is migrated to head.

No Kafka here: these tests depend on `databases` and `service_sessions`, never on `stack`.
"""

from __future__ import annotations

from collections.abc import Callable

import asyncpg
import pytest
from alembic.script import ScriptDirectory
from sqlalchemy import text

from deploy.provision import SERVICES
from shared.db import SessionMaker
from shared.migrate import alembic_config
from tests.fixtures.database import Databases, migrations_dir

# Besides the outbox and the inbox every service has, one table of its own proves its own migration ran.
OWN_TABLE = {
    "intake": "participant",
    "enrolment": "course",
    "followup": "deadline",
    "reporting": "participant_progress",
}


def test_every_service_is_named() -> None:
    assert set(OWN_TABLE) == set(SERVICES)


@pytest.mark.parametrize("service", SERVICES)
async def test_each_service_database_is_migrated_to_head(
    service: str, databases: Databases, request: pytest.FixtureRequest
) -> None:
    assert "stack" not in request.fixturenames  # no Kafka, no services
    head = ScriptDirectory.from_config(
        alembic_config(databases.url(service), migrations_dir(service))
    ).get_current_head()
    conn = await asyncpg.connect(databases.dsn(service))
    try:
        assert await conn.fetchval("SELECT current_database()") == service
        assert await conn.fetchval("SELECT version_num FROM alembic_version") == head
        tables = {
            r["table_name"]
            for r in await conn.fetch("SELECT table_name FROM information_schema.tables WHERE table_schema = 'public'")
        }
    finally:
        await conn.close()
    assert {"outbox_message", "processed_event", OWN_TABLE[service]} <= tables, sorted(tables)


@pytest.mark.parametrize("service", SERVICES)
async def test_service_sessions_reach_the_service_database(
    service: str, service_sessions: Callable[[str], SessionMaker]
) -> None:
    async with service_sessions(service)() as session:
        assert (await session.exec(text("SELECT current_database()"))).scalar_one() == service  # type: ignore[call-overload]
        assert (await session.exec(text("SELECT count(*) FROM processed_event"))).scalar_one() >= 0  # type: ignore[call-overload]
    assert service_sessions(service) is service_sessions(service)  # one engine per service for the session


def test_an_unknown_service_is_refused(databases: Databases) -> None:
    with pytest.raises(ValueError, match="unknown service"):
        databases.url("billing")

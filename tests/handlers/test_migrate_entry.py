"""python -m deploy.migrate <service>, run as the cluster's migration Jobs run it: one service's database migrated
with the service's own URL, so the role that connects owns every table; twice is once; a bad argument, a missing
setting or an unreachable database ends with a one-line reason and its exit code, never a traceback.

The database here is a fresh one on the session's PostgreSQL, owned by a login role of its own, as CloudNativePG's
Database object makes it; the embedded server trusts local connections, so the password in the URL is not checked
(it still has to survive the trip through Alembic's config, which reads % specially).
"""

from __future__ import annotations

import asyncio
import os
import socket
import subprocess
import sys
import time
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from pathlib import Path

import asyncpg
import pytest
import pytest_asyncio
from alembic.script import ScriptDirectory
from sqlalchemy.engine import make_url

from deploy.migrate import SERVICES, migrations_dir
from deploy.ports import LOCALHOST, free_port
from deploy.postgres import ensure_database
from shared.migrate import alembic_config
from tests.fixtures.database import Databases

ROOT = Path(__file__).resolve().parents[2]
ROLE = "intake_owner"
DATABASE = "intake_migrate_entry"
PASSWORD = "not-checked@50%"  # percent-encoded in the URL: %40 and %25 must reach the driver intact
# Python's start, the connection's give-up time (shared.outages.CONNECT_SECONDS, 5 s) and some slack.
REACH_SECONDS = 10.0


@dataclass(frozen=True)
class Run:
    """What one `python -m deploy.migrate` did."""

    returncode: int
    stdout: str
    stderr: str
    seconds: float


def _environment(**settings: str) -> dict[str, str]:
    """This process's environment without any service's database URL, plus settings."""
    env = {name: value for name, value in os.environ.items() if not name.endswith("_DATABASE_URL")}
    return env | {"PYTHONPATH": str(ROOT)} | settings


async def migrate(*args: str, **settings: str) -> Run:
    """Run the entry point in a child process, as a Job's container runs it."""
    started = time.monotonic()
    done = await asyncio.to_thread(
        subprocess.run,
        [sys.executable, "-m", "deploy.migrate", *args],
        cwd=ROOT,
        env=_environment(**settings),
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    return Run(done.returncode, done.stdout, done.stderr, time.monotonic() - started)


def _head(service: str) -> str:
    head = ScriptDirectory.from_config(
        alembic_config("postgresql+asyncpg://", migrations_dir(service))
    ).get_current_head()
    assert head is not None
    return head


async def _relations(dsn: str) -> dict[tuple[str, str], str]:
    """(kind, name) -> owner of every table, sequence, index and view in the public schema."""
    conn = await asyncpg.connect(dsn)
    try:
        rows = await conn.fetch(
            "SELECT c.relkind::text AS kind, c.relname AS name, pg_get_userbyid(c.relowner) AS owner "
            "FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
            "WHERE n.nspname = 'public' AND c.relkind IN ('r', 'p', 'S', 'i', 'v', 'm')"
        )
    finally:
        await conn.close()
    return {(row["kind"], row["name"]): row["owner"] for row in rows}


@dataclass(frozen=True)
class OwnedDatabase:
    """A fresh database that ROLE owns, and the URL that connects as ROLE."""

    url: str
    dsn: str  # as the server's superuser, to look


@pytest_asyncio.fixture(scope="module", loop_scope="session")
async def owned_database(databases: Databases) -> AsyncIterator[OwnedDatabase]:
    """A database made as the operator makes it: created, then given to the service's login role."""
    admin = await asyncpg.connect(databases.server.dsn("postgres"))
    try:
        if not await admin.fetchval("SELECT 1 FROM pg_roles WHERE rolname = $1", ROLE):
            await admin.execute(f"CREATE ROLE {ROLE} LOGIN")
        await ensure_database(databases.server.dsn("postgres"), DATABASE)
        await admin.execute(f"ALTER DATABASE {DATABASE} OWNER TO {ROLE}")
    finally:
        await admin.close()
    url = make_url(databases.server.url(DATABASE)).set(username=ROLE, password=PASSWORD)
    yield OwnedDatabase(url.render_as_string(hide_password=False), databases.server.dsn(DATABASE))


@pytest_asyncio.fixture(scope="module", loop_scope="session")
async def first_run(owned_database: OwnedDatabase) -> Run:
    """The first migration of the fresh database."""
    return await migrate("intake", INTAKE_DATABASE_URL=owned_database.url)


def _clean(run: Run) -> None:
    assert "Traceback" not in run.stderr, run.stderr
    assert "not-checked" not in run.stdout + run.stderr  # the password is never shown


async def test_it_migrates_to_head_and_the_role_that_connected_owns_every_table(
    first_run: Run, owned_database: OwnedDatabase
) -> None:
    assert first_run.returncode == 0, first_run.stderr
    assert first_run.stdout.strip() == f"intake: at revision {_head('intake')} (was empty)"
    _clean(first_run)
    relations = await _relations(owned_database.dsn)
    tables = {name for kind, name in relations if kind == "r"}
    assert {"alembic_version", "outbox_message", "processed_event", "participant"} <= tables, sorted(tables)
    assert set(relations.values()) == {ROLE}, {rel: owner for rel, owner in relations.items() if owner != ROLE}


async def test_a_second_run_changes_nothing(first_run: Run, owned_database: OwnedDatabase) -> None:
    assert first_run.returncode == 0, first_run.stderr
    before = await _relations(owned_database.dsn)
    again = await migrate("intake", INTAKE_DATABASE_URL=owned_database.url)
    assert again.returncode == 0, again.stderr
    assert again.stdout.strip() == f"intake: at revision {_head('intake')} (already the newest)"
    _clean(again)
    assert await _relations(owned_database.dsn) == before


async def test_an_unknown_service_is_refused_with_the_known_ones() -> None:
    run = await migrate("intkae", INTAKE_DATABASE_URL="postgresql+asyncpg://intake@127.0.0.1:1/intake")
    assert run.returncode == 2
    assert "intkae" in run.stderr
    assert all(service in run.stderr for service in SERVICES), run.stderr
    _clean(run)


async def test_no_service_at_all_is_refused() -> None:
    run = await migrate()
    assert run.returncode == 2
    assert "usage" in run.stderr
    _clean(run)


@pytest.mark.parametrize("service", SERVICES)
async def test_a_missing_url_is_refused_by_its_variable_name(service: str) -> None:
    run = await migrate(service)  # the URLs of every other service are no substitute
    assert run.returncode == 2
    assert f"{service.upper()}_DATABASE_URL is not set" in run.stderr, run.stderr
    _clean(run)


@pytest.mark.parametrize(
    "url",
    ["mysql://intake:not-checked@db/intake", "postgresql://intake:not-checked@db/intake", "", "not a url"],
)
async def test_a_url_the_service_would_refuse_is_refused(url: str) -> None:
    run = await migrate("intake", INTAKE_DATABASE_URL=url)
    assert run.returncode == 2
    assert "INTAKE_DATABASE_URL is not a postgresql+asyncpg://" in run.stderr, run.stderr
    _clean(run)


@pytest.fixture
def silent_server() -> Iterator[int]:
    """A port that takes connections and never answers, like a frozen server."""
    with socket.socket() as listener:
        listener.bind((LOCALHOST, 0))
        listener.listen(8)  # the kernel completes the handshake; nobody ever reads
        yield listener.getsockname()[1]


@pytest.mark.parametrize("kind", ["closed port", "silent server"])
async def test_an_unreachable_database_fails_within_seconds_with_one_line(
    kind: str, request: pytest.FixtureRequest
) -> None:
    port = free_port() if kind == "closed port" else request.getfixturevalue("silent_server")
    url = f"postgresql+asyncpg://intake:not-checked@{LOCALHOST}:{port}/intake"
    run = await migrate("intake", INTAKE_DATABASE_URL=url)
    assert run.returncode == 1, run.stderr
    assert run.seconds < REACH_SECONDS, run.seconds
    message = run.stderr.strip()
    assert message.startswith("deploy.migrate intake: cannot reach the intake database at "), message
    assert f"{LOCALHOST}:{port}/intake" in message
    assert len(message.splitlines()) == 1, message
    _clean(run)


async def test_a_database_that_does_not_exist_is_a_failure_that_says_so(databases: Databases) -> None:
    run = await migrate("intake", INTAKE_DATABASE_URL=databases.server.url("no_such_database"))
    assert run.returncode == 1, run.stderr
    assert 'database "no_such_database" does not exist' in run.stderr, run.stderr
    _clean(run)


async def test_a_role_that_does_not_own_the_database_fails_with_the_reason(databases: Databases) -> None:
    admin = await asyncpg.connect(databases.server.dsn("postgres"))
    try:
        if not await admin.fetchval("SELECT 1 FROM pg_roles WHERE rolname = 'intake_stranger'"):
            await admin.execute("CREATE ROLE intake_stranger LOGIN")
    finally:
        await admin.close()
    await ensure_database(databases.server.dsn("postgres"), "intake_not_owned")  # the superuser's, as before
    url = make_url(databases.server.url("intake_not_owned")).set(username="intake_stranger")
    run = await migrate("intake", INTAKE_DATABASE_URL=url.render_as_string(hide_password=False))
    assert run.returncode == 1, run.stderr
    last = run.stderr.strip().splitlines()[-1]
    assert last.startswith("deploy.migrate intake: migrating the intake database at "), run.stderr
    assert "permission denied for schema public" in last, run.stderr
    _clean(run)

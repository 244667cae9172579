"""One service's database brought to the newest migration with that service's own URL: python -m deploy.migrate <name>.

The rule this module keeps: a database is migrated by the role its service connects as, so that the role owns every
table the migrations create. The URL is the service's own setting (<PREFIX>DATABASE_URL, after the env prefix of its
settings class), checked as the service checks it, and it is the only thing read: no other secret, no Kafka. No
database is created here (locally deploy.provision creates them; in the cluster the operator's Database objects do,
owned by the service's role), and reporting's figure cube is not built here: the service builds it when it starts.
Migrating a database already at the newest revision changes nothing.

Exit codes: 0 migrated (the revision is printed), 2 bad usage or settings, 1 the database could not be reached or
migrated. deploy.provision migrates every service through migrate_database too: there is one way to migrate.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import re
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import NamedTuple

from pydantic import ValidationError, create_model
from pydantic_settings import BaseSettings
from sqlalchemy import text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError, DBAPIError

from services.enrolment.settings import EnrolmentSettings
from services.followup.settings import FollowupSettings
from services.intake.settings import IntakeSettings
from services.reporting.settings import ReportingSettings
from shared.db import create_engine
from shared.migrate import upgrade
from shared.outages import CONNECT_SECONDS
from shared.settings import ServiceSettings

ROOT = Path(__file__).resolve().parent.parent
SETTINGS: dict[str, type[ServiceSettings]] = {
    "intake": IntakeSettings,
    "enrolment": EnrolmentSettings,
    "followup": FollowupSettings,
    "reporting": ReportingSettings,
}
SERVICES = tuple(SETTINGS)
FAILED, BAD_USAGE = 1, 2
# SQLAlchemy's asyncpg adapter names the driver's error as "<class 'asyncpg.exceptions.X'>: message".
_DRIVER_CLASS = re.compile(r"^<class '(?:[\w]+\.)*(\w+)'>:\s*")


class SettingsError(Exception):
    """The service's database URL is missing or not one the service would accept."""


class MigrationFailed(Exception):
    """The database could not be reached or migrated; the message says which and why, without the password."""


class Migrated(NamedTuple):
    """A service's database revision before and after (None: no migration had run)."""

    service: str
    before: str | None
    after: str | None

    def __str__(self) -> str:
        done = "already the newest" if self.before == self.after else f"was {self.before or 'empty'}"
        return f"{self.service}: at revision {self.after} ({done})"


def migrations_dir(service: str) -> Path:
    """The Alembic migrations folder of one service."""
    return ROOT / "services" / service / "migrations"


def url_variable(service: str) -> str:
    """The environment variable of a service's database URL: its settings' env prefix and DATABASE_URL."""
    return f"{SETTINGS[service].model_config.get('env_prefix', '')}DATABASE_URL".upper()


def database_url(service: str) -> str:
    """The service's database URL from its own setting, checked by the service's own field; raises SettingsError."""
    settings = SETTINGS[service]
    # Only this one field: the other settings (keys, secrets) are none of a migration's business, and a Job that
    # migrates is given only the database's credentials.
    model = create_model(
        f"{settings.__name__}DatabaseUrl",
        __base__=BaseSettings,
        database_url=(str, ServiceSettings.model_fields["database_url"]),
    )
    variable = url_variable(service)
    try:
        url: str = model(_env_prefix=str(settings.model_config.get("env_prefix", ""))).model_dump()["database_url"]
    except ValidationError as exc:
        if any(error["type"] == "missing" for error in exc.errors()):
            raise SettingsError(
                f"{variable} is not set: the {service} database's URL, "
                f"postgresql+asyncpg://<user>:<password>@<host>:<port>/{service}"
            ) from None
        # The value itself is never shown: it holds the password.
        raise SettingsError(f"{variable} is not a postgresql+asyncpg://... URL, as {service} wants") from None
    try:
        database = make_url(url).database
    except (ArgumentError, ValueError):
        raise SettingsError(f"{variable} is not a valid URL") from None
    if not database:
        raise SettingsError(f"{variable} names no database (its URL should end in /{service})")
    return url


def _shown(url: str) -> str:
    """The URL without its password, for messages."""
    try:
        return make_url(url).render_as_string(hide_password=True)
    except (ArgumentError, ValueError):
        return "(an unreadable URL)"


def _reason(exc: BaseException) -> str:
    """One line on why: the driver's error rather than SQLAlchemy's wrapping, no statement, no traceback."""
    inner = exc.orig if isinstance(exc, DBAPIError) and exc.orig is not None else exc
    if isinstance(inner, TimeoutError):
        return f"no answer within {CONNECT_SECONDS:g} s"
    message = str(inner).strip()
    found = _DRIVER_CLASS.match(message)
    kind = found.group(1) if found else type(inner).__name__
    first = message[found.end() if found else 0 :].strip().splitlines()
    return f"{kind}: {first[0]}" if first else kind


async def current_revision(url: str) -> str | None:
    """The revision the database is at (None before the first migration); gives up after CONNECT_SECONDS."""
    engine = create_engine(url, pool_size=1)
    try:
        async with engine.connect() as conn:
            if (await conn.execute(text("SELECT to_regclass('alembic_version')"))).scalar() is None:
                return None
            rows = (await conn.execute(text("SELECT version_num FROM alembic_version ORDER BY 1"))).scalars().all()
            return ",".join(rows) or None
    finally:
        await engine.dispose()


def migrate_database(service: str, url: str) -> Migrated:
    """Bring one service's database to the newest revision, connecting with url (blocking: from async code, run it
    in a thread, as Alembic runs its own event loop). Raises MigrationFailed."""
    if service not in SETTINGS:
        raise ValueError(f"unknown service {service!r}; expected one of {', '.join(SERVICES)}")
    where = _shown(url)
    try:
        # First a connection that gives up within seconds: Alembic's own would wait a minute for a silent server.
        before = asyncio.run(current_revision(url))
    except Exception as exc:
        raise MigrationFailed(f"cannot reach the {service} database at {where}: {_reason(exc)}") from exc
    try:
        upgrade(url, migrations_dir(service))
        after = asyncio.run(current_revision(url))
    except Exception as exc:
        raise MigrationFailed(f"migrating the {service} database at {where} failed: {_reason(exc)}") from exc
    return Migrated(service, before, after)


def main(argv: Sequence[str] | None = None) -> int:
    """The command: migrate one service's database; returns the exit code."""
    parser = argparse.ArgumentParser(
        prog="python -m deploy.migrate",
        description="Bring one service's database to the newest migration, with the URL in its own settings "
        "(e.g. INTAKE_DATABASE_URL). Creates no database and touches no Kafka.",
    )
    parser.add_argument("service", choices=SERVICES, help="the service whose database to migrate")
    service: str = parser.parse_args(argv).service  # exits 2 with usage on a bad argument
    try:
        url = database_url(service)
    except SettingsError as exc:
        print(f"deploy.migrate {service}: {exc}", file=sys.stderr)
        return BAD_USAGE
    # Alembic says which migrations it runs (on stderr); nothing else of the libraries' chatter.
    logging.basicConfig(level=logging.WARNING, format="%(message)s", stream=sys.stderr)
    logging.getLogger("alembic.runtime.migration").setLevel(logging.INFO)
    try:
        done = migrate_database(service, url)
    except MigrationFailed as exc:
        print(f"deploy.migrate {service}: {exc}", file=sys.stderr)
        return FAILED
    print(done)
    return 0


if __name__ == "__main__":
    sys.exit(main())

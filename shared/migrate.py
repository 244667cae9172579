"""Alembic, run programmatically: each service keeps its own migrations for its own database."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from pathlib import Path

from alembic import command, context
from alembic.config import Config
from sqlalchemy import MetaData, pool
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import create_async_engine


def alembic_config(database_url: str, migrations_dir: Path) -> Config:
    """An Alembic config for one service's migrations folder and database."""
    cfg = Config()
    cfg.set_main_option("script_location", str(migrations_dir))
    # Alembic's config interpolates %: a percent-encoded password (%40) must reach it as %%40
    cfg.set_main_option("sqlalchemy.url", database_url.replace("%", "%%"))
    return cfg


def upgrade(database_url: str, migrations_dir: Path) -> None:
    """Bring the service's database to the newest revision (blocking; call it in a thread from async code)."""
    command.upgrade(alembic_config(database_url, migrations_dir), "head")


def run_env(metadata: MetaData | Sequence[MetaData], tables: set[str]) -> None:
    """The body of every service's env.py: online migrations over asyncpg, limited to the service's tables."""

    def include_object(obj: object, name: str | None, type_: str, _reflected: bool, _compare_to: object) -> bool:
        # SQLModel.metadata is shared by every service imported in the process; keep this service's own tables.
        table = name if type_ == "table" else getattr(getattr(obj, "table", None), "name", None)
        return table is None or table in tables

    def run_sync(connection: Connection) -> None:
        context.configure(connection=connection, target_metadata=metadata, include_object=include_object)
        with context.begin_transaction():
            context.run_migrations()

    async def run_async() -> None:
        engine = create_async_engine(context.config.get_main_option("sqlalchemy.url") or "", poolclass=pool.NullPool)
        async with engine.connect() as connection:
            await connection.run_sync(run_sync)
        await engine.dispose()

    asyncio.run(run_async())

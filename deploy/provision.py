"""Provisioning shared by the local launcher and docker-compose's init: databases, migrations, topics.

python -m deploy.provision reads PROVISION_POSTGRES_URL (server URL without a database) and
PROVISION_KAFKA_BOOTSTRAP_SERVERS. Every step is idempotent: running it twice changes nothing. Each database is
migrated by deploy.migrate.migrate_database, as `python -m deploy.migrate <service>` migrates one in the cluster.
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import Callable

from deploy.migrate import SERVICES as SERVICES
from deploy.migrate import migrate_database
from deploy.postgres import ensure_database
from services.topology import topics_to_provision
from shared.db import asyncpg_dsn
from shared.kafka import provision_topics


async def provision(postgres_url: str, bootstrap_servers: str, *, log: Callable[[str], None] = print) -> None:
    """Databases and migrations for every service, then every topic."""
    server_url = postgres_url.rstrip("/")
    for name in SERVICES:
        await ensure_database(asyncpg_dsn(server_url) + "/postgres", name)
        # One after the other: Alembic's context is process-global.
        await asyncio.to_thread(migrate_database, name, f"{server_url}/{name}")
    log("databases migrated")
    topics = topics_to_provision()
    created = await provision_topics(bootstrap_servers, topics)
    log(f"topics: {len(created)} created, {len(topics) - len(created)} already there")


if __name__ == "__main__":
    asyncio.run(provision(os.environ["PROVISION_POSTGRES_URL"], os.environ["PROVISION_KAFKA_BOOTSTRAP_SERVERS"]))

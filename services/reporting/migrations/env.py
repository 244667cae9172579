"""Alembic environment of the reporting database."""

from services.reporting.tables import METADATA, TABLES
from shared.migrate import run_env

run_env(METADATA, TABLES)

"""Alembic environment of the intake database."""

from services.intake.tables import METADATA, TABLES
from shared.migrate import run_env

run_env(METADATA, TABLES)

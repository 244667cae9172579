"""Alembic environment of the reporting database."""

from sqlmodel import SQLModel

from services.reporting.tables import TABLES
from shared.migrate import run_env

run_env(SQLModel.metadata, TABLES)

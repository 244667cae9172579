"""Alembic environment of the reporting database."""

from services.reporting.tables import TABLES
from shared.migrate import run_env
from sqlmodel import SQLModel

run_env(SQLModel.metadata, TABLES)

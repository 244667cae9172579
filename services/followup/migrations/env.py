"""Alembic environment of the followup database."""

from sqlmodel import SQLModel

from services.followup.tables import TABLES
from shared.migrate import run_env

run_env(SQLModel.metadata, TABLES)

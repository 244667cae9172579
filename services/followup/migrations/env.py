"""Alembic environment of the followup database."""

from services.followup.tables import TABLES
from shared.migrate import run_env
from sqlmodel import SQLModel

run_env(SQLModel.metadata, TABLES)

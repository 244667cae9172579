"""Alembic environment of the intake database."""

from sqlmodel import SQLModel

from services.intake.tables import TABLES
from shared.migrate import run_env

run_env(SQLModel.metadata, TABLES)

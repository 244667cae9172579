"""Alembic environment of the intake database."""

from services.intake.tables import TABLES
from shared.migrate import run_env
from sqlmodel import SQLModel

run_env(SQLModel.metadata, TABLES)

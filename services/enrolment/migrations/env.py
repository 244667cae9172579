"""Alembic environment of the enrolment database."""

from services.enrolment.tables import TABLES
from shared.migrate import run_env
from sqlmodel import SQLModel

run_env(SQLModel.metadata, TABLES)

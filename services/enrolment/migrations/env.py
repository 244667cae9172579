"""Alembic environment of the enrolment database."""

from sqlmodel import SQLModel

from services.enrolment.tables import TABLES
from shared.migrate import run_env

run_env(SQLModel.metadata, TABLES)

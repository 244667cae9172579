"""The table of the pages' web sessions, in the database of every service that serves pages (its own migration)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Column, DateTime, Index, LargeBinary
from sqlalchemy.dialects.postgresql import JSONB
from sqlmodel import Field, SQLModel


class PageSession(SQLModel, table=True):
    """A web session of the pages: only the hash of its id (the id itself is only in the browser's cookie), the claims
    it was signed in with, its CSRF token and its times; rows written by shared.pages.store."""

    __tablename__ = "page_session"
    __table_args__ = (Index("ix_page_session_last_seen_at", "last_seen_at"),)  # sign-in sweeps the idle ones

    id_hash: bytes = Field(sa_column=Column(LargeBinary, primary_key=True))
    claims: dict[str, Any] = Field(sa_column=Column(JSONB, nullable=False))
    csrf_token: str = Field(max_length=64)
    created_at: datetime = Field(sa_column=Column(DateTime(timezone=True), nullable=False))
    last_seen_at: datetime = Field(sa_column=Column(DateTime(timezone=True), nullable=False))
    token_expires_at: datetime = Field(sa_column=Column(DateTime(timezone=True), nullable=False))

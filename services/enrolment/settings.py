"""Enrolment settings (env prefix ENROLMENT_)."""

from __future__ import annotations

from pydantic import Field
from pydantic_settings import SettingsConfigDict

from shared.settings import ServiceSettings


class EnrolmentSettings(ServiceSettings):
    """Enrolment can seed the demo catalogue at start-up, and serves the administrator's pages."""

    model_config = SettingsConfigDict(env_prefix="ENROLMENT_", env_nested_delimiter="__", extra="ignore")

    http_port: int = Field(default=8002, ge=1, le=65535)
    seed_demo_catalogue: bool = True
    # The administrator's pages: a web session ends after this many minutes without a request (and at the token's
    # expiry).
    page_idle_minutes: int = Field(default=30, ge=1, le=720)

"""Enrolment settings (env prefix ENROLMENT_)."""

from __future__ import annotations

from pydantic import Field
from pydantic_settings import SettingsConfigDict

from shared.settings import ServiceSettings


class EnrolmentSettings(ServiceSettings):
    """Enrolment can seed the demo catalogue at start-up."""

    model_config = SettingsConfigDict(env_prefix="ENROLMENT_", env_nested_delimiter="__", extra="ignore")

    http_port: int = Field(default=8002, ge=1, le=65535)
    seed_demo_catalogue: bool = True

"""Reporting settings (env prefix REPORTING_)."""

from __future__ import annotations

from pydantic import Field
from pydantic_settings import SettingsConfigDict

from shared.settings import ServiceSettings


class ReportingSettings(ServiceSettings):
    """The smallest count shown as a number (the Danish rule: 5)."""

    model_config = SettingsConfigDict(env_prefix="REPORTING_", env_nested_delimiter="__", extra="ignore")

    http_port: int = Field(default=8004, ge=1, le=65535)
    min_cell: int = Field(default=5, ge=3, le=100)  # below 3 a "<N" hides nothing worth hiding
    # How long suppression's audit may take before a report is answered the coarse way (services.reporting.suppression)
    audit_seconds: float = Field(default=5.0, gt=0, le=600)

"""Follow-up settings (env prefix FOLLOWUP_)."""

from __future__ import annotations

from pydantic import EmailStr, Field, SecretStr
from pydantic_settings import SettingsConfigDict

from shared.settings import ServiceSettings


class FollowupSettings(ServiceSettings):
    """Follow-up needs an SMTP server and the intake address that reminder links point to."""

    model_config = SettingsConfigDict(env_prefix="FOLLOWUP_", env_nested_delimiter="__", extra="ignore")

    http_port: int = Field(default=8003, ge=1, le=65535)
    smtp_host: str = "127.0.0.1"
    smtp_port: int = Field(default=1025, ge=1, le=65535)
    smtp_starttls: bool = False
    smtp_username: str | None = None
    smtp_password: SecretStr | None = None  # shown as ********** wherever settings are printed
    mail_from: EmailStr = "rummelig-reminders@example.org"
    intake_public_url: str = "http://127.0.0.1:8001"
    reminder_poll_seconds: float = Field(default=30.0, gt=0, le=3600)
    reminder_lease_seconds: float = Field(default=120.0, gt=0, le=3600)
    # After a reminder sent late (a check found already overdue), the caseworker's time before the coordinator hears
    # of it. The local launcher's demo sets 0, so that a newcomer sees a digest at once.
    escalation_grace_hours: float = Field(default=48.0, ge=0, le=720)

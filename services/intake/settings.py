"""Intake settings (env prefix INTAKE_)."""

from __future__ import annotations

import base64
import binascii

from pydantic import Field, SecretStr, field_validator
from pydantic_settings import SettingsConfigDict

from shared.settings import ServiceSettings


class IntakeSettings(ServiceSettings):
    """Intake needs keys for personal data and a bound on how long a command waits for its answer."""

    model_config = SettingsConfigDict(env_prefix="INTAKE_", env_nested_delimiter="__", extra="ignore")

    http_port: int = Field(default=8001, ge=1, le=65535)
    # 32-byte keys, base64: one encrypts personal data (AES-GCM), the other makes the CPR lookup hash (HMAC).
    data_key: SecretStr
    lookup_key: SecretStr
    command_wait_seconds: float = Field(default=5.0, ge=0, le=30)

    @field_validator("data_key", "lookup_key")
    @classmethod
    def _thirty_two_bytes(cls, value: SecretStr) -> SecretStr:
        try:
            raw = base64.b64decode(value.get_secret_value(), validate=True)
        except (binascii.Error, ValueError) as exc:
            raise ValueError("must be base64") from exc
        if len(raw) != 32:
            raise ValueError("must decode to 32 bytes")
        return value

"""Intake settings (env prefix INTAKE_)."""

from __future__ import annotations

import base64
import binascii
from typing import Self

from pydantic import Field, SecretStr, field_validator, model_validator
from pydantic_settings import SettingsConfigDict

from services.intake.vault import KEY_ID_PATTERN, Vault
from shared.settings import ServiceSettings


def _thirty_two_bytes(value: SecretStr) -> SecretStr:
    try:
        raw = base64.b64decode(value.get_secret_value(), validate=True)
    except (binascii.Error, ValueError) as exc:
        raise ValueError("must be base64") from exc
    if len(raw) != 32:
        raise ValueError("must decode to 32 bytes")
    return value


class IntakeSettings(ServiceSettings):
    """Intake needs keys for personal data, its erasure periods and a bound on how long a command waits."""

    model_config = SettingsConfigDict(env_prefix="INTAKE_", env_nested_delimiter="__", extra="ignore")

    http_port: int = Field(default=8001, ge=1, le=65535)
    # The key ring: master keys (32 bytes, base64) by id, which wrap each participant's own data key (AES-GCM).
    # data_key is one master key under data_key_id, so that one-key settings work as they did; master_keys adds more
    # (INTAKE_MASTER_KEYS='{"k2": "..."}'); master_key_id names the one that wraps new keys and rotation's target.
    data_key: SecretStr | None = None
    data_key_id: str = Field(default="k1", pattern=KEY_ID_PATTERN)
    master_keys: dict[str, SecretStr] = Field(default_factory=dict)
    master_key_id: str = Field(default="k1", pattern=KEY_ID_PATTERN)
    # The CPR lookup hash's key (HMAC), outside the ring: not rotated, so a hash stays comparable.
    lookup_key: SecretStr
    command_wait_seconds: float = Field(default=5.0, ge=0, le=30)
    # Consent withdrawn where consent was the only basis: the personal data are erased this many days later.
    consent_erasure_days: int = Field(default=30, ge=0, le=3650)
    consent_erasure_poll_seconds: float = Field(default=600.0, gt=0, le=86_400)
    audit_check_seconds: float = Field(default=3600.0, gt=0, le=86_400)  # how often the audit chain is walked
    # Retention: personal data are erased this many years after the end of the participant's programme.
    retention_years: int = Field(default=5, ge=1, le=100)
    # The caseworker pages: a web session ends after this many minutes without a request (and at the token's expiry).
    page_idle_minutes: int = Field(default=30, ge=1, le=720)
    # A register extract larger than this is refused, uploaded or imported from a file (a whole-population DREAM
    # extract of 2 years of weeks is about 1.5 GB).
    register_max_bytes: int = Field(default=2 << 30, ge=1024, le=64 << 30)

    @field_validator("data_key", "lookup_key")
    @classmethod
    def _key(cls, value: SecretStr | None) -> SecretStr | None:
        return None if value is None else _thirty_two_bytes(value)

    @field_validator("master_keys")
    @classmethod
    def _keys(cls, value: dict[str, SecretStr]) -> dict[str, SecretStr]:
        for key_id, key in value.items():
            if not Vault.valid_key_id(key_id):
                raise ValueError(f"master key id {key_id!r} must match {KEY_ID_PATTERN}")
            try:
                _thirty_two_bytes(key)
            except ValueError as exc:
                raise ValueError(f"master key {key_id!r} {exc}") from None
        return value

    @model_validator(mode="after")
    def _current_key_in_ring(self) -> Self:
        if self.data_key is None and not self.master_keys:
            raise ValueError("data_key or master_keys is required: personal data cannot be sealed without a key")
        if self.data_key is not None and self.data_key_id in self.master_keys:
            raise ValueError(f"master key {self.data_key_id!r} is given twice (data_key and master_keys)")
        if self.master_key_id not in self.key_ring():
            raise ValueError(f"master_key_id {self.master_key_id!r} is not in the key ring (data_key, master_keys)")
        return self

    def key_ring(self) -> dict[str, str]:
        """The master keys by id, base64."""
        ring = {key_id: key.get_secret_value() for key_id, key in self.master_keys.items()}
        if self.data_key is not None:
            ring[self.data_key_id] = self.data_key.get_secret_value()
        return ring

    def vault(self) -> Vault:
        """The vault these keys make."""
        return Vault.from_base64(self.key_ring(), self.master_key_id, self.lookup_key.get_secret_value())

"""Settings base: every service validates its configuration at start-up and refuses dev secrets in production."""

from __future__ import annotations

from typing import Literal, Self

from pydantic import BaseModel, Field, SecretStr, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

DEV_JWT_SECRET = "rummelig-development-secret-change-me-0123456789"  # noqa: S105 - refused outside development


class KafkaSettings(BaseModel):
    """Where the broker is."""

    bootstrap_servers: str = "127.0.0.1:9092"


class AuthSettings(BaseModel):
    """How bearer tokens are checked."""

    issuer: str = "rummelig-local"
    audience: str = "rummelig"
    jwt_secret: SecretStr = SecretStr(DEV_JWT_SECRET)

    @model_validator(mode="after")
    def _long_enough(self) -> Self:
        if len(self.jwt_secret.get_secret_value()) < 32:
            raise ValueError("auth.jwt_secret must be at least 32 characters")
        return self


class ServiceSettings(BaseSettings):
    """What every service needs; each service subclasses it with its own env prefix."""

    model_config = SettingsConfigDict(env_nested_delimiter="__", extra="ignore")

    environment: Literal["development", "test", "production"] = "development"
    database_url: str = Field(pattern=r"^postgresql\+asyncpg://")
    kafka: KafkaSettings = KafkaSettings()
    auth: AuthSettings = AuthSettings()
    http_host: str = "127.0.0.1"
    http_port: int = Field(ge=1, le=65535)
    log_json: bool | None = None
    outbox_poll_seconds: float = Field(default=2.0, gt=0, le=60)

    @model_validator(mode="after")
    def _no_dev_secrets_in_production(self) -> Self:
        if self.environment == "production" and self.auth.jwt_secret.get_secret_value() == DEV_JWT_SECRET:
            raise ValueError("the development JWT secret may not be used in production")
        return self

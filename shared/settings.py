"""Settings base: every service validates its configuration at start-up and refuses dev secrets in production."""

from __future__ import annotations

from typing import Literal, Self

from pydantic import BaseModel, Field, SecretStr, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

DEV_JWT_SECRET = "rummelig-development-secret-change-me-0123456789"  # noqa: S105 - refused outside development


class KafkaSettings(BaseModel):
    """Where the broker is, and how a client proves who it is: nothing locally; on a cluster (deploy/k8s) TLS with a
    SCRAM password per service, each service's user allowed exactly its own topics and group."""

    bootstrap_servers: str = "127.0.0.1:9092"
    security_protocol: Literal["PLAINTEXT", "SSL", "SASL_PLAINTEXT", "SASL_SSL"] = "PLAINTEXT"
    sasl_mechanism: Literal["PLAIN", "SCRAM-SHA-256", "SCRAM-SHA-512"] | None = None
    sasl_username: str | None = None
    sasl_password: SecretStr | None = None
    ssl_cafile: str | None = None  # the cluster CA's certificate (PEM); the system's CAs when not set

    @model_validator(mode="after")
    def _sasl_complete(self) -> Self:
        sasl = self.security_protocol.startswith("SASL_")
        given = (self.sasl_mechanism, self.sasl_username, self.sasl_password)
        if sasl and None in given:
            raise ValueError(f"{self.security_protocol} needs kafka.sasl_mechanism, sasl_username and sasl_password")
        if sasl and not (self.sasl_username and self.sasl_password and self.sasl_password.get_secret_value()):
            raise ValueError("kafka.sasl_username and sasl_password may not be empty")
        if not sasl and any(v is not None for v in given):
            raise ValueError(f"SASL settings given but kafka.security_protocol is {self.security_protocol}")
        if self.ssl_cafile is not None and not self.security_protocol.endswith("SSL"):
            raise ValueError(f"kafka.ssl_cafile given but kafka.security_protocol is {self.security_protocol}")
        return self


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

"""Start-up configuration: dev secrets refused in production, keys and the database URL checked."""

from __future__ import annotations

import base64
import json
import os

import pytest
from pydantic import SecretStr, ValidationError

from services.intake.settings import IntakeSettings
from shared.settings import DEV_JWT_SECRET, AuthSettings

KEY = base64.b64encode(bytes(range(32))).decode()
OTHER_KEY = base64.b64encode(bytes(range(32, 64))).decode()
DATABASE_URL = "postgresql+asyncpg://intake:secret@127.0.0.1:5432/intake"
PRODUCTION_SECRET = "a-production-secret-that-is-long-enough-0123456789"


@pytest.fixture(autouse=True)
def intake_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    """Only what a test sets: no INTAKE_ variable from the surrounding shell; a valid development configuration."""
    for name in list(os.environ):
        if name.upper().startswith("INTAKE_"):
            monkeypatch.delenv(name)
    monkeypatch.setenv("INTAKE_DATABASE_URL", DATABASE_URL)
    monkeypatch.setenv("INTAKE_DATA_KEY", KEY)
    monkeypatch.setenv("INTAKE_LOOKUP_KEY", OTHER_KEY)


def refused(match: str) -> None:
    with pytest.raises(ValidationError, match=match):
        IntakeSettings()


def test_a_valid_development_configuration_is_read_from_the_environment() -> None:
    settings = IntakeSettings()
    assert settings.environment == "development"
    assert settings.database_url == DATABASE_URL
    assert settings.data_key is not None and settings.data_key.get_secret_value() == KEY
    assert settings.lookup_key.get_secret_value() == OTHER_KEY
    assert settings.auth.jwt_secret.get_secret_value() == DEV_JWT_SECRET
    assert settings.http_port == 8001


def test_production_with_the_development_jwt_secret_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("INTAKE_ENVIRONMENT", "production")
    refused("development JWT secret")


def test_production_with_the_development_jwt_secret_set_explicitly_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("INTAKE_ENVIRONMENT", "production")
    monkeypatch.setenv("INTAKE_AUTH__JWT_SECRET", DEV_JWT_SECRET)
    refused("development JWT secret")


def test_production_with_its_own_jwt_secret_is_accepted(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("INTAKE_ENVIRONMENT", "production")
    monkeypatch.setenv("INTAKE_AUTH__JWT_SECRET", PRODUCTION_SECRET)
    settings = IntakeSettings()
    assert settings.environment == "production"
    assert settings.auth.jwt_secret.get_secret_value() == PRODUCTION_SECRET


@pytest.mark.parametrize("environment", ["development", "test"])
def test_the_development_jwt_secret_is_allowed_outside_production(
    monkeypatch: pytest.MonkeyPatch, environment: str
) -> None:
    monkeypatch.setenv("INTAKE_ENVIRONMENT", environment)
    assert IntakeSettings().environment == environment


def test_an_unknown_environment_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("INTAKE_ENVIRONMENT", "prod")
    refused("environment")


def test_a_short_jwt_secret_is_refused_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("INTAKE_AUTH__JWT_SECRET", "x" * 31)
    refused("at least 32 characters")


@pytest.mark.parametrize("length", [0, 1, 31])
def test_a_short_jwt_secret_is_refused(length: int) -> None:
    with pytest.raises(ValidationError, match="at least 32 characters"):
        AuthSettings(jwt_secret=SecretStr("x" * length))


def test_a_jwt_secret_of_32_characters_is_accepted() -> None:
    assert len(AuthSettings(jwt_secret=SecretStr("x" * 32)).jwt_secret.get_secret_value()) == 32


@pytest.mark.parametrize("variable", ["INTAKE_DATA_KEY", "INTAKE_LOOKUP_KEY"])
@pytest.mark.parametrize("value", ["not base64!!", "%%%%", "abc"])
def test_a_key_that_is_not_base64_is_refused(monkeypatch: pytest.MonkeyPatch, variable: str, value: str) -> None:
    monkeypatch.setenv(variable, value)
    refused("must be base64")


@pytest.mark.parametrize("variable", ["INTAKE_DATA_KEY", "INTAKE_LOOKUP_KEY"])
@pytest.mark.parametrize("size", [0, 16, 31, 33, 64])
def test_a_key_that_is_not_32_bytes_is_refused(monkeypatch: pytest.MonkeyPatch, variable: str, size: int) -> None:
    monkeypatch.setenv(variable, base64.b64encode(b"k" * size).decode())
    refused("32 bytes")


@pytest.mark.parametrize("variable", ["INTAKE_DATA_KEY", "INTAKE_LOOKUP_KEY"])
def test_a_missing_key_is_refused(monkeypatch: pytest.MonkeyPatch, variable: str) -> None:
    monkeypatch.delenv(variable)
    refused(variable.removeprefix("INTAKE_").lower())


@pytest.mark.parametrize(
    "url",
    [
        "postgresql://intake:secret@127.0.0.1/intake",
        "postgres://intake:secret@127.0.0.1/intake",
        "postgresql+psycopg://intake:secret@127.0.0.1/intake",
        "sqlite+aiosqlite:///intake.db",
        " postgresql+asyncpg://intake@127.0.0.1/intake",
        "",
    ],
)
def test_a_database_url_not_for_asyncpg_is_refused(monkeypatch: pytest.MonkeyPatch, url: str) -> None:
    monkeypatch.setenv("INTAKE_DATABASE_URL", url)
    refused("database_url")


def test_a_missing_database_url_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("INTAKE_DATABASE_URL")
    refused("database_url")


def test_variables_without_the_intake_prefix_are_ignored(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DATABASE_URL", "postgresql://elsewhere/db")
    monkeypatch.setenv("ENVIRONMENT", "production")
    settings = IntakeSettings()
    assert settings.database_url == DATABASE_URL
    assert settings.environment == "development"


def test_the_single_data_key_is_the_key_ring_under_k1() -> None:
    settings = IntakeSettings()
    assert settings.key_ring() == {"k1": KEY}
    assert settings.vault().ring.current_id == "k1"


def test_master_keys_join_the_ring_and_the_current_one_is_chosen_by_id(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("INTAKE_MASTER_KEYS", json.dumps({"k2": OTHER_KEY}))
    monkeypatch.setenv("INTAKE_MASTER_KEY_ID", "k2")
    settings = IntakeSettings()
    assert settings.key_ring() == {"k1": KEY, "k2": OTHER_KEY}
    assert settings.vault().ring.current_id == "k2"


def test_a_ring_without_the_single_data_key_works_once_nothing_needs_it(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("INTAKE_DATA_KEY")
    monkeypatch.setenv("INTAKE_MASTER_KEYS", json.dumps({"k2": OTHER_KEY}))
    monkeypatch.setenv("INTAKE_MASTER_KEY_ID", "k2")
    assert IntakeSettings().key_ring() == {"k2": OTHER_KEY}


def test_a_current_master_key_id_outside_the_ring_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("INTAKE_MASTER_KEY_ID", "k2")
    refused("master_key_id 'k2' is not in the key ring")


def test_a_master_key_given_twice_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("INTAKE_MASTER_KEYS", json.dumps({"k1": OTHER_KEY}))
    refused("given twice")


@pytest.mark.parametrize(("keys", "match"), [({"K 2": KEY}, "must match"), ({"k2": "abc"}, "'k2' must be base64")])
def test_a_bad_master_key_is_refused(monkeypatch: pytest.MonkeyPatch, keys: dict[str, str], match: str) -> None:
    monkeypatch.setenv("INTAKE_MASTER_KEYS", json.dumps(keys))
    refused(match)


def test_the_erasure_periods_have_defaults_and_are_bounded(monkeypatch: pytest.MonkeyPatch) -> None:
    settings = IntakeSettings()
    assert (settings.consent_erasure_days, settings.retention_years) == (30, 5)
    monkeypatch.setenv("INTAKE_CONSENT_ERASURE_DAYS", "-1")
    refused("consent_erasure_days")


def test_reporting_audits_for_five_seconds_by_default_and_refuses_no_time_at_all() -> None:
    from services.reporting.settings import ReportingSettings

    assert ReportingSettings(database_url="postgresql+asyncpg://x/y").audit_seconds == 5.0
    with pytest.raises(ValidationError):
        ReportingSettings(database_url="postgresql+asyncpg://x/y", audit_seconds=0)

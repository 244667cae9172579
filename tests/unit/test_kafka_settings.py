"""How a service authenticates to Kafka: nothing locally, TLS and a SCRAM password per service on a cluster
(deploy/k8s sets the variables); an incomplete or contradictory setting is refused at start-up."""

from __future__ import annotations

import ssl

import pytest
from faststream.security import BaseSecurity, SASLScram512
from pydantic import ValidationError

from services.intake.settings import IntakeSettings
from shared.kafka import _security, client_options
from shared.settings import KafkaSettings

CLUSTER = {
    "INTAKE_KAFKA__BOOTSTRAP_SERVERS": "rummelig-kafka-bootstrap:9093",
    "INTAKE_KAFKA__SECURITY_PROTOCOL": "SASL_SSL",
    "INTAKE_KAFKA__SASL_MECHANISM": "SCRAM-SHA-512",
    "INTAKE_KAFKA__SASL_USERNAME": "intake",
    "INTAKE_KAFKA__SASL_PASSWORD": "not-a-real-password",
}


def _intake(monkeypatch: pytest.MonkeyPatch, variables: dict[str, str]) -> IntakeSettings:
    monkeypatch.setenv("INTAKE_DATABASE_URL", "postgresql+asyncpg://u@h/intake")
    for name, value in variables.items():
        monkeypatch.setenv(name, value)
    return IntakeSettings(data_key="A" * 43 + "=", lookup_key="B" * 43 + "=")


def test_locally_a_client_connects_in_plain_text_with_nothing_to_prove() -> None:
    settings = KafkaSettings()
    assert client_options(settings) == {"bootstrap_servers": "127.0.0.1:9092"}
    assert _security(settings) is None


def test_the_clusters_variables_give_tls_and_the_services_scram_password(monkeypatch: pytest.MonkeyPatch) -> None:
    kafka = _intake(monkeypatch, CLUSTER).kafka
    options = client_options(kafka)
    assert {k: v for k, v in options.items() if k != "ssl_context"} == {
        "bootstrap_servers": "rummelig-kafka-bootstrap:9093",
        "security_protocol": "SASL_SSL",
        "sasl_mechanism": "SCRAM-SHA-512",
        "sasl_plain_username": "intake",
        "sasl_plain_password": "not-a-real-password",
    }
    assert isinstance(options["ssl_context"], ssl.SSLContext)
    assert options["ssl_context"].verify_mode == ssl.CERT_REQUIRED  # the broker's certificate is checked
    security = _security(kafka)
    assert isinstance(security, SASLScram512) and security.use_ssl
    assert "not-a-real-password" not in repr(kafka)  # a secret, shown as ********** wherever settings are printed


def test_tls_without_a_password_is_tls_alone() -> None:
    security = _security(KafkaSettings(security_protocol="SSL"))
    assert type(security) is BaseSecurity and security.use_ssl


@pytest.mark.parametrize(
    ("variables", "refusal"),
    [
        ({"INTAKE_KAFKA__SECURITY_PROTOCOL": "SASL_SSL"}, "needs kafka.sasl_mechanism"),
        ({**CLUSTER, "INTAKE_KAFKA__SASL_PASSWORD": ""}, "may not be empty"),
        ({k: v for k, v in CLUSTER.items() if not k.endswith("PASSWORD")}, "needs kafka.sasl_mechanism"),
        ({"INTAKE_KAFKA__SASL_USERNAME": "intake"}, "SASL settings given but"),
        ({"INTAKE_KAFKA__SSL_CAFILE": "/etc/ca.crt"}, "ssl_cafile given but"),
        ({"INTAKE_KAFKA__SECURITY_PROTOCOL": "TLS"}, "Input should be"),
        ({**CLUSTER, "INTAKE_KAFKA__SASL_MECHANISM": "GSSAPI"}, "Input should be"),
    ],
    ids=[
        "sasl-without-credentials",
        "empty-credentials",
        "no-password",
        "sasl-on-plaintext",
        "ca-on-plaintext",
        "unknown-protocol",
        "unknown-mechanism",
    ],
)
def test_an_incomplete_or_contradictory_setting_is_refused(
    monkeypatch: pytest.MonkeyPatch, variables: dict[str, str], refusal: str | None
) -> None:
    with pytest.raises(ValidationError, match=refusal):
        _intake(monkeypatch, variables)

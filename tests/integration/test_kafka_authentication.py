"""A service authenticates to a broker that demands it, as on the cluster (deploy/k8s: SCRAM-SHA-512 per service):
the broker, the lag probe and the topic reads all use the service's `<SERVICE>_KAFKA__*` settings, and a wrong
password is refused. The broker is a real one of the test's own, with SCRAM users made when its storage is formatted
(TLS is left out: the settings give aiokafka an SSL context the same way, tests/unit/test_kafka_settings.py)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path

import pytest_asyncio
from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from aiokafka.errors import KafkaConnectionError
from pydantic import SecretStr

from deploy.kafka import KafkaBroker
from deploy.ports import LOCALHOST, free_port
from shared.kafka import client_options, create_broker
from shared.lag import Lag, LagProbe
from shared.settings import KafkaSettings
from tests.fixtures.kafka_tools import eventually

MECHANISM = "SCRAM-SHA-512"
ADMIN, INTAKE = ("admin", "admin-secret-not-real"), ("intake", "intake-secret-not-real")
TOPIC = "authenticated.events"


class ScramBroker(KafkaBroker):
    """One node whose only client listener demands a SCRAM password."""

    def _server_properties(self) -> str:
        p, c = self.port, self.controller_port
        login = "org.apache.kafka.common.security.scram.ScramLoginModule required"
        jaas = f'{login} username="{ADMIN[0]}" password="{ADMIN[1]}";'
        secured = {
            "listeners": f"SASL_PLAINTEXT://{LOCALHOST}:{p},CONTROLLER://{LOCALHOST}:{c}",
            "advertised.listeners": f"SASL_PLAINTEXT://{LOCALHOST}:{p},CONTROLLER://{LOCALHOST}:{c}",
            "inter.broker.listener.name": "SASL_PLAINTEXT",
            "listener.security.protocol.map": "CONTROLLER:PLAINTEXT,SASL_PLAINTEXT:SASL_PLAINTEXT",
            "sasl.enabled.mechanisms": MECHANISM,
            "sasl.mechanism.inter.broker.protocol": MECHANISM,
            f"listener.name.sasl_plaintext.{MECHANISM.lower()}.sasl.jaas.config": jaas,
        }
        lines = [line for line in super()._server_properties().splitlines() if line.split("=", 1)[0] not in secured]
        return "".join(f"{line}\n" for line in lines) + "".join(f"{k}={v}\n" for k, v in secured.items())

    def _format_extras(self) -> list[str]:
        return [
            arg for name, pw in (ADMIN, INTAKE) for arg in ("--add-scram", f"{MECHANISM}=[name={name},password={pw}]")
        ]


def _as(user: tuple[str, str], bootstrap: str) -> KafkaSettings:
    return KafkaSettings(
        bootstrap_servers=bootstrap,
        security_protocol="SASL_PLAINTEXT",
        sasl_mechanism=MECHANISM,
        sasl_username=user[0],
        sasl_password=SecretStr(user[1]),
    )


async def _lag_read_as(user: tuple[str, str], broker: ScramBroker) -> Lag:
    """The group's lag read with the user's password, once the new broker's group coordinator answers."""
    settings = _as(user, broker.bootstrap_servers)
    probe = LagProbe(settings.bootstrap_servers, "intake", [TOPIC], cache_seconds=0, options=client_options(settings))
    lag: Lag = await eventually(probe.read, timeout=30, interval=0.5)
    return lag


@pytest_asyncio.fixture(loop_scope="session")
async def scram_broker(tmp_path: Path) -> AsyncIterator[ScramBroker]:
    broker = ScramBroker(tmp_path / "kafka", port=free_port(), controller_port=free_port())
    await asyncio.to_thread(broker.start)
    try:
        admin = AIOKafkaAdminClient(**client_options(_as(ADMIN, broker.bootstrap_servers)))
        await admin.start()
        try:
            await admin.create_topics([NewTopic(TOPIC, 2, 1)])
        finally:
            await admin.close()
        yield broker
    finally:
        await asyncio.to_thread(broker.stop)


async def test_a_service_publishes_and_reads_its_lag_with_its_own_password(scram_broker: ScramBroker) -> None:
    settings = _as(INTAKE, scram_broker.bootstrap_servers)
    broker = create_broker(settings.bootstrap_servers, service="intake", settings=settings)
    await broker.start()
    try:
        assert await broker.ping(timeout=5)
        await broker.publish(b"{}", TOPIC, key=b"k")
    finally:
        await broker.stop()
    lag = await _lag_read_as(INTAKE, scram_broker)  # read as intake: one record no group has applied
    assert sum(lag[TOPIC].values()) == 1


async def test_a_wrong_password_is_refused(scram_broker: ScramBroker) -> None:
    await _lag_read_as(INTAKE, scram_broker)  # the right password reads it (the group coordinator is up)
    wrong = _as((INTAKE[0], "not-the-password"), scram_broker.bootstrap_servers)
    probe = LagProbe(wrong.bootstrap_servers, "intake", [TOPIC], cache_seconds=0, options=client_options(wrong))
    assert await probe.read() is None  # refused: the probe says it could not read
    broker = create_broker(wrong.bootstrap_servers, service="intake", settings=wrong)
    refusal: BaseException | None = None
    try:
        await asyncio.wait_for(broker.start(), timeout=20)
    except Exception as exc:  # refused at start is as good as refused at the first request
        refusal = exc
    else:
        assert not await broker.ping(timeout=2)
    finally:
        await broker.stop()
    assert isinstance(refusal, KafkaConnectionError), repr(refusal)  # it cannot bootstrap: no connection is let in

"""docker-compose.yml describes the same stack as the local launcher (deploy/stack.py): same parts, ports, settings.

Its Python parts (the provisioning job and the four services) all run the one image built from the Dockerfile; the
Dockerfile itself is checked in test_dockerfile.py.
"""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
import yaml

from deploy.kafka import KAFKA_VERSION
from deploy.stack import SERVICES, Stack, StackConfig, service_setting_names

ROOT = Path(__file__).resolve().parents[2]
COMPOSE_FILE = ROOT / "docker-compose.yml"
CONFIG = StackConfig(state_dir=Path("/tmp/x"))  # only the default ports; nothing is created or started
INFRASTRUCTURE = ("kafka", "postgres", "mailcatcher")
PYTHON_PARTS = ("init", *SERVICES)  # built from the Dockerfile, each chosen by its command
IMAGE = "ghcr.io/rummelig/rummelig:local"


@pytest.fixture(scope="module")
def compose() -> dict[str, Any]:
    data = yaml.safe_load(COMPOSE_FILE.read_text())
    assert isinstance(data, dict)
    return data


@pytest.fixture(scope="module")
def services(compose: dict[str, Any]) -> dict[str, dict[str, Any]]:
    result = compose["services"]
    assert isinstance(result, dict)
    return result


def published(service: dict[str, Any]) -> dict[int, int]:
    """Host port -> container port, from the short ("[ip:]host:container") or the long form of `ports`."""
    mapping: dict[int, int] = {}
    for entry in service.get("ports", []):
        if isinstance(entry, dict):
            mapping[int(entry["published"])] = int(entry["target"])
            continue
        parts = str(entry).split("/")[0].split(":")
        assert len(parts) in (2, 3), f"port {entry!r} is not published on a fixed host port"
        mapping[int(parts[-2])] = int(parts[-1])
    return mapping


def environment(service: dict[str, Any]) -> dict[str, str]:
    env = service.get("environment", {})
    if isinstance(env, list):
        env = dict(item.split("=", 1) for item in env)
    return {key: str(value) for key, value in env.items()}


def healthcheck_text(service: dict[str, Any]) -> str:
    test = service["healthcheck"]["test"]
    return " ".join(test) if isinstance(test, list) else str(test)


def test_every_launcher_part_is_a_compose_service(services: dict[str, dict[str, Any]]) -> None:
    missing = [name for name in (*INFRASTRUCTURE, *SERVICES) if name not in services]
    assert not missing, f"not in docker-compose.yml: {missing}"


@pytest.mark.parametrize("name", SERVICES)
def test_service_publishes_its_launcher_port_and_checks_health_there(
    services: dict[str, dict[str, Any]], name: str
) -> None:
    service = services[name]
    port = CONFIG.service_ports[name]
    assert published(service) == {port: port}
    prefix = name.upper() + "_"
    env = environment(service)
    assert env[prefix + "HTTP_PORT"] == str(port)
    assert env[prefix + "HTTP_HOST"] == "0.0.0.0", "the default 127.0.0.1 cannot be reached through a published port"
    # Ready, not merely alive: healthy only while the service reaches its database and the broker.
    assert f"127.0.0.1:{port}/health/ready" in healthcheck_text(service)


@pytest.mark.parametrize("name", SERVICES)
def test_service_sets_every_setting_the_launcher_sets(services: dict[str, dict[str, Any]], name: str) -> None:
    missing = service_setting_names(name) - environment(services[name]).keys()
    assert not missing, f"{name}: missing in docker-compose.yml: {sorted(missing)}"


@pytest.mark.parametrize("name", SERVICES)
def test_setting_names_agree_with_service_env(name: str) -> None:
    # Stack.service_env called on a stand-in (no Stack is built, nothing starts): its prefixed keys are the names.
    fake = SimpleNamespace(
        config=CONFIG,
        secrets={"jwt_secret": "j", "data_key": "d", "lookup_key": "l"},
        postgres=SimpleNamespace(url=lambda database: f"postgresql+asyncpg://postgres@127.0.0.1:5433/{database}"),
        kafka=SimpleNamespace(bootstrap_servers="127.0.0.1:9092"),
        url=lambda service: f"http://127.0.0.1:{CONFIG.service_ports[service]}",
    )
    env = Stack.service_env(fake, name)  # type: ignore[arg-type]
    prefix = name.upper() + "_"
    assert {key for key in env if key.startswith(prefix)} == service_setting_names(name)


@pytest.mark.parametrize("name", SERVICES)
def test_service_reaches_the_other_parts_by_compose_name(services: dict[str, dict[str, Any]], name: str) -> None:
    env = environment(services[name])
    prefix = name.upper() + "_"
    assert env[prefix + "DATABASE_URL"] == f"postgresql+asyncpg://postgres@postgres:5432/{name}"
    advertised = environment(services["kafka"])["KAFKA_ADVERTISED_LISTENERS"]
    bootstrap = env[prefix + "KAFKA__BOOTSTRAP_SERVERS"]
    assert bootstrap.startswith("kafka:")
    assert f"://{bootstrap}" in advertised, "services must use the broker's in-network listener"
    depends_on = services[name]["depends_on"]
    assert depends_on["init"]["condition"] == "service_completed_successfully"


def test_followup_mails_the_mail_catcher(services: dict[str, dict[str, Any]]) -> None:
    env = environment(services["followup"])
    assert env["FOLLOWUP_SMTP_HOST"] == "mailcatcher"
    assert env["FOLLOWUP_SMTP_PORT"] == str(CONFIG.smtp_port)
    assert CONFIG.smtp_port in published(services["mailcatcher"]).values()


def test_kafka_is_the_official_image_on_the_launcher_port(services: dict[str, dict[str, Any]]) -> None:
    kafka = services["kafka"]
    assert kafka["image"] == f"apache/kafka:{KAFKA_VERSION}"
    assert CONFIG.kafka_port in published(kafka)
    env = environment(kafka)
    assert env["KAFKA_PROCESS_ROLES"] == "broker,controller"
    assert env["KAFKA_AUTO_CREATE_TOPICS_ENABLE"] == "false"
    assert env["KAFKA_OFFSETS_TOPIC_REPLICATION_FACTOR"] == "1"
    assert f"localhost:{CONFIG.kafka_port}" in env["KAFKA_ADVERTISED_LISTENERS"]


def test_postgres_is_the_official_image_on_the_launcher_port(services: dict[str, dict[str, Any]]) -> None:
    postgres = services["postgres"]
    assert str(postgres["image"]).split(":")[0] == "postgres"
    assert published(postgres) == {CONFIG.postgres_port: 5432}
    assert "pg_isready" in healthcheck_text(postgres)


def test_mail_catcher_publishes_smtp_and_viewer(services: dict[str, dict[str, Any]]) -> None:
    ports = published(services["mailcatcher"])
    assert CONFIG.smtp_port in ports
    assert CONFIG.mail_http_port in ports


def test_init_provisions_once_after_kafka_and_postgres_are_healthy(services: dict[str, dict[str, Any]]) -> None:
    init = services["init"]
    assert init["command"] == ["python", "-m", "deploy.provision"]
    assert init["restart"] == "no", 'a one-shot job: restart: "no" (quoted, or YAML reads it as false)'
    assert {part: spec["condition"] for part, spec in init["depends_on"].items()} == {
        "kafka": "service_healthy",
        "postgres": "service_healthy",
    }
    assert not init.get("ports"), "provisioning serves nothing"


def test_python_parts_run_the_one_image_built_from_the_dockerfile(services: dict[str, dict[str, Any]]) -> None:
    built = {name for name, service in services.items() if "build" in service}
    assert built == set(PYTHON_PARTS)
    for name in PYTHON_PARTS:
        service = services[name]
        build = service["build"]
        context = build if isinstance(build, str) else build.get("context", ".")
        assert context == ".", f"{name}: built from the repository root, where the Dockerfile and .dockerignore are"
        assert isinstance(build, str) or build.get("dockerfile", "Dockerfile") == "Dockerfile"
        assert service["image"] == IMAGE, f"{name}: every Python part is tagged as the same image"
    assert (ROOT / "Dockerfile").is_file()


@pytest.mark.parametrize("name", PYTHON_PARTS)
def test_python_parts_mount_nothing_and_install_nothing_at_start(
    services: dict[str, dict[str, Any]], name: str
) -> None:
    service = services[name]
    assert not service.get("volumes"), f"{name}: the code and its dependencies are in the image, not mounted"
    assert not service.get("user"), f"{name}: runs as the image's unprivileged user"
    assert not service.get("entrypoint"), f"{name}: the command alone chooses the part"
    command = [str(word) for word in service["command"]]
    assert command[:2] == ["python", "-m"], f"{name}: `python -m <module>`, the image's virtualenv interpreter"
    assert not any("pip" in word for word in command)
    if name in SERVICES:
        assert command == ["python", "-m", f"services.{name}"]


@pytest.mark.parametrize("name", PYTHON_PARTS)
def test_python_parts_are_locked_down(services: dict[str, dict[str, Any]], name: str) -> None:
    service = services[name]
    assert service.get("read_only") is True, f"{name}: the image writes nothing at run time"
    assert service.get("cap_drop") == ["ALL"], f"{name}: needs no Linux capability"
    assert "no-new-privileges:true" in service.get("security_opt", []), f"{name}: no privilege gain"


def test_every_declared_volume_is_used(compose: dict[str, Any], services: dict[str, dict[str, Any]]) -> None:
    # No leftover volume (such as the old shared virtualenv): each named volume keeps some part's data.
    used = {
        str(mount).split(":")[0] if isinstance(mount, str) else str(mount.get("source"))
        for service in services.values()
        for mount in service.get("volumes", [])
    }
    declared = set(compose.get("volumes") or {})
    assert declared <= used, f"declared but mounted by no service: {sorted(declared - used)}"


def test_no_healthcheck_is_missing(services: dict[str, dict[str, Any]]) -> None:
    # Every long-running part has one; only one-shot jobs (waited on until they finish) do not need one.
    one_shot = {
        dep
        for service in services.values()
        for dep, spec in (service.get("depends_on") or {}).items()
        if isinstance(spec, dict) and spec.get("condition") == "service_completed_successfully"
    }
    assert one_shot == {"init"}
    for name, service in services.items():
        if name in one_shot:
            continue
        check = service.get("healthcheck")
        assert check, f"{name} has no healthcheck"
        assert not check.get("disable", False), f"{name} disables its healthcheck"
        assert check.get("test"), f"{name} has an empty healthcheck"
    for name in (*INFRASTRUCTURE, *SERVICES):
        assert "healthcheck" in services[name], f"{name} has no healthcheck"


def test_waited_for_parts_are_healthchecked(services: dict[str, dict[str, Any]]) -> None:
    for name, service in services.items():
        for dep, spec in (service.get("depends_on") or {}).items():
            assert dep in services, f"{name} depends on unknown {dep}"
            if spec.get("condition") == "service_healthy":
                assert "healthcheck" in services[dep], f"{name} waits for {dep} to be healthy but it has no check"

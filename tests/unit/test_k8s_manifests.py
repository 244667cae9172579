"""deploy/k8s: every overlay renders with the pinned kustomize, every object in it is valid and keeps the rules
(tests/fixtures/k8s_manifests.py), and a broken copy of an overlay breaks the rule it should.
"""

from __future__ import annotations

import base64
import copy
import hashlib
import os
import re
import subprocess
from collections.abc import Callable
from typing import Any

import pytest

from deploy import k8s_topics
from deploy.migrate import database_url
from tests.fixtures.k8s_manifests import (
    CRDS,
    K8S,
    SETTINGS,
    Obj,
    Rule,
    acl_problems,
    companion_problems,
    container_problems,
    database_problems,
    env_problems,
    image_problems,
    kafka_version_problems,
    kustomize_binary,
    kustomize_version,
    migrated_service,
    migration_problems,
    network_problems,
    objects_of,
    of_kind,
    one,
    operator_secrets,
    referenced_secrets,
    schema_problems,
    service_of,
    topic_problems,
)

OVERLAYS = ("dev", "prod")

RULES: dict[str, Rule] = {
    "schemas": schema_problems,
    "containers": container_problems,
    "companions": companion_problems,
    "network": network_problems,
    "topics": topic_problems,
    "acls": acl_problems,
    "kafka version": kafka_version_problems,
    "environment": env_problems,
    "databases": database_problems,
    "migrations": migration_problems,
}


@pytest.mark.parametrize("overlay", OVERLAYS)
@pytest.mark.parametrize("rule", RULES)
def test_every_overlay_keeps_the_rule(overlay: str, rule: str) -> None:
    assert RULES[rule](objects_of(overlay)) == []


def test_dev_images_are_pinned_by_tag() -> None:
    assert image_problems(objects_of("dev"), digest=False) == []


def test_prod_images_are_pinned_by_tag_and_our_own_by_digest_too() -> None:
    assert image_problems(objects_of("prod"), digest=True) == []


def test_dev_is_one_of_everything() -> None:
    objects = objects_of("dev")
    assert {d["metadata"]["name"]: d["spec"]["replicas"] for d in of_kind(objects, "Deployment")} == dict.fromkeys(
        SETTINGS, 1
    )
    assert {hpa["spec"]["minReplicas"] for hpa in of_kind(objects, "HorizontalPodAutoscaler")} == {1}
    assert sum(pool["spec"]["replicas"] for pool in of_kind(objects, "KafkaNodePool")) == 1
    assert one(objects, "Kafka")["spec"]["kafka"]["config"]["default.replication.factor"] == 1
    assert one(objects, "Cluster")["spec"]["instances"] == 1


def test_prod_runs_three_kafka_nodes_three_postgresql_instances_and_at_least_two_of_each_service() -> None:
    objects = objects_of("prod")
    assert all(d["spec"]["replicas"] >= 2 for d in of_kind(objects, "Deployment"))
    assert all(
        2 <= hpa["spec"]["minReplicas"] < hpa["spec"]["maxReplicas"]
        for hpa in of_kind(objects, "HorizontalPodAutoscaler")
    )
    pools = of_kind(objects, "KafkaNodePool")
    assert sum(pool["spec"]["replicas"] for pool in pools) == 3
    assert all(set(pool["spec"]["roles"]) == {"controller", "broker"} for pool in pools)
    config = one(objects, "Kafka")["spec"]["kafka"]["config"]
    assert (config["default.replication.factor"], config["min.insync.replicas"]) == (3, 2)
    cluster = one(objects, "Cluster")
    assert cluster["spec"]["instances"] == 3
    assert [p["parameters"]["barmanObjectName"] for p in cluster["spec"]["plugins"] if p.get("isWALArchiver")] == [
        one(objects, "ObjectStore")["metadata"]["name"]
    ]
    assert one(objects, "ScheduledBackup")["spec"]["method"] == "plugin"


def test_dev_makes_every_secret_it_uses_except_those_the_operators_write() -> None:
    objects = objects_of("dev")
    made = {secret["metadata"]["name"] for secret in of_kind(objects, "Secret")}
    assert referenced_secrets(objects) - made - operator_secrets(objects) == set()


def test_prod_commits_no_secret_and_the_readme_names_every_one_to_create() -> None:
    objects = objects_of("prod")
    assert of_kind(objects, "Secret") == []
    readme = (K8S / "README.md").read_text()
    missing = {name for name in referenced_secrets(objects) - operator_secrets(objects) if f"`{name}`" not in readme}
    assert missing == set()


def _dev_environment(objects: list[Obj], container: Obj) -> dict[str, str]:
    """A container's environment as the kubelet makes it, with the dev overlay's Secrets."""
    secrets = {
        s["metadata"]["name"]: {k: base64.b64decode(v).decode() for k, v in s.get("data", {}).items()}
        for s in of_kind(objects, "Secret")
    }
    env: dict[str, str] = {}
    for var in container["env"]:
        if "value" in var:
            env[var["name"]] = re.sub(r"\$\((\w+)\)", lambda m: env[m[1]], var["value"])
        else:
            key = var["valueFrom"]["secretKeyRef"]
            env[var["name"]] = secrets.get(key["name"], {}).get(key["key"], "written-by-an-operator")
    return env


@pytest.mark.parametrize("service", SETTINGS)
def test_dev_settings_are_valid_for_each_service(service: str, monkeypatch: pytest.MonkeyPatch) -> None:
    objects = objects_of("dev")
    (deployment,) = (d for d in of_kind(objects, "Deployment") if service_of(d) == service)
    for name, value in _dev_environment(objects, deployment["spec"]["template"]["spec"]["containers"][0]).items():
        monkeypatch.setenv(name, value)
    settings: Any = SETTINGS[service]()
    assert settings.http_host == "0.0.0.0"
    assert settings.database_url.endswith(f"@rummelig-pg-rw:5432/{service}")


@pytest.mark.parametrize("service", SETTINGS)
def test_dev_migration_reads_the_url_its_service_connects_with(service: str, monkeypatch: pytest.MonkeyPatch) -> None:
    objects = objects_of("dev")
    (deployment,) = (d for d in of_kind(objects, "Deployment") if service_of(d) == service)
    (job,) = (j for j in of_kind(objects, "Job") if migrated_service(j) == service)
    served = _dev_environment(objects, deployment["spec"]["template"]["spec"]["containers"][0])
    migrating = _dev_environment(objects, job["spec"]["template"]["spec"]["containers"][0])
    for name in list(os.environ):
        if name.endswith("_DATABASE_URL"):
            monkeypatch.delenv(name)
    for name, value in migrating.items():
        monkeypatch.setenv(name, value)
    assert database_url(service) == served[f"{service.upper()}_DATABASE_URL"]
    assert f"//{service}:demo-only-{service}@rummelig-pg-rw:5432/{service}" in database_url(service)


def test_the_committed_topics_and_users_are_what_the_generator_writes() -> None:
    for path, text in k8s_topics.rendered().items():
        assert path.read_text() == text, f"{path} is stale: run python -m deploy.k8s_topics"


def test_the_vendored_crds_are_unchanged() -> None:
    for line in (CRDS / "SHA256SUMS").read_text().splitlines():
        digest, name = line.split(maxsplit=1)
        assert hashlib.sha256((CRDS / name).read_bytes()).hexdigest() == digest, name
    listed = {line.split(maxsplit=1)[1] for line in (CRDS / "SHA256SUMS").read_text().splitlines()}
    assert listed == {str(p.relative_to(CRDS)) for p in CRDS.glob("*/*")}


# ------------------------------------------------------------------------------------- the rules catch a break


def _first(kind: str) -> Callable[[list[Obj]], Obj]:
    return lambda objects: of_kind(objects, kind)[0]


def _container(objects: list[Obj]) -> Obj:
    container: Obj = of_kind(objects, "Deployment")[0]["spec"]["template"]["spec"]["containers"][0]
    return container


def _drop(kind: str) -> Callable[[list[Obj]], None]:
    return lambda objects: objects.remove(of_kind(objects, kind)[0])


def _migration(objects: list[Obj]) -> Obj:
    """The first migration Job's container."""
    container: Obj = of_kind(objects, "Job")[0]["spec"]["template"]["spec"]["containers"][0]
    return container


def _migration_secret(name: str | None = None) -> Callable[[list[Obj]], None]:
    """Point the first migration Job's credentials at another Secret (by default another service's)."""

    def breaking(objects: list[Obj]) -> None:
        other = next(s for s in SETTINGS if s != migrated_service(of_kind(objects, "Job")[0]))
        for var in _migration(objects)["env"]:
            if "valueFrom" in var:
                var["valueFrom"]["secretKeyRef"]["name"] = name or f"rummelig-db-{other}"

    return breaking


def _migration_policy(objects: list[Obj]) -> Obj:
    policy: Obj = next(p for p in of_kind(objects, "NetworkPolicy") if p["metadata"]["name"] == "rummelig-migrations")
    return policy


BREAKS: dict[str, tuple[Rule, Callable[[list[Obj]], object]]] = {
    "a node pool without storage": (schema_problems, lambda o: _first("KafkaNodePool")(o)["spec"].pop("storage")),
    "storage under Kafka's spec.kafka": (
        schema_problems,
        lambda o: _first("Kafka")(o)["spec"]["kafka"].update(storage={"type": "ephemeral"}),
    ),
    "Kafka in the removed v1beta2": (
        schema_problems,
        lambda o: _first("Kafka")(o).update(apiVersion="kafka.strimzi.io/v1beta2"),
    ),
    "a custom kind with no vendored CRD": (
        schema_problems,
        lambda o: o.append({"apiVersion": "monitoring.coreos.com/v1", "kind": "PodMonitor", "metadata": {"name": "x"}}),
    ),
    "a backup method that does not exist": (
        schema_problems,
        lambda o: _first("ScheduledBackup")(o)["spec"].update(method="barmanCloud"),
    ),
    "a misspelt Deployment field": (schema_problems, lambda o: _first("Deployment")(o)["spec"].update(replica=2)),
    "a port that is no number": (schema_problems, lambda o: _container(o)["ports"][0].update(containerPort="http")),
    "a container without readiness probe": (container_problems, lambda o: _container(o).pop("readinessProbe")),
    "a container without limits": (container_problems, lambda o: _container(o)["resources"].pop("limits")),
    "a container that may run as root": (
        container_problems,
        lambda o: _container(o)["securityContext"].update(runAsNonRoot=False),
    ),
    "a Deployment without PodDisruptionBudget": (companion_problems, _drop("PodDisruptionBudget")),
    "a Deployment without autoscaler": (companion_problems, _drop("HorizontalPodAutoscaler")),
    "a Deployment without NetworkPolicy": (companion_problems, _drop("NetworkPolicy")),
    "a Deployment without ServiceMonitor": (companion_problems, _drop("ServiceMonitor")),
    "a Kafka listener that admits other pods": (
        network_problems,
        lambda o: _first("Kafka")(o)["spec"]["kafka"]["listeners"][0].update(
            networkPolicyPeers=[{"podSelector": {"matchLabels": {"app": "other"}}}]
        ),
    ),
    "a policy that keeps a service from PostgreSQL": (
        network_problems,
        lambda o: _first("NetworkPolicy")(o)["spec"].update(
            egress=[r for r in _first("NetworkPolicy")(o)["spec"]["egress"] if r["ports"][0]["port"] != 5432]
        ),
    ),
    "a topic with other partitions": (topic_problems, lambda o: _first("KafkaTopic")(o)["spec"].update(partitions=3)),
    "a topic the code does not know": (
        topic_problems,
        lambda o: o.append(
            {
                **copy.deepcopy(_first("KafkaTopic")(o)),
                "metadata": {"name": "stray", "labels": {"strimzi.io/cluster": "rummelig"}},
            }
        ),
    ),
    "a missing topic": (topic_problems, _drop("KafkaTopic")),
    "a user allowed to write what it only reads": (
        acl_problems,
        lambda o: next(
            acl["operations"]
            for acl in _first("KafkaUser")(o)["spec"]["authorization"]["acls"]
            if "Write" not in acl["operations"]
        ).append("Write"),
    ),
    "a user allowed a prefix": (
        acl_problems,
        lambda o: _first("KafkaUser")(o)["spec"]["authorization"]["acls"][0]["resource"].update(patternType="prefix"),
    ),
    "a user without its group": (acl_problems, lambda o: _first("KafkaUser")(o)["spec"]["authorization"]["acls"].pop()),
    "another Kafka version": (
        kafka_version_problems,
        lambda o: _first("Kafka")(o)["spec"]["kafka"].update(version="4.2.0"),
    ),
    "a setting no service reads": (
        env_problems,
        lambda o: _container(o)["env"].append({"name": "INTAKE_HTTP_HOSTS", "value": "x"}),
    ),
    "a service listening on localhost": (
        env_problems,
        lambda o: next(v for v in _container(o)["env"] if v["name"].endswith("_HTTP_HOST")).update(value="127.0.0.1"),
    ),
    "a database owned by another role": (
        database_problems,
        lambda o: _first("Database")(o)["spec"].update(owner="postgres"),
    ),
    "an image without digest": (
        lambda o: image_problems(o, digest=True),
        lambda o: _container(o).update(image="ghcr.io/rummelig/rummelig:0.1.0"),
    ),
    "an image at latest": (
        lambda o: image_problems(o, digest=False),
        lambda o: _container(o).update(image="ghcr.io/rummelig/rummelig:latest"),
    ),
    "the superuser in a migration Job": (migration_problems, _migration_secret("rummelig-pg-superuser")),
    "another service's credentials in a migration Job": (
        migration_problems,
        _migration_secret(),
    ),
    "a migration URL other than the service's": (
        migration_problems,
        lambda o: _migration(o)["env"][-1].update(value=_migration(o)["env"][-1]["value"].replace("-rw:", "-ro:")),
    ),
    "a migration Job given Kafka": (
        migration_problems,
        lambda o: _migration(o)["env"].append({"name": "PROVISION_KAFKA_BOOTSTRAP_SERVERS", "value": "x:9093"}),
    ),
    "a migration Job admitted to Kafka": (
        migration_problems,
        lambda o: _first("Job")(o)["spec"]["template"]["metadata"]["labels"].update(
            {"rummelig.io/kafka-client": "true"}
        ),
    ),
    "a service without its migration": (migration_problems, _drop("Job")),
    "a service migrated twice": (migration_problems, lambda o: o.append(copy.deepcopy(_first("Job")(o)))),
    "the old provision Job": (
        migration_problems,
        lambda o: _migration(o).update(command=["python", "-m", "deploy.provision"]),
    ),
    "a migration Job that retries a bad setting": (
        migration_problems,
        lambda o: _first("Job")(o)["spec"].pop("podFailurePolicy"),
    ),
    "a migration policy open to Kafka": (
        migration_problems,
        lambda o: _migration_policy(o)["spec"]["egress"].append(
            {"to": [{"podSelector": {"matchLabels": {"strimzi.io/cluster": "rummelig"}}}], "ports": [{"port": 9093}]}
        ),
    ),
    "a migration policy open to everything": (
        migration_problems,
        lambda o: _migration_policy(o)["spec"]["egress"].append({"ports": [{"port": 5432, "protocol": "TCP"}]}),
    ),
    "superuser access to PostgreSQL": (
        migration_problems,
        lambda o: _first("Cluster")(o)["spec"].update(enableSuperuserAccess=True),
    ),
    "PostgreSQL by name alone": (
        lambda o: image_problems(o, digest=False),
        lambda o: _first("Cluster")(o)["spec"].update(imageName="ghcr.io/cloudnative-pg/postgresql"),
    ),
}


@pytest.mark.parametrize("broken", BREAKS)
def test_a_broken_manifest_breaks_its_rule(broken: str) -> None:
    rule, breaking = BREAKS[broken]
    objects = objects_of("prod")
    assert rule(objects) == []
    breaking(objects)
    assert rule(objects) != []


def test_the_kustomize_binary_is_the_pinned_one() -> None:
    done = subprocess.run([str(kustomize_binary()), "version"], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == kustomize_version()

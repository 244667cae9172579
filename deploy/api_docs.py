"""Writes schemas/openapi/<service>.json (each service's HTTP API) and schemas/asyncapi.json (the topics).

python -m deploy.api_docs
"""

from __future__ import annotations

import base64
import json
from pathlib import Path
from typing import Any

from fastapi import FastAPI

from services.enrolment.main import create_app as enrolment
from services.enrolment.settings import EnrolmentSettings
from services.followup.main import create_app as followup
from services.followup.settings import FollowupSettings
from services.intake.main import create_app as intake
from services.intake.settings import IntakeSettings
from services.reporting.main import create_app as reporting
from services.reporting.settings import ReportingSettings
from services.topology import subscriptions
from shared.contracts import REGISTRY
from shared.topics import SENDERS

OPENAPI_DIR = Path(__file__).resolve().parent.parent / "schemas" / "openapi"
ASYNCAPI = OPENAPI_DIR.parent / "asyncapi.json"
_DB = "postgresql+asyncpg://nobody@localhost/none"  # never connected: building an app opens no connection
_KEY = base64.b64encode(bytes(32)).decode()


def build_apps() -> dict[str, FastAPI]:
    """Each service's app, built with placeholder settings, only to read its routes."""
    return {
        "intake": intake(IntakeSettings(database_url=_DB, data_key=_KEY, lookup_key=_KEY)),
        "enrolment": enrolment(EnrolmentSettings(database_url=_DB)),
        "followup": followup(FollowupSettings(database_url=_DB)),
        "reporting": reporting(ReportingSettings(database_url=_DB)),
    }


def render(document: dict[str, Any]) -> str:
    """Stable JSON for diffs."""
    return json.dumps(document, indent=2, sort_keys=True, ensure_ascii=False) + "\n"


def main() -> None:
    """Write every service's OpenAPI document."""
    OPENAPI_DIR.mkdir(parents=True, exist_ok=True)
    for name, app in build_apps().items():
        (OPENAPI_DIR / f"{name}.json").write_text(render(app.openapi()))
    ASYNCAPI.write_text(render(asyncapi()))


def _message_key(type_: str, version: int) -> str:
    return f"{type_}.v{version}".replace(".", "_")


def asyncapi() -> dict[str, Any]:
    """An AsyncAPI 3.0 document of the topics: what each carries, who sends and who receives."""
    channels: dict[str, Any] = {}
    operations: dict[str, Any] = {}
    messages: dict[str, Any] = {}
    versions: dict[str, list[int]] = {}
    for type_, version, _ in REGISTRY.versions():
        versions.setdefault(type_, []).append(version)
        messages[_message_key(type_, version)] = {
            "name": type_,
            "title": f"{type_} v{version}",
            "contentType": "application/json",
            "headers": {"$ref": "#/components/schemas/CloudEventsHeaders"},
            "payload": {"$ref": f"events/{type_}.v{version}.json"},
        }
    readers = subscriptions()
    for topic in REGISTRY.topics():
        key = topic.replace(".", "_")
        carried = [_message_key(t, v) for t in REGISTRY.types_on(topic) for v in sorted(versions[t])]
        channels[key] = {
            "address": topic,
            "messages": {m: {"$ref": f"#/components/messages/{m}"} for m in carried},
        }
        operations[f"{SENDERS[topic]}_sends_{key}"] = {"action": "send", "channel": {"$ref": f"#/channels/{key}"}}
        for service, topics in readers.items():
            if topic in topics:
                operations[f"{service}_receives_{key}"] = {
                    "action": "receive",
                    "channel": {"$ref": f"#/channels/{key}"},
                }
    headers = {
        "type": "object",
        "required": ["ce_specversion", "ce_id", "ce_type", "ce_source", "ce_subject", "ce_time", "ce_dataversion"],
        "properties": {
            name: {"type": "string"}
            for name in (
                "ce_specversion",
                "ce_id",
                "ce_type",
                "ce_source",
                "ce_subject",
                "ce_time",
                "ce_dataschema",
                "ce_dataversion",
                "ce_correlationid",
                "ce_causationid",
            )
        },
    }
    return {
        "asyncapi": "3.0.0",
        "info": {
            "title": "Rummelig events",
            "version": "1",
            "description": "CloudEvents 1.0 in Kafka binary mode; the key is the participant id (course id on the "
            "catalogue topic). Every subscription also has a dead-letter topic <topic>.<service>.dlt.",
        },
        "channels": channels,
        "operations": operations,
        "components": {"messages": messages, "schemas": {"CloudEventsHeaders": headers}},
    }


if __name__ == "__main__":
    main()

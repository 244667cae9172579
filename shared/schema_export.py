"""Writes schemas/events/<type>.v<version>.json from the contracts: python -m shared.schema_export"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from pydantic import BaseModel

from shared.contracts import REGISTRY

MODELS: dict[tuple[str, int], type[BaseModel]] = {(t, v): m for t, v, m in REGISTRY.versions()}
SCHEMA_DIR = Path(__file__).resolve().parent.parent / "schemas" / "events"


def schema_document(type_: str, version: int) -> dict[str, Any]:
    """The JSON Schema of one event type's data, with its identity."""
    schema = MODELS[(type_, version)].model_json_schema(mode="serialization")
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": f"urn:rummelig:schema:{type_}:v{version}",
        "title": f"{type_} v{version}",
        **{k: v for k, v in schema.items() if k != "title"},
    }


def render(type_: str, version: int) -> str:
    """The file content, stable for diffs."""
    return json.dumps(schema_document(type_, version), indent=2, sort_keys=True, ensure_ascii=False) + "\n"


def main() -> None:
    """Write every schema file."""
    SCHEMA_DIR.mkdir(parents=True, exist_ok=True)
    for type_, version in MODELS:
        (SCHEMA_DIR / f"{type_}.v{version}.json").write_text(render(type_, version))


if __name__ == "__main__":
    main()

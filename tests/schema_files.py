"""Loading the committed JSON Schemas of the events."""

from __future__ import annotations

import json
from functools import cache
from typing import Any

from shared.schema_export import SCHEMA_DIR


@cache
def schema_for(type_: str, version: int) -> dict[str, Any]:
    """The schema file of one event type and version; a missing file fails the test that asks."""
    path = SCHEMA_DIR / f"{type_}.v{version}.json"
    assert path.exists(), f"no schema for {type_} v{version} in schemas/events"
    return json.loads(path.read_text())  # type: ignore[no-any-return]

"""CloudEvents 1.0 envelope in Kafka binary mode: attributes travel as `ce_*` headers, the value is the JSON data."""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from datetime import UTC, datetime
from typing import Any
from uuid import UUID, uuid4

from pydantic import BaseModel, Field, ValidationError

MAX_EVENT_BYTES = 64 * 1024  # an event carries ids and codes, never documents


class InvalidEvent(Exception):
    """A record that can never be processed: it goes to the dead-letter topic at once."""


class CloudEvent(BaseModel):
    """One event or command as it travels on Kafka."""

    id: UUID = Field(default_factory=uuid4)
    type: str = Field(pattern=r"^[a-z][a-z0-9-]*(\.[a-z][a-z0-9-]*)+$", max_length=100)
    version: int = Field(ge=1, le=1000)
    source: str = Field(min_length=1, max_length=100)
    subject: str = Field(min_length=1, max_length=100)
    time: datetime = Field(default_factory=lambda: datetime.now(UTC))
    correlationid: UUID | None = None
    causationid: UUID | None = None
    data: dict[str, Any]

    @property
    def dataschema(self) -> str:
        """The schema this event's data validates against (see schemas/events)."""
        return f"urn:rummelig:schema:{self.type}:v{self.version}"

    def headers(self) -> dict[str, str]:
        """Binary-mode headers, UTF-8 strings."""
        headers = {
            "content-type": "application/json",
            "ce_specversion": "1.0",
            "ce_id": str(self.id),
            "ce_type": self.type,
            "ce_source": self.source,
            "ce_subject": self.subject,
            "ce_time": self.time.isoformat(),
            "ce_dataschema": self.dataschema,
            "ce_dataversion": str(self.version),
        }
        if self.correlationid:
            headers["ce_correlationid"] = str(self.correlationid)
        if self.causationid:
            headers["ce_causationid"] = str(self.causationid)
        return headers

    def value(self) -> bytes:
        """The record value: the data as compact JSON."""
        return json.dumps(self.data, separators=(",", ":"), sort_keys=True, default=str).encode()

    @classmethod
    def from_kafka(cls, headers: Mapping[str, str] | Iterable[tuple[str, bytes]], value: bytes | None) -> CloudEvent:
        """Parse a binary-mode record, or raise InvalidEvent with the reason."""
        hdrs = _decode_headers(headers)
        if value is None or len(value) > MAX_EVENT_BYTES:
            raise InvalidEvent("record value is missing or larger than the event limit")
        if hdrs.get("ce_specversion") != "1.0":
            raise InvalidEvent("not a CloudEvents 1.0 record (ce_specversion)")
        try:
            data = json.loads(value)
        except (UnicodeDecodeError, json.JSONDecodeError) as exc:
            raise InvalidEvent(f"value is not JSON: {exc}") from exc
        if not isinstance(data, dict):
            raise InvalidEvent("value is not a JSON object")
        try:
            return cls(
                id=hdrs.get("ce_id"),
                type=hdrs.get("ce_type"),
                version=hdrs.get("ce_dataversion"),
                source=hdrs.get("ce_source"),
                subject=hdrs.get("ce_subject"),
                time=hdrs.get("ce_time"),
                correlationid=hdrs.get("ce_correlationid"),
                causationid=hdrs.get("ce_causationid"),
                data=data,
            )
        except ValidationError as exc:
            raise InvalidEvent(f"bad CloudEvents attributes: {validation_summary(exc)}") from exc


def _decode_headers(headers: Mapping[str, str] | Iterable[tuple[str, bytes]]) -> dict[str, str]:
    if isinstance(headers, Mapping):
        return {str(k): str(v) for k, v in headers.items()}
    out: dict[str, str] = {}
    for key, raw in headers:
        try:
            out[key] = raw.decode() if isinstance(raw, bytes) else str(raw)
        except UnicodeDecodeError as exc:
            raise InvalidEvent(f"header {key!r} is not UTF-8") from exc
    return out


def validation_summary(exc: ValidationError) -> str:
    """The first few validation errors in one line, for a dead letter's reason."""
    return "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in exc.errors()[:5])

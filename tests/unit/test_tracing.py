"""The trace context's way through the system, without an exporter: into the outbox row with the event, back out of
a Kafka record's headers, and onto every log line written inside a span."""

from __future__ import annotations

import json
from uuid import uuid4

import pytest
import structlog
from opentelemetry import trace
from opentelemetry.trace import NonRecordingSpan, SpanContext, TraceFlags

from shared.contracts import to_event
from shared.logging import configure_logging
from shared.outbox import outbox_values
from shared.tracing import add_trace_ids, record_headers, tracing
from tests.fixtures.events import referral

TRACE_ID, SPAN_ID = 0x0AF7651916CD43DD8448EB211C80319C, 0xB7AD6B7169203331
CONTEXT = SpanContext(TRACE_ID, SPAN_ID, is_remote=False, trace_flags=TraceFlags(TraceFlags.SAMPLED))


def test_an_outbox_row_carries_the_trace_of_the_request_that_wrote_it() -> None:
    event = to_event(referral(uuid4()), source="tests")
    with trace.use_span(NonRecordingSpan(CONTEXT)):
        row = outbox_values(event, topic="intake.referral.events")
    assert row["headers"]["traceparent"] == "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"
    assert "traceparent" not in outbox_values(event, topic="intake.referral.events")["headers"]  # none outside one


def test_log_lines_inside_a_span_carry_its_ids_and_outside_none() -> None:
    with trace.use_span(NonRecordingSpan(CONTEXT)):
        inside = add_trace_ids(None, "info", {"event": "x"})
    outside = add_trace_ids(None, "info", {"event": "x"})
    assert inside == {"event": "x", "trace_id": f"{TRACE_ID:032x}", "span_id": f"{SPAN_ID:016x}"}
    assert outside == {"event": "x"}


def test_the_configured_log_writes_the_ids_as_json(capsys: pytest.CaptureFixture[str]) -> None:
    configure_logging("tests", json=True)
    try:
        with trace.use_span(NonRecordingSpan(CONTEXT)):
            structlog.get_logger("tests").info("inside a span")
        line = json.loads(capsys.readouterr().err.strip().splitlines()[-1])
    finally:
        structlog.reset_defaults()
    assert (line["trace_id"], line["span_id"]) == (f"{TRACE_ID:032x}", f"{SPAN_ID:016x}")


def test_a_records_headers_are_read_as_text_for_the_context() -> None:
    headers = [("traceparent", b"00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"), ("bad", b"\xff")]
    assert record_headers(headers)["traceparent"].startswith("00-0af76519")
    assert record_headers(None) == {}


def test_without_an_exporter_nothing_traces() -> None:
    assert not tracing()  # no provider set: spans on the hot paths are not even made

"""The CloudEvents envelope in Kafka binary mode: round trip, refusals, causation, and conformance with the SDK."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime
from typing import Any
from uuid import UUID

import pytest
from cloudevents.core.bindings.kafka import KafkaMessage, from_binary
from cloudevents.core.formats.json import JSONFormat

from shared.contracts import REGISTRY, ParticipationStarted, RecordStart, to_event
from shared.envelope import MAX_EVENT_BYTES, CloudEvent, InvalidEvent

PARTICIPANT = UUID("00000000-0000-4000-8000-000000000003")
CORRELATION = UUID("00000000-0000-4000-8000-0000000000c0")


def an_event(**changes: Any) -> CloudEvent:
    fields: dict[str, Any] = {
        "id": UUID("00000000-0000-4000-8000-0000000000e1"),
        "type": "participation.record-start",
        "version": 1,
        "source": "rummelig/intake",
        "subject": str(PARTICIPANT),
        "time": datetime(2026, 3, 9, 8, 30, 15, 123456, tzinfo=UTC),
        "data": {"participant_id": str(PARTICIPANT), "started_on": "2026-03-09", "nested": {"list": [1, 2, "tre"]}},
    }
    fields.update(changes)
    return CloudEvent(**fields)


def as_delivered(event: CloudEvent) -> list[tuple[str, bytes]]:
    """Headers as aiokafka delivers them: a list of (str, bytes) tuples."""
    return [(key, value.encode()) for key, value in event.headers().items()]


def headers_without(event: CloudEvent, key: str) -> list[tuple[str, bytes]]:
    return [(k, v) for k, v in as_delivered(event) if k != key]


def headers_with(event: CloudEvent, key: str, value: bytes) -> list[tuple[str, bytes]]:
    return [*headers_without(event, key), (key, value)]


# --- round trip ---------------------------------------------------------------------------------------------------


def test_an_event_survives_the_round_trip_through_kafka_headers_and_value() -> None:
    event = an_event(correlationid=CORRELATION, causationid=UUID("00000000-0000-4000-8000-0000000000ca"))
    back = CloudEvent.from_kafka(as_delivered(event), event.value())
    assert back == event
    assert back.time == event.time
    assert back.correlationid == CORRELATION


def test_an_event_without_correlation_or_causation_survives_the_round_trip() -> None:
    event = an_event()
    assert "ce_correlationid" not in event.headers()
    assert "ce_causationid" not in event.headers()
    back = CloudEvent.from_kafka(as_delivered(event), event.value())
    assert back == event
    assert back.correlationid is None
    assert back.causationid is None


def test_headers_given_as_a_mapping_of_strings_parse_too() -> None:
    event = an_event()
    assert CloudEvent.from_kafka(event.headers(), event.value()) == event


def test_the_headers_are_binary_mode_cloudevents_attributes() -> None:
    event = an_event()
    headers = event.headers()
    assert headers["ce_specversion"] == "1.0"
    assert headers["ce_id"] == "00000000-0000-4000-8000-0000000000e1"
    assert headers["ce_type"] == "participation.record-start"
    assert headers["ce_source"] == "rummelig/intake"
    assert headers["ce_subject"] == str(PARTICIPANT)
    assert headers["ce_dataschema"] == "urn:rummelig:schema:participation.record-start:v1"
    assert headers["ce_dataversion"] == "1"
    assert headers["content-type"] == "application/json"
    assert datetime.fromisoformat(headers["ce_time"]) == event.time


def test_the_value_is_the_data_as_compact_json() -> None:
    event = an_event()
    assert json.loads(event.value()) == event.data
    assert b" " not in event.value()


# --- refusals -----------------------------------------------------------------------------------------------------


def test_a_record_without_specversion_is_invalid() -> None:
    event = an_event()
    with pytest.raises(InvalidEvent, match="specversion"):
        CloudEvent.from_kafka(headers_without(event, "ce_specversion"), event.value())


@pytest.mark.parametrize("version", [b"0.3", b"1", b"2.0", b""])
def test_a_record_with_another_specversion_is_invalid(version: bytes) -> None:
    event = an_event()
    with pytest.raises(InvalidEvent, match="specversion"):
        CloudEvent.from_kafka(headers_with(event, "ce_specversion", version), event.value())


@pytest.mark.parametrize("value", [b"not json", b"{", b"", b"\xff\xfe{}"])
def test_a_value_that_is_not_json_is_invalid(value: bytes) -> None:
    with pytest.raises(InvalidEvent, match="not JSON"):
        CloudEvent.from_kafka(as_delivered(an_event()), value)


@pytest.mark.parametrize("value", [b"[1, 2]", b'"text"', b"42", b"null", b"true"])
def test_a_value_that_is_json_but_not_an_object_is_invalid(value: bytes) -> None:
    with pytest.raises(InvalidEvent, match="not a JSON object"):
        CloudEvent.from_kafka(as_delivered(an_event()), value)


def test_a_record_without_a_value_is_invalid() -> None:
    with pytest.raises(InvalidEvent, match="missing"):
        CloudEvent.from_kafka(as_delivered(an_event()), None)


def test_a_value_over_the_event_limit_is_invalid() -> None:
    value = b'{"x":"' + b"a" * MAX_EVENT_BYTES + b'"}'
    assert len(value) > MAX_EVENT_BYTES
    with pytest.raises(InvalidEvent, match="larger"):
        CloudEvent.from_kafka(as_delivered(an_event()), value)


def test_a_value_just_at_the_event_limit_is_accepted() -> None:
    padding = MAX_EVENT_BYTES - len(b'{"x":""}')
    value = b'{"x":"' + b"a" * padding + b'"}'
    assert len(value) == MAX_EVENT_BYTES
    assert CloudEvent.from_kafka(as_delivered(an_event()), value).data == {"x": "a" * padding}


def test_a_header_that_is_not_utf8_is_invalid() -> None:
    event = an_event()
    with pytest.raises(InvalidEvent, match="UTF-8"):
        CloudEvent.from_kafka(headers_with(event, "ce_subject", b"\xff\xfe\xfd"), event.value())


@pytest.mark.parametrize("bad_id", [b"not-a-uuid", b"", b"12345"])
def test_a_record_with_a_bad_id_is_invalid(bad_id: bytes) -> None:
    event = an_event()
    with pytest.raises(InvalidEvent, match="id"):
        CloudEvent.from_kafka(headers_with(event, "ce_id", bad_id), event.value())


@pytest.mark.parametrize(
    "bad_type", [b"Referral.Registered", b"referral", b"referral_registered.x", b".referral", b"referral.", b"a.b c"]
)
def test_a_record_with_a_type_outside_the_pattern_is_invalid(bad_type: bytes) -> None:
    event = an_event()
    with pytest.raises(InvalidEvent, match="type"):
        CloudEvent.from_kafka(headers_with(event, "ce_type", bad_type), event.value())


@pytest.mark.parametrize("missing", ["ce_id", "ce_type", "ce_source", "ce_subject", "ce_dataversion"])
def test_a_record_missing_a_required_attribute_is_invalid(missing: str) -> None:
    event = an_event()
    with pytest.raises(InvalidEvent):
        CloudEvent.from_kafka(headers_without(event, missing), event.value())


@pytest.mark.parametrize(("key", "value"), [("ce_time", b"yesterday"), ("ce_dataversion", b"v1")])
def test_a_record_with_a_malformed_time_or_version_is_invalid(key: str, value: bytes) -> None:
    event = an_event()
    with pytest.raises(InvalidEvent):
        CloudEvent.from_kafka(headers_with(event, key, value), event.value())


# --- causation ----------------------------------------------------------------------------------------------------


def test_an_event_caused_by_one_without_correlation_correlates_to_the_cause() -> None:
    cause = an_event()
    effect = to_event(_started(), source="rummelig/enrolment", cause=cause)
    assert effect.subject == cause.subject
    assert effect.causationid == cause.id
    assert effect.correlationid == cause.id
    assert effect.id != cause.id
    assert (effect.type, effect.version, effect.source, effect.data) == (
        "participation.started",
        1,
        "rummelig/enrolment",
        {"participant_id": str(PARTICIPANT), "course_id": "c", "started_on": "2026-03-09"},
    )


def test_an_event_caused_by_a_correlated_one_keeps_the_correlation() -> None:
    cause = an_event(correlationid=CORRELATION)
    effect = to_event(_started(), source="rummelig/enrolment", cause=cause)
    assert effect.subject == cause.subject
    assert effect.causationid == cause.id
    assert effect.correlationid == CORRELATION


def test_a_chain_of_three_events_shares_one_correlation() -> None:
    first = an_event()
    second = to_event(_started(), source="s", cause=first)
    third = to_event(_started(), source="s", cause=second)
    assert third.correlationid == first.id
    assert third.causationid == second.id


def _started() -> ParticipationStarted:
    return ParticipationStarted(participant_id=PARTICIPANT, course_id="c", started_on=date(2026, 3, 9))


# --- parsing the data: the registry ---------------------------------------------------------------------------------


def test_the_registry_parses_the_data_into_the_contract_model() -> None:
    event = an_event(data={"participant_id": str(PARTICIPANT), "started_on": "2026-03-09"})
    assert REGISTRY.parse(event) == RecordStart(participant_id=PARTICIPANT, started_on=date(2026, 3, 9))


@pytest.mark.parametrize(
    "data",
    [
        {},
        {"participant_id": "not-a-uuid", "started_on": "2026-03-09"},
        {"participant_id": str(PARTICIPANT), "started_on": "the ninth"},
        {"participant_id": str(PARTICIPANT)},
    ],
)
def test_the_registry_raises_invalid_event_on_bad_data(data: dict[str, Any]) -> None:
    with pytest.raises(InvalidEvent, match=r"participation.record-start v1 data invalid"):
        REGISTRY.parse(an_event(data=data))


# --- conformance with the CloudEvents SDK -------------------------------------------------------------------------


def sdk_message(event: CloudEvent) -> KafkaMessage:
    return KafkaMessage(
        headers={k: v.encode() for k, v in event.headers().items()}, key=str(PARTICIPANT), value=event.value()
    )


@pytest.mark.parametrize("correlated", [False, True])
def test_the_cloudevents_sdk_reads_our_binary_mode_records(correlated: bool) -> None:
    event = an_event(correlationid=CORRELATION if correlated else None)
    parsed = from_binary(sdk_message(event), JSONFormat())
    assert parsed.get_specversion() == "1.0"
    assert parsed.get_id() == str(event.id)
    assert parsed.get_type() == event.type
    assert parsed.get_source() == event.source
    assert parsed.get_subject() == event.subject
    assert parsed.get_time() == event.time
    assert parsed.get_datacontenttype() == "application/json"
    assert parsed.get_dataschema() == event.dataschema
    assert parsed.get_data() == event.data
    assert parsed.get_extension("dataversion") == "1"
    assert parsed.get_extension("correlationid") == (str(CORRELATION) if correlated else None)


def test_the_cloudevents_sdk_agrees_on_a_caused_event() -> None:
    effect = to_event(_started(), source="rummelig/enrolment", cause=an_event())
    parsed = from_binary(sdk_message(effect), JSONFormat())
    assert parsed.get_id() == str(effect.id)
    assert parsed.get_type() == "participation.started"
    assert parsed.get_extension("causationid") == str(effect.causationid)
    assert parsed.get_extension("correlationid") == str(effect.correlationid)

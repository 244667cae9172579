"""The event contracts: no personal-data fields, committed schemas in step with the models, wire names."""

from __future__ import annotations

from datetime import date
from uuid import UUID

import pytest
from pydantic import BaseModel

from shared.contracts import (
    REGISTRY,
    CoursePublished,
    ParticipationStarted,
    RecordStart,
    to_event,
)
from shared.envelope import CloudEvent
from shared.schema_export import MODELS, SCHEMA_DIR, render

PARTICIPANT = UUID("00000000-0000-4000-8000-000000000004")
FORBIDDEN_IN_FIELD_NAMES = ("cpr", "name", "address", "phone", "email", "note", "comment", "text", "free")
# work emails, so reminders and escalations can reach them (and a moved case names whom it left)
ALLOWED = {"caseworker_email", "previous_caseworker_email", "coordinator_email"}
EVENTS = MODELS  # every version a schema is exported for, current and older
KEYS = sorted(EVENTS)


def key_id(key: tuple[str, int]) -> str:
    return f"{key[0]}.v{key[1]}"


@pytest.mark.parametrize("key", KEYS, ids=key_id)
def test_no_event_has_a_field_for_personal_data_or_free_text(key: tuple[str, int]) -> None:
    model = EVENTS[key]
    offending = [
        field
        for field in model.model_fields
        if field not in ALLOWED and any(word in field.lower() for word in FORBIDDEN_IN_FIELD_NAMES)
    ]
    assert offending == []


@pytest.mark.parametrize("key", KEYS, ids=key_id)
def test_no_event_schema_names_a_personal_data_property(key: tuple[str, int]) -> None:
    properties = EVENTS[key].model_json_schema(mode="serialization").get("properties", {})
    assert {p for p in properties if any(word in p.lower() for word in ("cpr", "name", "address", "phone"))} == set()


def test_the_only_emails_in_any_event_are_work_emails() -> None:
    emails = {(key_id(k), f) for k, m in EVENTS.items() for f in m.model_fields if "email" in f.lower()}
    # work emails only: the caseworker's (reminders; a moved case's previous one too) and the sub-project
    # coordinator's (escalations)
    assert emails == {
        ("case.reassigned.v1", "caseworker_email"),
        ("case.reassigned.v1", "previous_caseworker_email"),
        ("referral.registered.v1", "caseworker_email"),
        ("referral.registered.v2", "caseworker_email"),
        ("referral.registered.v3", "caseworker_email"),
        ("subproject.published.v1", "coordinator_email"),
    }


@pytest.mark.parametrize("key", KEYS, ids=key_id)
def test_every_event_has_a_committed_schema_file_equal_to_the_generated_one(key: tuple[str, int]) -> None:
    type_, version = key
    path = SCHEMA_DIR / f"{type_}.v{version}.json"
    assert path.exists(), f"{path.name} is missing: run python -m shared.schema_export"
    assert path.read_text() == render(type_, version), f"{path.name} is stale: run python -m shared.schema_export"


def test_there_is_no_schema_file_without_a_contract() -> None:
    committed = {p.name for p in SCHEMA_DIR.glob("*.json")}
    assert committed == {f"{t}.v{v}.json" for t, v in EVENTS}


def test_the_schema_id_matches_the_envelopes_dataschema() -> None:
    event = to_event(RecordStart(participant_id=PARTICIPANT, started_on=date(2026, 3, 9)), source="s")
    assert f'"$id": "{event.dataschema}"' in render(event.type, event.version)


@pytest.mark.parametrize("wire", list(REGISTRY.wires()), ids=lambda w: w.name)
def test_the_registry_gives_back_the_wire_a_model_is_registered_under(wire: object) -> None:
    assert REGISTRY.wire(wire.model) is wire  # type: ignore[attr-defined]


def test_every_model_is_registered_once() -> None:
    models = [w.model for w in REGISTRY.wires()]
    assert len(set(models)) == len(models)


def test_a_model_that_is_not_a_contract_has_no_wire() -> None:
    class Stranger(BaseModel):
        x: int

    with pytest.raises(KeyError):
        REGISTRY.wire(Stranger)  # type: ignore[arg-type]


def test_to_event_wraps_the_data_under_its_wire_name() -> None:
    data = ParticipationStarted(participant_id=PARTICIPANT, course_id="odder-flex-2026", started_on=date(2026, 3, 9))
    event = to_event(data, source="rummelig/enrolment")
    assert (event.type, event.version) == ("participation.started", 1)
    assert event.source == "rummelig/enrolment"
    assert event.subject == str(PARTICIPANT)
    assert event.data == {
        "participant_id": str(PARTICIPANT),
        "course_id": "odder-flex-2026",
        "started_on": "2026-03-09",
    }
    assert event.correlationid is None
    assert event.causationid is None
    assert REGISTRY.parse(event) == data


def test_to_event_with_a_cause_links_correlation_and_causation() -> None:
    cause = CloudEvent(
        type="participation.record-start",
        version=1,
        source="rummelig/intake",
        subject=str(PARTICIPANT),
        data={"participant_id": str(PARTICIPANT), "started_on": "2026-03-09"},
    )
    data = ParticipationStarted(participant_id=PARTICIPANT, course_id="odder-flex-2026", started_on=date(2026, 3, 9))
    event = to_event(data, source="rummelig/enrolment", cause=cause)
    assert (event.type, event.version) == ("participation.started", 1)
    assert event.source == "rummelig/enrolment"
    assert event.subject == cause.subject
    assert event.causationid == cause.id
    assert event.correlationid == cause.id


def test_to_event_works_for_a_contract_without_a_participant() -> None:
    course = CoursePublished(
        course_id="odder-flex-2026",
        programme_id="rummelig-imidt",
        subproject_id="flex-odder",
        municipality="727",
        starts_on=date(2026, 3, 9),
        ends_on=date(2026, 6, 30),
        capacity=12,
    )
    event = to_event(course, source="rummelig/enrolment")
    assert (event.type, event.version, event.subject) == ("course.published", 2, "odder-flex-2026")
    assert REGISTRY.parse(event) == course


def test_a_v1_course_is_read_as_v2_with_title_place_and_waiting_list_unknown_under_the_same_key() -> None:
    v1 = {
        "course_id": "vet-aarhus-2026",
        "programme_id": "rummelig-imidt",
        "subproject_id": "war-veterans-aarhus",
        "municipality": "751",
        "starts_on": "2026-01-05",
        "ends_on": "2030-06-30",
        "capacity": 25,
    }
    old = CloudEvent(
        type="course.published", version=1, source="rummelig/enrolment", subject="vet-aarhus-2026", data=v1
    )
    parsed = REGISTRY.parse(old)
    assert isinstance(parsed, CoursePublished)
    assert (parsed.title, parsed.location, parsed.waiting_list_open) == (None, None, None)
    assert parsed.subject() == old.subject  # v2 records replace v1's on the compacted topic

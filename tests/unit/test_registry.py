"""The contract registry: one parse per record, upcasting older versions, refusing what it cannot read."""

from __future__ import annotations

import json
from uuid import uuid4

import pytest

from shared.contracts import (
    REGISTRY,
    CheckScheduled,
    EnrolParticipant,
    LeavingOutcomeRecorded,
    RecordLeavingOutcome,
    RecordSixMonthResult,
    ReferralRegistered,
    SixMonthResultRecorded,
    upcast_referral_registered_v1,
    upcast_referral_registered_v2,
)
from shared.envelope import CloudEvent, InvalidEvent
from shared.registry import UnknownType
from tests.fixtures.records import recorded


def _kept_v1() -> CloudEvent:
    record = recorded("referral.registered.v1")
    return CloudEvent.from_kafka(record["headers"], record["value"].encode())


def test_a_v1_referral_published_before_v2_is_read_as_v2() -> None:
    event = _kept_v1()
    assert (event.type, event.version) == ("referral.registered", 1)
    fact = REGISTRY.parse(event)
    assert isinstance(fact, ReferralRegistered)
    assert fact.age_band == "over-54"
    assert fact.age_band_esf_plus == "55-and-over"  # over 54 is 55 and over: the one band v1 tells exactly
    assert fact.case_reference == "RUM-900001"


@pytest.mark.parametrize("band", ["under-25", "25-54"])
def test_the_upcaster_leaves_the_esf_plus_band_unknown_where_v1_cannot_tell_it(band: str) -> None:
    assert upcast_referral_registered_v1({"age_band": band})["age_band_esf_plus"] is None


def test_the_upcaster_is_pure() -> None:
    data = {"age_band": "over-54"}
    assert upcast_referral_registered_v1(data) == upcast_referral_registered_v1(data)
    assert data == {"age_band": "over-54"}


def test_a_version_newer_than_the_registry_knows_is_invalid() -> None:
    event = _kept_v1().model_copy(update={"version": 4})
    with pytest.raises(InvalidEvent, match="newer than this service understands"):
        REGISTRY.parse(event)


def test_a_subject_that_is_not_the_participant_the_data_names_is_invalid() -> None:
    event = _kept_v1().model_copy(update={"subject": str(uuid4())})
    with pytest.raises(InvalidEvent, match="is not the participant_id"):
        REGISTRY.parse(event)


def test_an_unknown_type_is_reported_as_such() -> None:
    event = _kept_v1().model_copy(update={"type": "referral.teleported"})
    with pytest.raises(UnknownType):
        REGISTRY.parse(event)


def test_every_wire_type_is_declared_once_and_travels_on_a_topic() -> None:
    wires = list(REGISTRY.wires())
    assert len({w.name for w in wires}) == len(wires)
    assert all(w.topics for w in wires)


def test_the_kept_record_is_what_v1_looked_like_without_the_v2_field() -> None:
    assert "age_band_esf_plus" not in json.loads(recorded("referral.registered.v1")["value"])


def test_an_enrolment_command_of_v1_is_read_as_v2_meaning_the_day_it_is_handled() -> None:
    pid = uuid4()
    v1 = CloudEvent(
        type="enrolment.enrol-participant",
        version=1,
        source="rummelig/intake",
        subject=str(pid),
        data={"participant_id": str(pid), "programme_id": "rummelig-imidt", "course_id": "plus-aarhus-2026"},
    )
    command = REGISTRY.parse(v1)
    assert isinstance(command, EnrolParticipant)
    assert command.enrolled_on is None


@pytest.mark.parametrize(("v1_reason", "v2_reason"), [("personal", "other"), ("job", "job"), ("illness", "illness")])
@pytest.mark.parametrize("type_", ["participation.dropped-out", "participation.record-drop-out"])
def test_a_v1_drop_out_is_read_as_v2_with_personal_folded_into_other(
    type_: str, v1_reason: str, v2_reason: str
) -> None:
    pid = uuid4()
    data = {
        "participant_id": str(pid),
        "reason": v1_reason,
        "course_id": "c",
        "left_on": "2026-03-02",
        "dropped_out_on": "2026-03-02",
    }
    fact = REGISTRY.parse(CloudEvent(type=type_, version=1, source="rummelig/x", subject=str(pid), data=data))
    assert fact.model_dump()["reason"] == v2_reason


def test_a_v2_drop_out_knows_moved_and_no_show_but_not_personal() -> None:
    pid = uuid4()
    for reason in ("moved", "no-show"):
        data = {"participant_id": str(pid), "reason": reason, "dropped_out_on": "2026-03-02"}
        REGISTRY.parse(
            CloudEvent(type="participation.record-drop-out", version=2, source="s", subject=str(pid), data=data)
        )
    with pytest.raises(InvalidEvent):
        data = {"participant_id": str(pid), "reason": "personal", "dropped_out_on": "2026-03-02"}
        REGISTRY.parse(
            CloudEvent(type="participation.record-drop-out", version=2, source="s", subject=str(pid), data=data)
        )


def test_a_v1_enrolment_confirmed_is_read_as_v2_without_saying_whether_it_was_a_re_entry() -> None:
    pid = uuid4()
    data = {
        "participant_id": str(pid),
        "programme_id": "rummelig-imidt",
        "subproject_id": "war-veterans-aarhus",
        "course_id": "plus-aarhus-2026",
        "enrolled_on": "2026-03-02",
    }
    fact = REGISTRY.parse(CloudEvent(type="enrolment.confirmed", version=1, source="s", subject=str(pid), data=data))
    assert fact.model_dump()["re_entry"] is None


def test_a_v2_referral_is_read_as_v3_with_long_term_unemployment_and_one_answer_per_disadvantage() -> None:
    v2 = {
        "participant_id": "00000000-0000-4000-8000-000000000009",
        "labour_market_status": "long-term-unemployed",
        "disadvantages": ["disability", "migrant-or-minority"],
        "disadvantages_refused": False,
    }
    v3 = upcast_referral_registered_v2(v2)
    assert (v3["labour_market_status"], v3["long_term_unemployed"], v3["months_unemployed"]) == (
        "unemployed",
        True,
        None,
    )
    assert v3["disadvantages"] == {
        "disability": "yes",
        "migrant_or_foreign_background": "yes",
        "other_disadvantage": "no",
        "minority": "not-asked",  # v2 folded minorities into migrants: never asked apart
        "homeless_or_housing_exclusion": "not-asked",  # v2 had no such question
    }
    refused = upcast_referral_registered_v2({**v2, "disadvantages": [], "disadvantages_refused": True})
    assert set(refused["disadvantages"].values()) == {"refused"}
    assert upcast_referral_registered_v2({**v2, "labour_market_status": "inactive"})["long_term_unemployed"] is False


# --- follow-up's v1 facts and commands, read as v2 -----------------------------------------------------------------
def _parse(type_: str, data: dict[str, object]) -> object:
    pid = str(data["participant_id"])
    return REGISTRY.parse(CloudEvent(type=type_, version=1, source="s", subject=pid, data=data))


PID = "00000000-0000-4000-8000-000000000010"


@pytest.mark.parametrize(("observed_on", "counts", "late"), [("2026-09-28", True, False), ("2026-09-29", False, True)])
def test_a_v1_leaving_outcome_counts_if_observed_within_four_weeks(observed_on: str, counts: bool, late: bool) -> None:
    data = {
        "participant_id": PID,
        "situation": "ordinary-employment",
        "employed": True,
        "observed_on": observed_on,
        "left_on": "2026-08-31",
    }
    fact = _parse("leaving-outcome.recorded", data)
    assert isinstance(fact, LeavingOutcomeRecorded)
    assert (fact.counts, fact.late, fact.exit_number, fact.supersedes, fact.qualification_gained) == (
        counts,
        late,
        None,
        None,
        None,
    )


@pytest.mark.parametrize(
    ("situation", "read_as", "observed_on", "counts"),
    [
        ("pension", "inactive", "2027-04-25", True),  # due 28 February (31 August + 6 months), 8 weeks to count
        ("unknown", "unreachable", "2027-04-26", False),
        ("flex-job", "flex-job", "2027-03-01", True),
    ],
)
def test_a_v1_six_month_result_gets_its_due_date_the_default_limit_and_v2s_situations(
    situation: str, read_as: str, observed_on: str, counts: bool
) -> None:
    data = {"participant_id": PID, "situation": situation, "employed": False, "observed_on": observed_on}
    fact = _parse("six-month-result.recorded", {**data, "left_on": "2026-08-31"})
    assert isinstance(fact, SixMonthResultRecorded)
    assert (fact.situation, fact.due_on.isoformat(), fact.counts, fact.late) == (
        read_as,
        "2027-02-28",
        counts,
        not counts,
    )


def test_a_v1_check_scheduled_counts_until_its_due_date_upon_leaving_and_eight_weeks_on_after_six_months() -> None:
    leaving = _parse(
        "followup.check-scheduled",
        {"participant_id": PID, "check": "leaving-outcome", "left_on": "2026-08-31", "due_on": "2026-09-28"},
    )
    six = _parse(
        "followup.check-scheduled",
        {"participant_id": PID, "check": "six-month", "left_on": "2026-08-31", "due_on": "2027-02-28"},
    )
    assert isinstance(leaving, CheckScheduled) and isinstance(six, CheckScheduled)
    assert (leaving.counts_until.isoformat(), six.counts_until.isoformat()) == ("2026-09-28", "2027-04-25")
    assert leaving.exit_number is None and leaving.proposed_situation is None


def test_v1_result_commands_are_read_as_v2() -> None:
    leaving = _parse(
        "followup.record-leaving-outcome",
        {"participant_id": PID, "situation": "education", "observed_on": "2026-09-01"},
    )
    six = _parse(
        "followup.record-six-month-result", {"participant_id": PID, "situation": "unknown", "observed_on": "2027-03-01"}
    )
    assert isinstance(leaving, RecordLeavingOutcome) and leaving.qualification_gained is None
    assert isinstance(six, RecordSixMonthResult) and (six.situation, six.improvement) == ("unreachable", None)

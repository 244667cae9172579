"""The fund's participant extract, folded from the timeline's facts: one record per participant."""

from __future__ import annotations

from datetime import date
from typing import Any

from services.intake.extract.domain import COLUMNS, Fact, extract_row, in_period, path_of, table


def started(on: str) -> Fact:
    return Fact("participation.started", {"started_on": on, "course_id": "c"})


def completed(on: str) -> Fact:
    return Fact("participation.completed", {"left_on": on, "course_id": "c"})


def dropped(on: str, reason: str = "illness") -> Fact:
    return Fact("participation.dropped-out", {"left_on": on, "course_id": "c", "reason": reason})


def outcome(situation: str, exit_number: int | None, *, counts: bool = True, kind: str = "leaving") -> Fact:
    data: dict[str, Any] = {"situation": situation, "employed": situation.endswith("employment"), "counts": counts}
    data |= {"exit_number": exit_number, "observed_on": "2026-03-01"}
    return Fact("leaving-outcome.recorded" if kind == "leaving" else "six-month-result.recorded", data)


def test_the_entry_is_the_first_start_as_corrected_and_the_exit_the_final_one() -> None:
    path = path_of(
        [
            started("2026-01-05"),
            Fact("participation.start-corrected", {"started_on": "2026-01-07", "previous_started_on": "2026-01-05"}),
            completed("2026-03-31"),
            Fact("participation.leaving-date-corrected", {"left_on": "2026-03-20", "previous_left_on": "2026-03-31"}),
        ]
    )
    assert path.entered_on == date(2026, 1, 7)
    final = path.final_exit
    assert final is not None and (final.left_on, final.kind) == (date(2026, 3, 20), "completed")


def test_a_participant_who_started_again_has_no_exit_until_leaving_again() -> None:
    facts = [started("2026-01-05"), dropped("2026-02-01"), started("2026-04-01")]
    assert path_of(facts).final_exit is None
    again = path_of([*facts, completed("2026-06-30")])
    final = again.final_exit
    assert final is not None and (final.left_on, final.kind) == (date(2026, 6, 30), "completed")
    assert again.entered_on == date(2026, 1, 5)  # one record for the fund: the first entry


def test_only_the_results_that_count_for_the_final_exit_are_given() -> None:
    path = path_of(
        [
            started("2026-01-05"),
            dropped("2026-02-01"),
            outcome("unemployed", 1),
            started("2026-04-01"),
            completed("2026-06-30"),
            outcome("ordinary-employment", 2),
            outcome("self-employed", 2, counts=False),  # late: kept on the timeline, never counted
        ]
    )
    row = extract_row(cpr="0101901234", case_reference="RUM-000001", characteristics={}, path=path)
    assert (row["upon_leaving_situation"], row["upon_leaving_employed"]) == ("ordinary-employment", True)
    assert row["six_months_situation"] is None


def test_a_result_of_an_exit_followed_by_a_new_start_is_not_given() -> None:
    path = path_of([started("2026-01-05"), dropped("2026-02-01"), outcome("unemployed", 1), started("2026-04-01")])
    row = extract_row(cpr=None, case_reference="RUM-000002", characteristics={}, path=path)
    assert (row["left_on"], row["upon_leaving_situation"]) == (None, None)


def test_a_v1_result_without_an_exit_number_belongs_to_the_only_exit() -> None:
    path = path_of([started("2025-01-05"), completed("2025-02-01"), outcome("education", None, kind="six")])
    assert extract_row(cpr=None, case_reference="R", characteristics={}, path=path)["six_months_situation"] == (
        "education"
    )


def test_a_corrected_drop_out_reason_is_the_one_given() -> None:
    path = path_of(
        [
            started("2026-01-05"),
            dropped("2026-02-01", "illness"),
            Fact("participation.drop-out-reason-corrected", {"drop_out_reason": "job", "previous": "illness"}),
        ]
    )
    assert extract_row(cpr=None, case_reference="R", characteristics={}, path=path)["drop_out_reason"] == "job"


def test_the_period_holds_who_entered_or_left_in_it() -> None:
    start, end = date(2025, 9, 1), date(2026, 2, 28)
    assert in_period(path_of([started("2025-09-01")]), start, end)
    assert in_period(path_of([started("2025-03-01"), completed("2026-02-28")]), start, end)
    assert not in_period(path_of([started("2025-03-01"), completed("2025-08-31")]), start, end)
    assert not in_period(path_of([started("2026-03-01")]), start, end)
    assert not in_period(path_of([]), start, end)  # referred, never started
    # left in the period, then started again: the exit is no longer the final one
    assert not in_period(path_of([started("2025-03-01"), dropped("2025-10-01"), started("2026-03-05")]), start, end)


def test_the_characteristics_at_entry_are_judged_on_the_start_date_where_intake_published_them() -> None:
    referral = {"age_band": "25-54", "under_25": False, "long_term_unemployed": False, "gender": "female"}
    entered = Fact("participant.entered", {"age_band": "under-25", "under_25": True, "long_term_unemployed": True})
    row = extract_row(cpr=None, case_reference="R", characteristics=referral, path=path_of([entered]))
    assert (row["age_band"], row["under_25"], row["long_term_unemployed"], row["gender"]) == (
        "under-25",
        True,
        True,
        "female",
    )
    assert extract_row(cpr=None, case_reference="R", characteristics=referral, path=path_of([]))["age_band"] == "25-54"


def test_disadvantages_are_given_one_by_one_also_from_a_referral_that_listed_them() -> None:
    listed = {"disadvantages": ["disability"]}
    row = extract_row(cpr=None, case_reference="R", characteristics=listed, path=path_of([]))
    assert (row["disability"], row["minority"]) == ("yes", "no")
    answered = {"disadvantages": {"minority": "refused"}}
    row = extract_row(cpr=None, case_reference="R", characteristics=answered, path=path_of([]))
    assert (row["minority"], row["disability"]) == ("refused", "not-asked")


def test_the_table_has_a_danish_heading_per_column_and_yes_no_in_danish() -> None:
    row = extract_row(cpr="0101901234", case_reference="R", characteristics={"under_25": True}, path=path_of([]))
    headings, values = table([row])
    assert len(headings) == len(COLUMNS) and headings[0] == "CPR-nummer"
    assert values[0] == "0101901234"
    assert values[[c for c, _ in COLUMNS].index("under_25")] == "ja"
    assert values[[c for c, _ in COLUMNS].index("left_on")] == ""

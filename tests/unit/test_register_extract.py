"""A DREAM-style extract's rules without a database: its header, its rows, the finding around a six-month date, and
the checks the timeline asks findings for."""

from __future__ import annotations

import csv
import io
import random
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any
from uuid import UUID, uuid4

import pytest

from deploy.synthetic_register import DECISIVE, Check, Planned, plan, write_extract
from services.intake.register.codes import CODES, finding_of_code, is_known
from services.intake.register.domain import (
    CLOSED,
    COUNTS_AS,
    SCHEDULED,
    ExtractRefused,
    Person,
    Week,
    covers,
    find,
    read_header,
    read_row,
    six_month_checks,
    window,
)

Entry = tuple[UUID, str, dict[str, Any]]
TODAY = date(2026, 12, 5)
HEADER = ["cpr", "y_2620", "y_2621", "y_2622", "y_2623", "grad_2026_06", "branche_2026_06"]
DUE = date(2026, 6, 3)  # a Wednesday of ISO week 23 of 2026


def refused(code: str, call: object, *args: object, **kwargs: object) -> str:
    with pytest.raises(ExtractRefused) as caught:
        call(*args, **kwargs)  # type: ignore[operator]
    assert caught.value.code == code, caught.value.message
    return caught.value.message


def test_the_header_names_where_the_cpr_number_each_week_and_each_month_are() -> None:
    layout = read_header([" CPR ", *HEADER[1:]])
    assert layout.cpr == 0
    assert sorted(layout.weeks) == [Week(2026, w) for w in (20, 21, 22, 23)]
    assert layout.degrees == {"2026-06": 5} and layout.industries == {"2026-06": 6}
    assert layout.last_week.sunday == date(2026, 6, 7)
    assert read_header(["y_9901", "cpr"]).weeks == {Week(1999, 1): 0}  # DREAM's 1990s


@pytest.mark.parametrize(
    ("names", "words"),
    [
        (["y_2620", "grad_2026_06"], "no 'cpr' column"),
        (["cpr", "grad_2026_06"], "no week column"),
        (["cpr", "y_2620", "y_2620"], "appears twice"),
        (["cpr", "y_2654"], "2026 has no ISO week 54"),
        (["cpr", "y_2553"], "2025 has no ISO week 53"),
        (["cpr", "y_2600"], "no ISO week 0"),
        (["cpr", "y_2620", "grad_2026_13"], "is not a month"),
        (["cpr", "y_2620", "name"], "is not a DREAM column"),
        (["cpr", "y_2620", "0101901234"], "column 3: a column is not"),
    ],
)
def test_a_wrong_header_is_refused_naming_the_column(names: list[str], words: str) -> None:
    assert words in refused("wrong-header", read_header, names)


def test_a_53_week_year_has_its_53rd_week() -> None:
    assert Week(2026, 53) in read_header(["cpr", "y_2653"]).weeks


def test_a_valid_row_keeps_the_codes_of_its_weeks_and_its_degrees() -> None:
    layout = read_header(HEADER)
    person = read_row(layout, ["010190-1234", "111", "", " 651 ", "", "0,75", "889900"], 1, today=TODAY)
    assert person.cpr == "0101901234"
    assert person.codes == {Week(2026, 20): "111", Week(2026, 22): "651"}
    assert person.degrees == {"2026-06": Decimal("0.75")}


@pytest.mark.parametrize(
    ("fields", "code", "words"),
    [
        (["0101901234", "111"], "malformed-row", "row 7 has 2 fields where the header has 7"),
        (["3102901234", "", "", "", "", "", ""], "invalid-cpr", "row 7: the CPR number is not valid"),
        # seventh digit 4 and year 21: born 2021, and 29 February 2021 does not exist
        (["2902214123", "", "", "", "", "", ""], "invalid-cpr", "row 7"),
        # seventh digit 5 and year 50: the century rule says 2050
        (["0101505123", "", "", "", "", "", ""], "invalid-cpr", "a date of birth in the future"),
        (["abc", "", "", "", "", "", ""], "invalid-cpr", "ten digits"),
        (["0101901234", "11", "", "", "", "", ""], "invalid-code", "week 2026-W20: a benefit code is three digits"),
        (["0101901234", "", "", "", "", "-1", ""], "invalid-degree", "grad_2026_06"),
        (["0101901234", "", "", "", "", "nan", ""], "invalid-degree", "grad_2026_06"),
        (["0101901234", "", "", "", "", "101", ""], "invalid-degree", "grad_2026_06"),
        (["0101901234", "", "", "", "", "", "88 99"], "invalid-industry", "branche_2026_06"),
    ],
)
def test_a_wrong_row_is_refused_by_number_without_repeating_the_cpr_number(
    fields: list[str], code: str, words: str
) -> None:
    message = refused(code, read_row, read_header(HEADER), fields, 7, today=TODAY)
    assert words in message
    assert fields[0] not in message or fields[0] == "abc"


def person(codes: dict[int, str], degree: str | None = None) -> Person:
    return Person(
        "0101901234",
        {Week(2026, w): c for w, c in codes.items()},
        {} if degree is None else {"2026-06": Decimal(degree)},
    )


def test_the_window_is_the_four_iso_weeks_ending_with_the_one_holding_the_date() -> None:
    assert window(DUE) == [Week(2026, w) for w in (20, 21, 22, 23)]
    assert window(date(2027, 1, 2)) == [Week(2026, 50), Week(2026, 51), Week(2026, 52), Week(2026, 53)]
    assert covers(read_header(HEADER), DUE)
    assert not covers(read_header(HEADER), date(2026, 6, 8))  # week 24 is not in the extract
    assert not covers(read_header(HEADER[:-2]), DUE)  # no employment degree for June


@pytest.mark.parametrize(
    ("codes", "degree", "finding"),
    [
        ({}, "0.8", "employed"),
        ({}, "0", "self-supporting"),
        ({}, None, "self-supporting"),
        ({20: "111", 21: "111", 22: "111"}, "1", "job-seeking"),
        ({20: "890", 21: "890", 22: "651", 23: "651"}, None, "education"),  # a tie goes to the later weeks
        ({20: "651", 21: "651", 22: "890", 23: "890"}, None, "sickness-benefit"),
        ({20: "781", 21: "781"}, "0.5", "employed"),  # a tie, and the later weeks are without benefit
        ({22: "781", 23: "781"}, "0.5", "disability-pension"),  # a tie, and the later weeks are on pension
        ({21: "781", 22: "781", 23: "781"}, None, "disability-pension"),
        ({20: "810", 21: "810", 22: "810", 23: "810"}, None, "flex-job"),
        ({23: "121", 22: "121", 21: "121"}, "0.2", "employed"),  # grouped with weeks without benefit
        ({20: "999", 21: "999", 22: "999", 23: "999"}, None, "left-the-register"),
        ({20: "555", 21: "555", 22: "555"}, None, "other-benefit"),
    ],
)
def test_the_finding_is_the_most_frequent_kind_of_week(codes: dict[int, str], degree: str | None, finding: str) -> None:
    found = find(person(codes, degree), DUE)
    assert found.finding == finding
    assert found.situation == COUNTS_AS[found.finding]
    assert (found.weeks_from, found.weeks_to, found.month) == (date(2026, 5, 11), date(2026, 6, 7), "2026-06")


def test_codes_outside_dreams_range_are_counted_as_unknown() -> None:
    assert find(person({20: "042", 21: "042", 22: "042"}), DUE).unknown_codes == 3
    assert not is_known("042") and is_known("111") and finding_of_code("042") == "other-benefit"


def test_every_code_row_names_a_known_finding_and_its_source() -> None:
    for row in CODES:
        assert 100 <= row.first <= row.last <= 999
        assert row.finding is None or row.finding in COUNTS_AS
        assert row.sureness in ("stated", "grouped", "inferred") and row.meaning
        assert row.source or row.sureness == "inferred"
    assert finding_of_code("652") == "education" and finding_of_code("890") == "sickness-benefit"


def test_the_timeline_gives_each_exits_latest_six_month_check_and_drops_superseded_ones() -> None:
    a, b = uuid4(), uuid4()

    def scheduled(who: UUID, exit_number: int | None, due: str, check: str = "six-month") -> Entry:
        data: dict[str, Any] = {"check": check, "exit_number": exit_number, "left_on": "2025-12-01", "due_on": due}
        return (who, SCHEDULED, data)

    entries: list[Entry] = [
        scheduled(a, 1, "2026-06-01"),
        scheduled(a, 1, "2026-06-03"),  # moved: the latest counts
        scheduled(a, 2, "2026-09-01"),
        (a, CLOSED, {"check": "six-month", "exit_number": 2, "reason": "re-enrolled"}),
        scheduled(b, 1, "2026-06-01", check="leaving-outcome"),
        scheduled(b, None, "2026-06-01"),  # v1: no exit named
        scheduled(b, 2, "2026-07-01"),
        (b, CLOSED, {"check": "six-month", "exit_number": 2, "reason": "recorded"}),  # answered: still observable
    ]
    found = {(c.participant_id, c.exit_number): c.due_on for c in six_month_checks(entries)}
    assert found == {(a, 1): date(2026, 6, 3), (b, 2): date(2026, 7, 1)}


def test_a_synthetic_extract_shows_the_register_each_finding_it_planned(tmp_path: Path) -> None:
    rng = random.Random(7)
    dues = [date(2026, 6, 3) + timedelta(days=9 * i) for i in range(20)]  # within the extract's weeks
    recorded: list[Any] = ["ordinary-employment", "job-seeking", "education", "inactive", "flex-job", None]
    people = [(f"{i + 1:02d}0190{4000 + i:04d}", [Check(due, recorded[i % 6])]) for i, due in enumerate(dues)]
    # every finding the planner may choose, once each, and the planner's own choices
    planned = [Planned(f"{i + 1:02d}0290{5000 + i:04d}", {dues[i]: f}) for i, f in enumerate(DECISIVE)]
    planned += plan(people, agreement=0.5, rng=rng)
    path = tmp_path / "extract.csv"
    write_extract(path, planned, first=Week(2026, 10), last=Week(2026, 52), others=5, rng=rng)
    reader = csv.reader(io.StringIO(path.read_text()))
    layout = read_header(next(reader))
    wanted = {p.cpr: p.findings for p in planned}
    shown = {}
    for number, fields in enumerate(reader, 1):
        person = read_row(layout, fields, number, today=TODAY)
        for due in wanted.get(person.cpr, {}):
            assert covers(layout, due)
            shown[(person.cpr, due)] = find(person, due).finding
    assert shown == {(cpr, due): finding for cpr, findings in wanted.items() for due, finding in findings.items()}
    assert {f for p in planned for f in p.findings.values()} >= {"employed", "job-seeking", "education"}

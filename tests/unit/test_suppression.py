"""Small-cell suppression: what is hidden, what is shown, and a reader with a linear-program solver
(tests/unit/attacker.py) trying to work out a hidden count from every report and series of a programme, and failing.

The three leaks of issue 18, each as the attack it is (each recovered the hidden count with the code before it):
(a) monthly series suppressed on their own beside the participants total; (b) the implicit cells between nested
figures (a total beside its breakdown's total; EECR04 beside CR04); (c) periods set side by side.

Issue 18, item 15's three mutations, each made locally, this file run, and undone (2026-12-05):
- the twins' equations left out of disclosure._report: killed by
  test_two_figures_counting_the_same_people_give_no_small_count_away_one_beside_the_other (and by the property);
  re-checked 2026-12-05 (`for group in [*relations.twins, ...]` without the twins): the file passes, before and after
  the change to given_away below, so that kill no longer holds and is to be looked into; the parts-of-a-whole
  equations left out (the identities) are still killed, by three tests, the property among them;
- the fixed point made one pass (`while found.confined and rounds < 1`): killed by
  test_a_monthly_series_beside_the_participants_total_gives_no_month_away;
- `top` in protect() unbounded (10**9): survives, and must: every count of the model is bounded by what a reader knows
  (each figure among the recruited, each started figure among the participants, the parts of a whole), so the ceiling
  never binds where a reader's knowledge does; it is a bound the audit assumes a reader may know besides.
"""

from __future__ import annotations

import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from services.reporting.disclosure import ALL, WHOLE, Publication
from services.reporting.suppression import COMPLEMENTARY, TOTAL, Cell, Problem, protect, suppress
from tests.unit import attacker
from tests.unit.attacker import (
    AT_ENTRY,
    GENDERS,
    MONTHS,
    OUTCOMES,
    SUBPROJECTS,
    Person,
    groups_to_protect,
    kinds_of,
    members,
    never_hidden,
    reader,
    shown_to_operator,
    suppressed,
    true_count,
)

MIN_CELL = 5


def test_a_single_count_follows_the_danish_rule() -> None:
    small, shown = Cell("<5", True), Cell(5, False)
    assert [suppress(n, 5) for n in (0, 1, 4, 5)] == [Cell(0, False), small, small, shown]


def test_a_table_with_nothing_small_is_shown_whole() -> None:
    problem = Problem()
    total, cells = problem.add(37, TOTAL), [problem.add(n) for n in (7, 0, 30)]
    problem.equal([total], cells)
    assert [m.value for m in protect(problem, 5).marks] == [37, 7, 0, 30]


def test_one_small_cell_hides_the_cheapest_other_cell_never_a_zero_nor_a_fixed_total() -> None:
    problem = Problem()
    total = problem.add(35, TOTAL, fixed=True)
    cells = [problem.add(n) for n in (3, 0, 12, 20)]
    problem.equal([total], cells)
    assert [m.value for m in protect(problem, 5).marks] == [35, "<5", 0, COMPLEMENTARY, 20]


def test_a_count_no_hiding_can_protect_is_reported_not_silently_shown() -> None:
    problem = Problem()  # two fixed headline figures whose difference is small: the rule shows both
    whole, part, rest = problem.add(30, TOTAL, fixed=True), problem.add(28, TOTAL, fixed=True), problem.add(2)
    problem.equal([whole], [part, rest])
    found = protect(problem, 5)
    assert found.marks[rest].suppressed and found.exposed == [rest]


def test_min_cell_below_three_is_refused_by_the_settings() -> None:
    import pytest
    from pydantic import ValidationError

    from services.reporting.settings import ReportingSettings

    database = "postgresql+asyncpg://u:p@localhost/reporting"
    with pytest.raises(ValidationError):
        ReportingSettings(database_url=database, min_cell=2)
    assert ReportingSettings(database_url=database).min_cell == 5


# --- the attacks ---------------------------------------------------------------------------------------------------
def person(
    month: str | None = "2025-03",
    *,
    gender: str | None = "female",
    sub: str = "a",
    at_entry: str = "unemployed",
    outcome: str = "none",
) -> Person:
    return (gender, sub, at_entry, outcome, month)


def worked_out(people: list[Person], min_cell: int = MIN_CELL) -> dict[str, tuple[int, float]]:
    """Every count 1 to min_cell-1 the reader confines to fewer than min_cell-1 values, with its bounds."""
    built, shown = suppressed(people, min_cell)
    attack = reader(shown_to_operator(built, shown.marks))
    found = {}
    for name, group in groups_to_protect().items():
        if 0 < true_count(people, group) < min_cell:
            low, high = attack.bounds(group)
            if high - low + 1 < min_cell - 1:
                found[name] = (low, high)
    return found


def test_a_monthly_series_beside_the_participants_total_gives_no_month_away() -> None:
    # (a) before: starts of 4 in March and 4 in April showed "<5", "<5" beside participants = 8: both were 4
    people = [person("2025-03")] * 4 + [person("2025-04")] * 4
    assert worked_out(people) == {}
    built, shown = suppressed(people, MIN_CELL)
    assert shown.marks[built.at[(WHOLE, "participants", "total", ALL)]] == Cell(8, False)


def test_a_total_beside_its_breakdown_gives_the_incomplete_records_away_no_more() -> None:
    # (b) before: a total of 12 beside a gender breakdown totalling 10 gave 2 employed incomplete records
    people = [person(outcome="ordinary", gender="female")] * 5 + [person(outcome="ordinary", gender="male")] * 5
    people += [person(outcome="ordinary", gender=None)] * 2
    assert worked_out(people) == {}


def test_eecr04_beside_cr04_gives_the_employed_at_entry_away_no_more() -> None:
    # (b) before: EECR04 = 30 beside CR04 = 28 gave 2 people employed at entry
    people = [person(outcome="ordinary", sub=s) for s in ("a", "b") for _ in range(14)]
    people += [person(outcome="ordinary", at_entry="employed")] * 2
    assert worked_out(people) == {}


def test_two_figures_counting_the_same_people_give_no_small_count_away_one_beside_the_other() -> None:
    # found by the property with the twins' equations left out (issue 18, item 15's first mutation): the participants'
    # and EECO01's breakdowns, hidden each its own way, gave the one incomplete record of the spring away
    people = [
        person("2025-03", at_entry="employed"),
        person("2025-04", at_entry="employed"),
        person("2025-03", at_entry="employed", outcome="ordinary"),
        person(None),
        person("2025-09", gender="male", at_entry="employed", outcome="flex-job"),
        *[person(None, gender="male", at_entry="employed")] * 2,
        person("2025-10", gender="male", outcome="flex-job"),
        person("2025-04", gender="male"),
        person("2025-10", gender="male"),
        *[person("2025-03", gender="male", outcome="social-economy")] * 2,
        person("2025-09", gender=None, at_entry="employed", outcome="flex-job"),
        person("2025-04", gender=None, at_entry="employed"),
        person("2025-09", gender=None, at_entry="employed"),
        person(None, gender=None, at_entry="employed"),
        person("2025-10", gender=None, at_entry="employed", outcome="ordinary"),
    ]
    assert worked_out(people, 3) == {}


def test_two_periods_side_by_side_give_the_people_between_them_away_no_more() -> None:
    # (c) before: the programme to date (102) beside the autumn half-year (100) gave the spring's 2 starts
    people = [person("2025-03")] * 2 + [person("2025-09", sub=s) for s in ("a", "b") for _ in range(50)]
    assert worked_out(people) == {}


# --- the property ----------------------------------------------------------------------------------------------------
@st.composite
def cohorts(draw: st.DrawFn) -> list[Person]:
    """A small programme's people, broken down by gender or by sub-project (one breakdown varies at a time: see
    below), some too incomplete for breakdowns, some never started."""
    by_gender = draw(st.booleans())
    person = st.tuples(
        st.sampled_from(GENDERS if by_gender else ("female", None)),
        st.sampled_from(("a",) if by_gender else SUBPROJECTS),
        st.sampled_from(AT_ENTRY),
        st.sampled_from(OUTCOMES),
        st.sampled_from(MONTHS),
    ).map(lambda p: (p[0], p[1], p[2], p[3] if p[4] else "none", p[4]))
    return draw(st.lists(person, max_size=30))


HEADLINE_CHOICES = ("employed-ordinary-upon-leaving", "employed-social-economy-upon-leaving", "employed")


def given_away(
    people: list[Person], min_cell: int, built: Publication, marks: list[Cell]
) -> dict[str, tuple[int, tuple[int, float]]]:
    """Every small count the reader of tests/unit/attacker.py confines to fewer than min_cell-1 values from all that
    is shown, but not from what the rule shows whatever is hidden (headline figures and zeros): the rule's own
    exception is reported by protect() as exposed, not hidden. Nor a count whose people are those of a count the rule
    gives away: one inside it that is as large differs from it only by a zero, and zeros are never hidden (everyone
    who left with a flex job entered in the one month everyone entered: the headline figures give the programme's
    count away, the month's count says nothing more of anyone)."""
    everything, rule_alone = reader(shown_to_operator(built, marks)), None
    everything.points.append(kinds_of(people))
    found: dict[str, tuple[int, tuple[int, float]]] = {}
    by_rule: list[tuple[np.ndarray, int]] = []  # the rule's own exceptions: members, true count
    for name, group in groups_to_protect().items():
        if 0 < (value := true_count(people, group)) < min_cell and (bounds := everything.narrows(group, min_cell)):
            if rule_alone is None:
                rule_alone = reader(never_hidden(built, marks))
                rule_alone.points.append(kinds_of(people))
            if rule_alone.narrows(group, min_cell) is None:
                found[name] = (value, bounds)
            else:
                by_rule.append((members(group), value))
    people_of = {name: (members(groups_to_protect()[name]), value) for name, (value, _) in found.items()}
    return {
        name: leak
        for name, leak in found.items()
        if not any(
            value == people_of[name][1] and bool(np.all(people_of[name][0] <= inside)) for inside, value in by_rule
        )
    }


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    people=cohorts(),
    min_cell=st.integers(min_value=3, max_value=5),
    targets=st.sets(st.sampled_from(HEADLINE_CHOICES)),
)
def test_no_reader_works_out_a_hidden_small_count_and_nothing_needless_is_hidden(
    people: list[Person], min_cell: int, targets: set[str]
) -> None:
    built, shown = suppressed(people, min_cell, targets)
    operator = shown_to_operator(built, shown.marks)
    for group, mark in operator:
        value = true_count(people, group)
        assert (0 < value < min_cell) == mark.suppressed or (value >= min_cell and mark.value == COMPLEMENTARY)
        assert value != 0 or mark == Cell(0, False)  # no zero is hidden
    fixed = {f for f in {*attacker.FIGURES} if built.problem.fixed[built.at[(WHOLE, f, "total", ALL)]]}
    assert {"participants", "EECO01", "self-supporting", *targets} <= fixed
    for figure in fixed:  # no headline figure is hidden unless it is itself small
        value = built.problem.values[built.at[(WHOLE, figure, "total", ALL)]]
        assert shown.marks[built.at[(WHOLE, figure, "total", ALL)]].suppressed == (0 < value < min_cell)
    # The independent reader (every kind of person a variable: whatever holds between figures, cells, periods and
    # months, it knows) works out no small count beyond what the headline figures and zeros alone give away.
    # One breakdown varies at a time: a reader of two breakdowns side by side also knows that each person is in
    # one cell of each (a joint table never shown), which the production model does not know (issue 18, left open).
    assert given_away(people, min_cell, built, shown.marks) == {}

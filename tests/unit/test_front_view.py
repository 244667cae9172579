"""The operator's front page's pure parts: figures against targets as the report gives them, hidden counts left
hidden, the programme's period, and the dashboard link that keeps the token."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

from services.reporting.front_view import HEADLINE, Catalogued, about, dashboard_url, front_page, headlines, moment


def _report(programme_id: str, *, min_cell: int = 5, targets: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    values: dict[str, int | str] = {"participants": 12, "completed": "<5", "employed-upon-leaving": "x"}
    return {
        "programme_id": programme_id,
        "min_cell": min_cell,
        "figures": [{"id": f, "value": values.get(f, 0)} for f in (*HEADLINE, "recruited")],
        "targets": targets or [],
        "last_event_at": None,
    }


def _target(figure: str, number: int | None, value: int | str | None, subproject: str | None = None) -> dict[str, Any]:
    return {"figure": figure, "number": number, "value": value, "subproject_id": subproject}


def test_a_target_is_shown_against_its_figure_and_a_hidden_count_gets_no_share() -> None:
    report = _report(
        "p",
        targets=[
            _target("participants", 40, 12),
            _target("completed", 30, "<5"),
            _target("recruited", 10, 25),  # not a headline figure: shown after them
            _target("employed-upon-leaving", 20, None),  # a value the report does not give: "x", as the dashboard
            _target("self-supporting", 5, 3, subproject="sub"),  # a sub-project's target: the dashboard's filter
        ],
    )
    shown = {h.figure: (h.shown, h.percent, h.bar) for h in headlines(report, "da")}
    assert list(shown) == [*HEADLINE, "recruited"]
    assert shown["participants"] == ("12 / 40", 30, 30.0)
    assert shown["completed"] == ("<5 / 30", None, None)
    assert shown["employed-upon-leaving"] == ("x / 20", None, None)
    assert shown["recruited"] == ("25 / 10", 250, 100.0)  # beyond the target: the bar full, the share as it is
    assert shown["self-supporting"] == ("0", None, None)  # no programme-wide target: the count alone


def test_a_target_before_its_first_step_has_no_number() -> None:
    participants = headlines(_report("p", targets=[_target("participants", None, 12)]), "en")[0]
    assert participants.shown == "12 / \u2013" and participants.percent is None


def test_the_period_in_force_and_what_is_left_of_it() -> None:
    grant = Catalogued("Veje til job", "esf-plus-2021-2027", date(2024, 1, 1), date(2029, 12, 31))
    assert about(grant, "da", date(2029, 12, 1))[1:] == ["1. januar 2024 \u2013 31. december 2029", "30 dage tilbage"]
    assert about(grant, "en", date(2030, 1, 1))[2] == "the programme period has ended"
    assert about(grant, "da", date(2023, 6, 1))[2] == "starter 1. januar 2024"
    assert about(None, "en", date(2026, 1, 1)) == ["not in the catalogue yet"]


def test_the_dashboard_link_keeps_the_token_and_a_language_other_than_danish() -> None:
    assert dashboard_url("p-1", "da", None) == "/dashboard?programme_id=p-1"
    assert dashboard_url("p-1", "en", "a.b.c") == "/dashboard?programme_id=p-1&lang=en&access_token=a.b.c"
    assert moment(datetime(2026, 12, 5, 9, 30, tzinfo=UTC), "da") == "5. december 2026 kl. 10.30"


def test_the_small_count_rule_is_said_once_unless_the_programmes_differ() -> None:
    same = front_page(
        {"b": _report("b"), "a": _report("a")},
        {},
        lang="da",
        today=date(2026, 1, 1),
        access_token=None,
        events_behind=0,
    )
    assert same["hidden_note"] and [p.programme_id for p in same["programmes"]] == ["a", "b"]
    differ = front_page(
        {"a": _report("a"), "b": _report("b", min_cell=10)},
        {},
        lang="en",
        today=date(2026, 1, 1),
        access_token=None,
        events_behind=None,
    )
    assert differ["hidden_note"] is None
    assert [p.hidden_note.split(";")[0] for p in differ["programmes"]] == [
        "Counts below 5 show as <5",
        "Counts below 10 show as <10",
    ]

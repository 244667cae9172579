"""Every figure a page can show has a short name in Danish and in English, never its raw id."""

from __future__ import annotations

from datetime import date
from typing import get_args

import pytest

from services.reporting.dashboard_view import DIMENSIONS, dashboard
from services.reporting.figures import FIGURES, reported_for
from shared.contracts import FigureId, Fund
from shared.figure_labels import LABELS, Lang, label

SHOWN = sorted({f.id for f in FIGURES} | set(get_args(FigureId)))


@pytest.mark.parametrize("figure_id", SHOWN)
def test_every_figure_and_every_target_figure_has_a_danish_and_an_english_label(figure_id: str) -> None:
    danish, english = label(figure_id, "da"), label(figure_id, "en")
    assert danish and english and danish != english
    assert figure_id not in (danish, english)


def test_no_label_is_kept_for_a_figure_that_does_not_exist() -> None:
    assert set(LABELS) == set(SHOWN)


def test_the_dashboard_names_a_target_by_its_label_and_says_what_it_counts() -> None:
    figure = next(f for f in FIGURES if f.id == "employed-social-economy-upon-leaving")
    report = {
        "figures": [
            {
                "id": f.id,
                "value": 0,
                "definition": {"da": f.da, "en": f.en},
                "breakdowns": {d: {"cells": {}, "total": 0} for d in DIMENSIONS},
            }
            for f in FIGURES
        ],
        "targets": [
            {
                "target_id": "rim-employed-social-economy",
                "figure": figure.id,
                "number": 40,
                "value": 19,
                "definition": {"da": figure.da, "en": figure.en},
            }
        ],
        "min_cell": 5,
        "last_event_at": None,
        "events_behind": 0,
        "cr04_reading": {"id": "every-participant", "da": "", "en": ""},
        "selection": {},
    }
    languages: tuple[tuple[Lang, str], ...] = (("da", figure.da), ("en", figure.en))
    for lang, words in languages:
        page = dashboard(report, {}, lang=lang, today=date(2026, 12, 4), programme_period=None, subprojects={})
        (target,) = page["targets"]
        assert target.label == label(figure.id, lang) and target.label != figure.id
        assert target.counts == words
        assert (target.value, target.number) == (19, 40)
        assert page["labels"] == {f: label(f, lang) for f in ("waitlisted", "withdrawn")}


def test_a_programme_reports_the_indicators_of_its_fund_and_the_programmes_own_figures_in_both() -> None:
    old = {f.id for f in reported_for("esf-2014-2020")}
    new = {f.id for f in reported_for("esf-plus-2021-2027")}
    assert {"CR01", "CR06", "under-25", "over-54"} <= old and not {"CR01", "under-25"} & new
    assert {"EECO01", "EECO13", "EECR04", "under-18", "18-29", "55-and-over"} <= new
    assert not {f for f in old | new if f.startswith("EEC")} & old
    assert {"participants", "completed", "self-supporting", "with-disabilities", "homeless"} <= old & new
    assert all(reported_for(fund) for fund in get_args(Fund))

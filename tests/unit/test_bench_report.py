"""The report benchmark's synthetic rows: one value per column, in COPY's text format."""

from __future__ import annotations

import random
from datetime import date

from bench.report import COLUMNS, _copy_buffer, _copy_text, _row
from services.reporting.tables import ParticipantProgress


def test_a_synthetic_row_has_one_value_per_column_and_every_column_exists() -> None:
    row = _row(random.Random(1))
    assert len(row) == len(COLUMNS)
    assert set(COLUMNS) <= set(ParticipantProgress.model_fields)


def test_values_are_written_as_copy_text() -> None:
    assert [_copy_text(v) for v in (None, True, False, 3, date(2026, 1, 2), "x")] == [
        "\\N",
        "t",
        "f",
        "3",
        "2026-01-02",
        "x",
    ]
    assert _copy_buffer(10, seed=1).getvalue().count(b"\n") == 10

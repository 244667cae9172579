"""The freshness benchmark's reading: the n-th accepted referral is counted when the projection holds n rows."""

from __future__ import annotations

import pytest

from bench.freshness import lags_ms


def test_each_accepted_referral_waits_for_the_count_that_includes_it() -> None:
    accepted = [1.0, 1.1, 1.2]
    counts = [(1.05, 0), (1.15, 1), (1.30, 3)]
    assert lags_ms(accepted, counts, baseline=0) == pytest.approx([100.0, 150.0, 200.0])


def test_a_referral_never_counted_while_watched_is_left_out() -> None:
    assert lags_ms([1.0, 2.0], [(1.5, 11)], baseline=10) == pytest.approx([500.0])


def test_rows_that_were_there_before_do_not_count() -> None:
    assert lags_ms([1.0], [(1.1, 5), (1.4, 6)], baseline=5) == pytest.approx([400.0])

"""The rebuild benchmark's facts: valid referral.registered data, one distinct participant each."""

from __future__ import annotations

from bench.rebuild import fact
from shared.contracts import REGISTRY, to_event


def test_each_fact_is_a_valid_referral_of_its_own_participant() -> None:
    facts = [fact(i) for i in range(5)]
    assert len({f.participant_id for f in facts}) == 5
    for f in facts:
        assert REGISTRY.parse(to_event(f, source="rummelig/intake")) == f

"""RowFold, the session a folded poll's handlers get: it answers only for its own table's rows it has loaded."""

from __future__ import annotations

from uuid import uuid4

import pytest

from services.enrolment.tables import Referral
from services.followup.tables import FollowupCase
from services.reporting.tables import ParticipantProgress
from shared.row_fold import NotLoaded, RowFold


async def test_a_row_not_stored_is_blank_with_the_models_defaults_and_none_where_it_has_none() -> None:
    key = uuid4()
    row = await RowFold(Referral, "participant_id", complete=True).get(Referral, key)
    assert row.participant_id == key
    assert (row.programme_id, row.referred_on) == (None, None)  # required: the handler sets them
    case = await RowFold(FollowupCase, "participant_id", complete=True).get(FollowupCase, key)
    assert (case.exits, case.on_course) == (0, False)


async def test_a_handler_asking_for_another_table_or_a_row_not_loaded_sends_the_poll_record_by_record() -> None:
    fold = RowFold(ParticipantProgress, "participant_id")
    with pytest.raises(NotLoaded):
        await fold.get(FollowupCase, uuid4())
    with pytest.raises(NotLoaded):
        await fold.get(ParticipantProgress, uuid4())  # never loaded, so not known to be new

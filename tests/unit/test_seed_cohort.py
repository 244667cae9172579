"""The cohort built from Rummelig imidt's final results table (tests.fixtures.seed_cohort) is that table, and valid
against the seed catalogue."""

from __future__ import annotations

import random
from collections import Counter

from deploy.seed_cohort import RESULTS, seed_cohort
from deploy.simulate import expected
from services.enrolment.seed import COURSES, SUBPROJECTS
from shared.clock import today_in_copenhagen


def test_the_cohort_is_the_results_table() -> None:
    cohort = seed_cohort(random.Random(18))
    want = expected(cohort)
    assert {f: want[f]["value"] for f in RESULTS} == RESULTS
    assert want["dropped-out"]["value"] == 913 - 580 == 79 + 254
    assert len({who.citizen.cpr for who in cohort}) == len(cohort)
    for who in cohort:
        subproject, course = SUBPROJECTS[who.subproject_id], COURSES[who.course_id]
        assert subproject.starts_on <= who.referred_on and who.enrolled_on <= course.ends_on <= subproject.ends_on
        assert course.starts_on <= who.enrolled_on and who.left_on <= today_in_copenhagen()
        assert who.municipality in subproject.municipalities and who.target_group in subproject.target_groups
    years = Counter(who.enrolled_on.year for who in cohort)
    assert set(years) == {2016, 2017, 2018, 2019, 2020, 2021}, years

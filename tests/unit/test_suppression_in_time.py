"""A report must answer: an audit that cannot finish in time gives way to the coarse marks, which hide everything but
fixed counts, zeros and the small counts' own "<N", and so give a reader nothing a fixed count does not."""

from __future__ import annotations

from services.reporting.suppression import COMPLEMENTARY, TOTAL, Problem, protect


def _report() -> tuple[Problem, dict[str, int]]:
    problem = Problem()
    at = {
        "total": problem.add(40, TOTAL, fixed=True),
        "aarhus": problem.add(30),
        "odder": problem.add(8),
        "randers": problem.add(2),
        "skive": problem.add(0),
        "other": problem.add(15, TOTAL),
        "other-a": problem.add(12),
        "other-b": problem.add(3),
    }
    problem.equal([at["total"]], [at["aarhus"], at["odder"], at["randers"], at["skive"]])
    problem.equal([at["other"]], [at["other-a"], at["other-b"]])
    return problem, at


def test_an_audit_out_of_time_hides_all_but_fixed_counts_zeros_and_small_marks() -> None:
    problem, at = _report()
    marks = protect(problem, 5, seconds=0).marks
    shown = {name: marks[i].value for name, i in at.items()}
    assert shown == {
        "total": 40,
        "aarhus": COMPLEMENTARY,
        "odder": COMPLEMENTARY,
        "randers": "<5",
        "skive": 0,
        "other": COMPLEMENTARY,
        "other-a": COMPLEMENTARY,
        "other-b": "<5",
    }


def test_an_audit_in_time_hides_only_what_it_must() -> None:
    problem, at = _report()
    marks = protect(problem, 5).marks
    assert marks[at["total"]].value == 40 and marks[at["skive"]].value == 0
    assert sum(not m.suppressed for m in marks) > sum(not m.suppressed for m in protect(problem, 5, seconds=0).marks)

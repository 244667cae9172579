"""Reassignment's pure rules: what becomes of each case, and whom cases may be moved to."""

from __future__ import annotations

from uuid import uuid4

from services.intake.reassignment.domain import Case, Caseworker, Known, audit_detail, outcome, target_problem

TO = Caseworker("cw-b", "B.Hansen@jobcenter.example.dk")


def _case(subject: str = "cw-a", *, erased: bool = False) -> Case:
    return Case(uuid4(), "RUM-000001", subject, f"{subject}@jobcenter.example.dk", erased)


def test_each_case_is_moved_already_theirs_erased_or_not_found() -> None:
    assert outcome(_case(), TO) == "moved"
    assert outcome(_case("cw-b"), TO) == "already-theirs"
    assert outcome(_case(erased=True), TO) == "erased"
    assert outcome(_case("cw-b", erased=True), TO) == "erased"
    assert outcome(None, TO) == "not-found"


def test_a_caseworker_new_to_intake_is_taken_on_the_team_leads_word() -> None:
    assert target_problem(TO, Known(frozenset(), cases_elsewhere=False)) is None


def test_the_email_on_the_caseworkers_cases_must_be_the_one_given_whatever_its_case() -> None:
    assert target_problem(TO, Known(frozenset({"b.hansen@jobcenter.example.dk"}), cases_elsewhere=False)) is None
    problem = target_problem(TO, Known(frozenset({"bh@jobcenter.example.dk"}), cases_elsewhere=False))
    assert problem is not None and (problem.reason, problem.field) == ("caseworker-email-mismatch", "to.email")
    assert "bh@jobcenter.example.dk" in problem.detail


def test_a_caseworker_with_cases_in_another_municipality_is_refused() -> None:
    problem = target_problem(TO, Known(frozenset({"b.hansen@jobcenter.example.dk"}), cases_elsewhere=True))
    assert problem is not None
    assert (problem.reason, problem.field) == ("caseworker-of-another-municipality", "to.subject")


def test_the_audit_detail_fits_its_column_with_the_longest_subjects() -> None:
    longest = "x" * 200
    detail = audit_detail(uuid4(), longest, Caseworker(longest, "x@example.dk"), "conflict-of-interest")
    assert len(detail) <= 500 and detail.startswith(f"from {longest} to {longest} (conflict-of-interest)")

"""The caseworker pages' pure rules and words: where sign-in may lead, when a session ends, what a list asks, the
timeline in words for every fact there is."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest

from services.intake.pages.domain import HOME, OBSERVED, RECORDED, case_reference, disagreements, list_asked
from services.intake.pages.texts import LINES, WORDS, Say, timeline_line
from shared.contracts import REGISTRY, AboutParticipant
from shared.pages.domain import SECURITY_HEADERS, Lifetime, iso_date, language, local_path, pages_of, secure_request

NOW = datetime(2026, 12, 5, 9, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("asked", "goes_to"),
    [
        ("/cases/RUM-000002", "/cases/RUM-000002"),
        ("/cases?status=started", "/cases?status=started"),
        (None, "/cases"),
        ("", "/cases"),
        ("//evil.example", "/cases"),
        ("/\\evil.example", "/cases"),
        ("/cases\\..\\x", "/cases"),
        ("https://evil.example", "/cases"),
        ("javascript:alert(1)", "/cases"),
        ("cases", "/cases"),
        ("/cases\r\nSet-Cookie: x=1", "/cases"),
    ],
)
def test_sign_in_leads_only_to_a_local_path(asked: str | None, goes_to: str) -> None:
    assert local_path(asked, HOME) == goes_to


def test_a_session_lives_while_used_and_never_past_its_token() -> None:
    lifetime = Lifetime(idle=timedelta(minutes=30))
    token_expires = NOW + timedelta(hours=1)
    assert lifetime.live(last_seen=NOW - timedelta(minutes=29), token_expires=token_expires, now=NOW)
    assert not lifetime.live(last_seen=NOW - timedelta(minutes=30), token_expires=token_expires, now=NOW)
    assert not lifetime.live(last_seen=NOW, token_expires=NOW, now=NOW)


@pytest.mark.parametrize(
    ("scheme", "forwarded", "secure"),
    [("https", None, True), ("http", "https", True), ("http", "https, http", True), ("http", None, False)],
)
def test_cookies_are_secure_when_the_browser_came_over_tls(scheme: str, forwarded: str | None, secure: bool) -> None:
    assert secure_request(scheme, forwarded) is secure


def test_danish_unless_english_is_asked_for_or_remembered() -> None:
    assert language(None, None) == "da"
    assert language("en", None) == "en"
    assert language(None, "en") == "en"
    assert language("da", "en") == "da"
    assert language("fr", "xx") == "da"


@pytest.mark.parametrize(
    ("typed", "reference"),
    [("RUM-000002", "RUM-000002"), (" rum-2 ", "RUM-000002"), ("2", "RUM-000002"), ("RUM-1234567", "RUM-1234567")],
)
def test_a_case_reference_may_be_typed_short(typed: str, reference: str) -> None:
    assert case_reference(typed) == reference


@pytest.mark.parametrize("typed", ["abc", "RUM-", "RUM-12a", "0101011234-", ""])
def test_what_is_no_case_reference(typed: str) -> None:
    assert case_reference(typed) is None


def test_the_list_takes_empty_fields_as_no_filter_and_names_what_it_did_not_understand() -> None:
    assert list_asked(status="", due="", case_reference_typed="", page="") == list_asked(
        status=None, due=None, case_reference_typed=None, page=None
    )
    asked = list_asked(status="started", due="overdue", case_reference_typed="7", page="3")
    assert (asked.status, asked.due, asked.case_reference, asked.page, asked.errors) == (
        "started",
        "overdue",
        "RUM-000007",
        3,
        (),
    )
    wrong = list_asked(status="lost", due="soon", case_reference_typed="x", page="-1")
    assert wrong.errors == ("status", "due", "case_reference") and wrong.page == 1 and wrong.status is None


def test_pages_of_a_list() -> None:
    assert [pages_of(n, 25) for n in (0, 1, 25, 26, 50, 51)] == [1, 1, 1, 2, 2, 3]


def test_the_security_headers_allow_no_inline_code_nor_framing() -> None:
    csp = SECURITY_HEADERS["Content-Security-Policy"]
    assert "unsafe" not in csp and "frame-ancestors 'none'" in csp and "default-src 'none'" in csp
    assert SECURITY_HEADERS["Cache-Control"] == "no-store"


def test_both_languages_have_every_word() -> None:
    assert set(WORDS["da"]) == set(WORDS["en"])
    assert all(WORDS["da"].values()) and all(WORDS["en"].values())


def test_every_fact_on_the_timeline_has_words_in_both_languages() -> None:
    facts = {REGISTRY.wire(model).name for model in REGISTRY.facts(about=AboutParticipant)}
    assert facts <= set(LINES), f"no words for {sorted(facts - set(LINES))} (services/intake/pages/texts.py)"


def test_a_fact_in_words_with_its_dates_and_codes() -> None:
    model = next(m for m in REGISTRY.facts(about=AboutParticipant) if m.__name__ == "ParticipationDroppedOut")
    wire = REGISTRY.wire(model).name
    data = {"course_id": "course-a", "left_on": "2026-03-02", "reason": "no-show"}
    assert timeline_line(wire, data, Say("da")) == "Stoppede på forløb course-a 2. marts 2026, årsag: mødte ikke op"
    assert timeline_line(wire, data, Say("en")) == "Dropped out of course course-a on 2 March 2026, reason: no show"
    assert timeline_line("unknown.fact", {}, Say("da")) == "unknown.fact"


def test_a_moment_is_shown_on_its_day_in_denmark() -> None:
    assert Say("da").date(datetime(2026, 12, 31, 23, 30, tzinfo=UTC)) == "1. januar 2027"
    assert Say("en").date(date(2026, 5, 1)) == "1 May 2026"


@pytest.mark.parametrize(
    ("typed", "sent"),
    [
        ("2026-12-05", "2026-12-05"),
        ("5.12.2026", "2026-12-05"),
        ("05-12-2026", "2026-12-05"),
        (" 5/12/2026 ", "2026-12-05"),
        ("31.2.2026", "31.2.2026"),  # no such day: as typed, for the API's schema to name
        ("12.5.26", "12.5.26"),  # a two-digit year is not guessed
        ("i morgen", "i morgen"),
    ],
)
def test_a_date_typed_the_danish_way_is_sent_as_iso(typed: str, sent: str) -> None:
    assert iso_date(typed) == sent


def test_a_disagreement_is_the_counting_record_of_an_exit_beside_a_register_finding_the_rule_contradicts() -> None:
    def recorded(
        ref: str, exit_number: int | None, situation: str, counts: bool = True
    ) -> tuple[str, str, dict[str, Any]]:
        return (ref, RECORDED, {"exit_number": exit_number, "situation": situation, "counts": counts})

    def observed(ref: str, exit_number: int, finding: str) -> tuple[str, str, dict[str, Any]]:
        data = {"exit_number": exit_number, "finding": finding, "weeks_from": "2026-05-11", "weeks_to": "2026-06-07"}
        return (ref, OBSERVED, data)

    found = disagreements(
        [
            recorded("RUM-000002", 1, "job-seeking"),
            recorded("RUM-000002", 1, "ordinary-employment"),  # corrected: the later record counts
            observed("RUM-000002", 1, "employed"),
            recorded("RUM-000010", 1, "education"),
            recorded("RUM-000010", 1, "ordinary-employment", counts=False),  # late: not the one that counts
            observed("RUM-000010", 1, "sickness-benefit"),
            recorded("RUM-000003", 2, "inactive"),
            observed("RUM-000003", 1, "job-seeking"),  # another exit's finding: nothing to compare
            recorded("RUM-000004", None, "inactive"),  # a v1 record names no exit
            observed("RUM-000004", 1, "job-seeking"),
            observed("RUM-000005", 1, "employed"),  # no record
        ]
    )
    assert [(d.case_reference, d.recorded, d.finding) for d in found] == [
        ("RUM-000010", "education", "sickness-benefit")
    ]

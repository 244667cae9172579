"""Follow-up emails: what a caseworker's reminder, a coordinator's digest and a caseworker's erasure notice say, in
text and in escaped HTML."""

from __future__ import annotations

import re
from dataclasses import astuple
from datetime import date, timedelta
from html.parser import HTMLParser
from typing import get_args

import pytest

from services.followup.messages import SITUATIONS, Email, OverdueCase, digest, erasure_notice, reminder
from shared.contracts import Check, ErasureBasis, Situation

CPR_LIKE = re.compile(r"(?<!\d)\d{6}-?\d{4}(?!\d)")
CHECKS: tuple[Check, ...] = get_args(Check)
BASES: tuple[ErasureBasis, ...] = get_args(ErasureBasis)
ERASED_ON = date(2026, 11, 3)
LEFT_ON = date(2026, 6, 28)
RECORD_BY = date(2026, 9, 28)
DAY = date(2026, 11, 24)
LINK_BASE = "https://rummelig.example.dk"
LINK = f"{LINK_BASE}/cases/RUM-000123"
EVIL = "<script>alert(1)</script>"
VOID = {"meta", "br"}
WHAT_DA = {"leaving-outcome": "borgerens situation ved afslutning", "six-month": "resultatet seks måneder efter"}
WHAT_EN = {"leaving-outcome": "the outcome upon leaving", "six-month": "the six-month result"}


def a_reminder(
    check: Check = "leaving-outcome",
    *,
    case_reference: str = "RUM-000123",
    proposed_situation: str | None = None,
    link: str = LINK,
) -> Email:
    """A reminder with the test's usual values."""
    return reminder(
        check=check,
        case_reference=case_reference,
        left_on=LEFT_ON,
        record_by=RECORD_BY,
        number=1,
        of=2,
        link=link,
        proposed_situation=proposed_situation,
    )


def overdue(case_reference: str, due_on: date, check: Check = "six-month") -> OverdueCase:
    """An overdue case that still counts for a month after its due date."""
    return OverdueCase(case_reference, check, due_on - timedelta(days=182), due_on, due_on + timedelta(days=30))


class Html(HTMLParser):
    """Records the tags of a document, whether they balance, and the attributes seen."""

    def __init__(self, document: str) -> None:
        super().__init__(convert_charrefs=True)
        self.open: list[str] = []
        self.unbalanced: list[str] = []
        self.starts: list[tuple[str, dict[str, str | None]]] = []
        self.text: list[str] = []
        self.declarations: list[str] = []
        self.feed(document)
        self.close()

    def handle_decl(self, decl: str) -> None:
        """A <!doctype ...>."""
        self.declarations.append(decl)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        """An opening tag."""
        self.starts.append((tag, dict(attrs)))
        if tag not in VOID:
            self.open.append(tag)

    def handle_endtag(self, tag: str) -> None:
        """A closing tag must close the innermost open one."""
        if not self.open or self.open.pop() != tag:
            self.unbalanced.append(tag)

    def handle_data(self, data: str) -> None:
        """Text between tags."""
        self.text.append(data)

    def tags(self, name: str) -> list[dict[str, str | None]]:
        """The attributes of every opening tag of one name."""
        return [attrs for tag, attrs in self.starts if tag == name]


def assert_well_formed(email: Email) -> Html:
    """The HTML is a balanced Danish UTF-8 document with an English part and no external resources."""
    parsed = Html(email.html)
    assert parsed.declarations == ["doctype html"]
    assert parsed.open == [] and parsed.unbalanced == []
    assert parsed.tags("html") == [{"lang": "da"}]
    assert {"charset": "utf-8"} in parsed.tags("meta")
    assert {"lang": "en"} in parsed.tags("p")
    assert not {"script", "img", "link", "style", "iframe"} & {tag for tag, _ in parsed.starts}
    return parsed


def everything(email: Email) -> str:
    """Subject, text and HTML together."""
    return "\n".join(astuple(email))


# --- the reminder -------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("check", CHECKS)
def test_a_reminder_names_the_case_what_to_record_and_the_reminder_count(check: Check) -> None:
    email = a_reminder(check)
    assert "RUM-000123" in email.subject
    for part in (email.text, email.html):
        assert "RUM-000123" in part
        assert WHAT_DA[check] in part
        assert WHAT_EN[check] in part
        assert "Påmindelse 1 af 2" in part
        assert "Reminder 1 of 2" in part


@pytest.mark.parametrize("check", CHECKS)
def test_a_reminder_writes_dates_the_danish_way_in_danish_and_iso_in_english(check: Check) -> None:
    email = a_reminder(check)
    danish, english = email.text.split("\n\n")[:2]
    assert "28.06.2026" in danish and "28.09.2026" in danish
    assert "2026-" not in danish
    assert "2026-06-28" in english and "2026-09-28" in english
    assert "28.09.2026" in email.subject


def test_the_two_checks_ask_for_different_things() -> None:
    leaving, six = a_reminder("leaving-outcome"), a_reminder("six-month")
    assert leaving.subject == (
        "Rummelig RUM-000123: registrér situationen ved afslutning senest 28.09.2026 (record the outcome upon leaving)"
    )
    assert "six-month" in six.subject and "seks måneder" in six.subject
    assert leaving.text != six.text


@pytest.mark.parametrize("check", CHECKS)
def test_a_reminder_links_to_the_case_in_text_and_html(check: Check) -> None:
    email = a_reminder(check)
    assert LINK in email.text
    assert {"href": LINK} in assert_well_formed(email).tags("a")


@pytest.mark.parametrize("check", CHECKS)
def test_a_reminder_without_a_proposal_proposes_nothing(check: Check) -> None:
    email = a_reminder(check)
    assert "foreslår" not in email.text and "proposes" not in email.text


@pytest.mark.parametrize("check", CHECKS)
@pytest.mark.parametrize(
    ("situation", "danish", "english"),
    [("ordinary-employment", "ordinær beskæftigelse", "ordinary employment"), ("education", "uddannelse", "education")],
)
def test_a_drop_out_for_a_job_or_education_proposes_an_outcome_to_confirm(
    check: Check, situation: str, danish: str, english: str
) -> None:
    email = a_reminder(check, proposed_situation=situation)
    danish_part, english_part = email.text.split("\n\n")[:2]
    assert f"foreslår situationen »{danish}«" in danish_part and "bekræfte" in danish_part
    assert f'proposes "{english}"' in english_part and "confirm" in english_part
    assert f"»{danish}«" in email.html and f"&quot;{english}&quot;" in email.html
    assert_well_formed(email)


def test_every_situation_a_participant_can_be_in_has_a_danish_and_an_english_label() -> None:
    assert set(get_args(Situation)) <= set(SITUATIONS)
    assert {"wage-subsidy-job", "unreachable"} <= set(SITUATIONS)
    for danish, english in SITUATIONS.values():
        assert danish and english


def test_a_situation_without_a_label_is_shown_as_its_code() -> None:
    assert "»some-new-code«" in a_reminder(proposed_situation="some-new-code").text


@pytest.mark.parametrize("check", CHECKS)
def test_a_reminder_ends_by_saying_it_holds_no_personal_data(check: Check) -> None:
    email = a_reminder(check)
    assert email.text.rstrip().endswith("open the case in Rummelig to see who it concerns.")
    assert "ingen personoplysninger" in email.text
    assert "ingen personoplysninger" in email.html and "holds no personal data" in email.html


@pytest.mark.parametrize("check", CHECKS)
@pytest.mark.parametrize("proposed", [None, "flex-job"])
def test_a_reminder_is_well_formed_html(check: Check, proposed: str | None) -> None:
    parsed = assert_well_formed(a_reminder(check, proposed_situation=proposed))
    assert "Sag RUM-000123" in "".join(parsed.text)


def test_a_malicious_case_reference_is_escaped_in_the_html() -> None:
    email = a_reminder(case_reference=EVIL, link=f"{LINK_BASE}/cases/{EVIL}")
    assert "<script" not in email.html.lower()
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in email.html
    parsed = assert_well_formed(email)
    assert EVIL in "".join(parsed.text)  # shown to the reader as text, never run
    assert {"href": f"{LINK_BASE}/cases/{EVIL}"} in parsed.tags("a")


def test_a_case_reference_cannot_break_the_subject_onto_a_second_line() -> None:
    email = a_reminder(case_reference="RUM-1\r\nBcc: someone@example.org")
    assert "\n" not in email.subject and "\r" not in email.subject


@pytest.mark.parametrize("length", [10, 150, 500])
def test_a_subject_stays_under_200_characters(length: int) -> None:
    email = a_reminder("six-month", case_reference="R" * length)
    assert len(email.subject) < 200
    assert email.subject.startswith("Rummelig R")


# --- the digest ---------------------------------------------------------------------------------------------------


def test_a_digest_counts_the_overdue_cases_in_its_subject() -> None:
    cases = [overdue(f"RUM-00000{n}", date(2026, 10, n)) for n in (1, 2, 3)]
    assert digest(cases=cases, day=DAY, link_base=LINK_BASE).subject == (
        "Rummelig: 3 opfølgninger er overskredet (3 follow-ups overdue) 24.11.2026"
    )


def test_a_digest_of_one_case_speaks_in_the_singular() -> None:
    email = digest(cases=[overdue("RUM-000001", date(2026, 10, 1))], day=DAY, link_base=LINK_BASE)
    assert email.subject == "Rummelig: 1 opfølgning er overskredet (1 follow-up overdue) 24.11.2026"


def test_an_empty_digest_is_refused() -> None:
    with pytest.raises(ValueError, match="at least one"):
        digest(cases=[], day=DAY, link_base=LINK_BASE)


def test_a_digest_lists_cases_by_due_date_then_case_reference() -> None:
    cases = [
        overdue("RUM-000300", date(2026, 10, 2)),
        overdue("RUM-000200", date(2026, 10, 1), "leaving-outcome"),
        overdue("RUM-000100", date(2026, 10, 2)),
    ]
    email = digest(cases=cases, day=DAY, link_base=LINK_BASE)
    expected = ["RUM-000200", "RUM-000100", "RUM-000300"]
    assert re.findall(r"^(RUM-\d+):", email.text, flags=re.MULTILINE) == expected
    links = [a["href"] for a in assert_well_formed(email).tags("a")]
    assert links == [f"{LINK_BASE}/cases/{ref}" for ref in expected]


def test_a_digest_shows_what_is_missing_the_due_date_and_the_last_day_it_counts() -> None:
    case = OverdueCase("RUM-000123", "leaving-outcome", LEFT_ON, RECORD_BY, date(2026, 12, 31))
    email = digest(cases=[case], day=DAY, link_base=LINK_BASE + "/")
    for part in (email.text, email.html):
        assert "borgerens situation ved afslutning" in part and "the outcome upon leaving" in part
        assert "28.09.2026" in part and "31.12.2026" in part
        assert LINK in part
    assert '<time datetime="2026-12-31">31.12.2026</time>' in email.html
    assert "2026-11-24" in email.text.splitlines()[1]  # the English line


def test_a_digest_is_an_html_table_with_column_headings() -> None:
    cases = [overdue("RUM-000001", date(2026, 10, 1)), overdue("RUM-000002", date(2026, 10, 2))]
    parsed = assert_well_formed(digest(cases=cases, day=DAY, link_base=LINK_BASE))
    assert len(parsed.tags("table")) == 1
    headings = parsed.tags("th")
    assert len(headings) >= 4 and all(attrs == {"scope": "col"} for attrs in headings)
    assert len(parsed.tags("tr")) == 1 + len(cases)


def test_a_malicious_case_reference_is_escaped_in_the_digest() -> None:
    email = digest(cases=[overdue(EVIL, date(2026, 10, 1))], day=DAY, link_base=LINK_BASE)
    assert "<script" not in email.html.lower()
    assert EVIL in "".join(assert_well_formed(email).text)


def test_a_digest_ends_by_saying_it_holds_no_personal_data() -> None:
    email = digest(cases=[overdue("RUM-000001", date(2026, 10, 1))], day=DAY, link_base=LINK_BASE)
    assert email.text.rstrip().endswith("open the case in Rummelig to see who it concerns.")


# --- the erasure notice -------------------------------------------------------------------------------------------


def a_notice(basis: ErasureBasis = "consent-withdrawn", *, case_reference: str = "RUM-000123") -> Email:
    """An erasure notice with the test's usual values."""
    return erasure_notice(
        case_reference=case_reference, erased_on=ERASED_ON, basis=basis, link=f"{LINK_BASE}/cases/{case_reference}"
    )


def test_a_notice_names_the_case_and_the_day_of_the_erasure_in_its_subject() -> None:
    assert a_notice().subject == "Rummelig RUM-000123: personoplysninger slettet 03.11.2026 (personal data erased)"


@pytest.mark.parametrize(
    ("basis", "why_da", "why_en"),
    [
        ("consent-withdrawn", "trak sit samtykke tilbage", "withdrew the consent that was the only legal basis"),
        ("retention", "opbevaringsperioden efter programmets afslutning", "the retention period"),
        ("request", "efter en anmodning om sletning", "on a request for erasure"),
    ],
)
def test_a_notice_says_the_data_were_erased_on_which_day_and_why(basis: ErasureBasis, why_da: str, why_en: str) -> None:
    email = a_notice(basis)
    for part in (email.text, email.html):
        assert "sag RUM-000123 blev slettet 03.11.2026" in part
        assert "case RUM-000123 were erased on 2026-11-03" in part
        assert why_da in part and why_en in part
    others = [b for b in BASES if b != basis]
    assert all(a_notice(b).text != email.text for b in others)


@pytest.mark.parametrize("basis", BASES)
def test_a_notice_says_the_pseudonymous_facts_stay_for_the_statistics_and_links_to_the_case(
    basis: ErasureBasis,
) -> None:
    email = a_notice(basis)
    parsed = assert_well_formed(email)
    for part in (email.text, "".join(parsed.text)):
        assert "bevares til fondens statistik" in part
        assert "stay for the fund's statistics" in part
        assert "No more reminders" in part
        assert LINK in part
    assert {"href": LINK} in parsed.tags("a")


@pytest.mark.parametrize("basis", BASES)
def test_a_notice_ends_by_saying_rummelig_no_longer_holds_the_citizens_data(basis: ErasureBasis) -> None:
    email = a_notice(basis)
    assert email.text.rstrip().endswith("Rummelig no longer holds the citizen's personal data.")
    assert "ingen personoplysninger" in email.html
    assert "who it concerns" not in everything(email)  # there is nobody left to see in the case


def test_a_malicious_case_reference_is_escaped_in_the_notice() -> None:
    email = a_notice(case_reference=EVIL)
    assert "<script" not in email.html.lower()
    assert EVIL in "".join(assert_well_formed(email).text)
    assert "\n" not in a_notice(case_reference="RUM-1\r\nBcc: x@example.org").subject


# --- no personal data ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("check", CHECKS)
@pytest.mark.parametrize("proposed", [None, *SITUATIONS])
def test_no_reminder_holds_a_cpr_like_number(check: Check, proposed: str | None) -> None:
    email = reminder(
        check=check,
        case_reference="RUM-000123",
        left_on=date(2026, 12, 31),
        record_by=date(2027, 6, 30),
        number=2,
        of=2,
        link=LINK,
        proposed_situation=proposed,
    )
    assert not CPR_LIKE.search(everything(email))


def test_no_digest_holds_a_cpr_like_number() -> None:
    cases = [overdue(f"RUM-{n:06d}", date(2026, 1, 1) + timedelta(days=n)) for n in range(1, 60, 7)]
    assert not CPR_LIKE.search(everything(digest(cases=cases, day=DAY, link_base=LINK_BASE)))


@pytest.mark.parametrize("basis", BASES)
def test_no_notice_holds_a_cpr_like_number(basis: ErasureBasis) -> None:
    for day in (date(2026, 12, 31), date(2027, 1, 1), date(2031, 6, 30)):
        email = erasure_notice(case_reference="RUM-000123", erased_on=day, basis=basis, link=LINK)
        assert not CPR_LIKE.search(everything(email))

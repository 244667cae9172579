"""Reminder, digest and erasure-notice emails, pure: Danish first with English alongside, and never a citizen's
personal data.

No function here takes a name, CPR number or contact detail, so none can reach an email. Every value put into the
HTML is escaped with html.escape; dates are 28.09.2026 in Danish text and 2026-09-28 in English text.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from html import escape

from shared.contracts import Check, ErasureBasis
from shared.names import inline, names_of

SUBJECT_MAX = 199  # characters; a subject is kept under 200

# What is missing: (Danish in a subject, Danish in the body, English).
# The form on intake's case page that records each check: a reminder's link opens the case at it. A query parameter,
# not a fragment: it survives the sign-in a link from webmail lands on (no SameSite=Strict cookie comes with it).
FORM_OF_CHECK: dict[Check, str] = {"leaving-outcome": "leaving-outcome", "six-month": "six-month-result"}


def case_link(intake_url: str, case_reference: str, check: Check | None = None) -> str:
    """The case's page in intake, opened at the form that records the check when one is named."""
    link = f"{intake_url.rstrip('/')}/cases/{case_reference}"
    return f"{link}?step={FORM_OF_CHECK[check]}" if check else link


WHAT: dict[Check, tuple[str, str, str]] = {
    "leaving-outcome": (
        "situationen ved afslutning",
        "borgerens situation ved afslutning",
        "the outcome upon leaving",
    ),
    "six-month": (
        "resultatet seks måneder efter afslutning",
        "resultatet seks måneder efter afslutning",
        "the six-month result",
    ),
}

# The situations a drop-out may propose, as they read inside a sentence: (Danish, English), from shared.names.
SITUATIONS: dict[str, tuple[str, str]] = {
    code: (inline(danish), inline(names_of("situation", "en")[code]))
    for code, danish in names_of("situation", "da").items()
}

NO_PERSONAL_DATA = (
    "Mailen indeholder ingen personoplysninger: åbn sagen i Rummelig for at se, hvem den drejer sig om.",
    "This email holds no personal data: open the case in Rummelig to see who it concerns.",
)

# Why a case's personal data were erased, completing "... were erased on <date>": (Danish, English).
ERASED_BECAUSE: dict[ErasureBasis, tuple[str, str]] = {
    "consent-withdrawn": (
        "fordi borgeren trak sit samtykke tilbage, og samtykket var det eneste grundlag for at behandle dem",
        "because the citizen withdrew the consent that was the only legal basis for holding them",
    ),
    "retention": (
        "fordi opbevaringsperioden efter programmets afslutning er udløbet",
        "because the retention period after the programme's end has passed",
    ),
    "request": ("efter en anmodning om sletning", "on a request for erasure"),
}
NOTHING_LEFT = (
    "Mailen indeholder ingen personoplysninger, og Rummelig har ikke længere borgerens personoplysninger.",
    "This email holds no personal data, and Rummelig no longer holds the citizen's personal data.",
)


@dataclass(frozen=True)
class Email:
    """An email without any of the citizen's personal data: subject, plain text and HTML."""

    subject: str
    text: str
    html: str


@dataclass(frozen=True)
class OverdueCase:
    """One overdue check in a coordinator's digest."""

    case_reference: str
    check: Check
    left_on: date
    due_on: date
    counts_until: date  # last day a record still counts


def reminder(
    *,
    check: Check,
    case_reference: str,
    left_on: date,
    record_by: date,
    number: int,
    of: int,
    link: str,
    proposed_situation: str | None = None,
) -> Email:
    """The caseworker's reminder: the case reference, what to record, by when, and where."""
    subject_da, what_da, what_en = WHAT[check]
    da = [
        f"Sag {case_reference} mangler {what_da}.",
        f"Borgeren afsluttede forløbet {_da(left_on)}. Registrér det senest {_da(record_by)}.",
    ]
    en = (
        f"Case {case_reference} needs {what_en} (left on {_iso(left_on)}); record it by {_iso(record_by)}."
        f" Reminder {number} of {of}."
    )
    if proposed_situation is not None:
        label_da, label_en = SITUATIONS.get(proposed_situation, (proposed_situation, proposed_situation))
        da.append(f"Afbrydelsen foreslår situationen »{label_da}«; du skal bekræfte den, når du registrerer.")
        en += f' The drop-out proposes "{label_en}"; you must confirm it when you record.'
    counter = f"Påmindelse {number} af {of}."
    subject = _subject(f"Rummelig {case_reference}: registrér {subject_da} senest {_da(record_by)} (record {what_en})")
    text = "\n".join(
        [*da, f"Registrér her: {link}", counter, "", en, f"Record it here: {link}", "", *NO_PERSONAL_DATA, ""]
    )
    body = (
        "".join(f"<p>{escape(line)}</p>\n" for line in da)
        + f"<p>Registrér her: {_a(link)}</p>\n<p>{escape(counter)}</p>\n"
        + f'<p lang="en">{escape(en)} Record it here: {_a(link)}</p>\n'
        + _footer()
    )
    return Email(subject, text, _document(subject, body))


def digest(*, cases: Sequence[OverdueCase], day: date, link_base: str) -> Email:
    """A coordinator's daily list of overdue checks, by due date then case reference; refuses an empty list."""
    if not cases:
        raise ValueError("a digest lists at least one overdue case")
    ordered = sorted(cases, key=lambda c: (c.due_on, c.case_reference))
    count = len(ordered)
    da_count = f"{count} {'opfølgning' if count == 1 else 'opfølgninger'} er overskredet"
    en_count = f"{count} {'follow-up' if count == 1 else 'follow-ups'} overdue"
    subject = _subject(f"Rummelig: {da_count} ({en_count}) {_da(day)}")
    intro_da = f"{da_count} pr. {_da(day)}. Registrér dem, mens de stadig tæller med."
    intro_en = f"{en_count} as of {_iso(day)}: record them while they still count."
    links = [f"{link_base.rstrip('/')}/cases/{c.case_reference}" for c in ordered]
    text = "\n".join(
        [
            intro_da,
            intro_en,
            "",
            *(_digest_lines(c, link) for c, link in zip(ordered, links, strict=True)),
            *NO_PERSONAL_DATA,
            "",
        ]
    )
    body = (
        f'<p>{escape(intro_da)}</p>\n<p lang="en">{escape(intro_en)}</p>\n' + _digest_table(ordered, links) + _footer()
    )
    return Email(subject, text, _document(subject, body))


def erasure_notice(*, case_reference: str, erased_on: date, basis: ErasureBasis, link: str) -> Email:
    """The caseworker's notice that a case's personal data were erased: when, why, and what stays."""
    why_da, why_en = ERASED_BECAUSE[basis]
    da = [
        f"Borgerens personoplysninger i sag {case_reference} blev slettet {_da(erased_on)}, {why_da}.",
        "De pseudonyme oplysninger om forløbet bevares til fondens statistik, og sagens tidslinje kan stadig læses."
        " Der kommer ikke flere påmindelser om sagen.",
    ]
    en = (
        f"The citizen's personal data in case {case_reference} were erased on {_iso(erased_on)}, {why_en}."
        " The pseudonymous facts of the case stay for the fund's statistics, and its timeline still reads."
        " No more reminders will be sent about it."
    )
    subject = _subject(f"Rummelig {case_reference}: personoplysninger slettet {_da(erased_on)} (personal data erased)")
    text = "\n".join([*da, f"Se sagen: {link}", "", en, f"See the case: {link}", "", *NOTHING_LEFT, ""])
    body = (
        "".join(f"<p>{escape(line)}</p>\n" for line in da)
        + f"<p>Se sagen: {_a(link)}</p>\n"
        + f'<p lang="en">{escape(en)} See the case: {_a(link)}</p>\n'
        + _footer(NOTHING_LEFT)
    )
    return Email(subject, text, _document(subject, body))


def _digest_lines(case: OverdueCase, link: str) -> str:
    """One overdue case in the plain text, followed by a blank line."""
    _, what_da, what_en = WHAT[case.check]
    return (
        f"{case.case_reference}: mangler {what_da} ({what_en})\n"
        f"  Afsluttet (left): {_da(case.left_on)}; frist (due): {_da(case.due_on)};"
        f" tæller med til og med (counts until): {_da(case.counts_until)}\n"
        f"  {link}\n"
    )


HEADINGS = (
    ("Sag", "case"),
    ("Mangler", "missing"),
    ("Afsluttet", "left"),
    ("Frist", "due"),
    ("Tæller med til og med", "counts until"),
)


def _digest_table(cases: Sequence[OverdueCase], links: Sequence[str]) -> str:
    """The overdue cases as an HTML table with column headings in Danish and English."""
    head = "".join(f'<th scope="col">{escape(da)} <span lang="en">({escape(en)})</span></th>' for da, en in HEADINGS)
    rows = "".join(
        f"<tr><td>{_a(link, c.case_reference)}</td>"
        f'<td>{escape(WHAT[c.check][1])} <span lang="en">({escape(WHAT[c.check][2])})</span></td>'
        f"<td>{_time(c.left_on)}</td><td>{_time(c.due_on)}</td><td>{_time(c.counts_until)}</td></tr>\n"
        for c, link in zip(cases, links, strict=True)
    )
    return f"<table>\n<thead><tr>{head}</tr></thead>\n<tbody>\n{rows}</tbody>\n</table>\n"


def _subject(subject: str) -> str:
    """One line, under 200 characters."""
    line = " ".join(subject.split())
    return line if len(line) <= SUBJECT_MAX else line[: SUBJECT_MAX - 1] + "…"


def _da(day: date) -> str:
    """A date as Danes write it: 28.09.2026."""
    return f"{day:%d.%m.%Y}"


def _iso(day: date) -> str:
    """A date for the English text: 2026-09-28."""
    return day.isoformat()


def _time(day: date) -> str:
    """A date in the HTML: Danish to read, ISO in the datetime attribute."""
    return f'<time datetime="{escape(_iso(day))}">{escape(_da(day))}</time>'


def _a(url: str, label: str | None = None) -> str:
    """A link; the URL is shown unless a label is given."""
    return f'<a href="{escape(url)}">{escape(url if label is None else label)}</a>'


def _footer(lines: tuple[str, str] = NO_PERSONAL_DATA) -> str:
    """The closing lines saying the email holds no personal data (Danish, English)."""
    da, en = lines
    return f'<p>{escape(da)}</p>\n<p lang="en">{escape(en)}</p>\n'


def _document(subject: str, body: str) -> str:
    """A minimal HTML document around a body: Danish, UTF-8, no external resources."""
    return (
        '<!doctype html>\n<html lang="da">\n<head>\n<meta charset="utf-8">\n'
        f"<title>{escape(subject)}</title>\n</head>\n<body>\n{body}</body>\n</html>\n"
    )

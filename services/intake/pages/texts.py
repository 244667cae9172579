"""Every word the caseworker pages show, Danish first and English beside it; the timeline's facts in plain words.

A fact is named by its contract class (never its wire name); a code without words here is shown as the code.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from services.intake.domain import wire_name
from services.intake.pages.domain import Language
from shared import contracts

WORDS: dict[Language, dict[str, str]] = {
    "da": {
        "app": "Rummelig",
        "skip": "Gå til indhold",
        "switch_language": "English",
        "sign_in": "Log ind",
        "sign_in_intro": "Indsæt din adgangsnøgle (token) for at logge ind.",
        "token": "Adgangsnøgle",
        "sign_in_failed": "Adgangsnøglen kunne ikke godkendes. Den kan være forkert eller udløbet.",
        "already_signed_in": "Allerede logget ind? Fortsæt til siden",
        "sign_out": "Log ud",
        "signed_in_as": "Logget ind som",
        "errors_title": "Der er en fejl",
        "my_cases": "Mine sager",
        "case_reference": "Sagsnummer",
        "status": "Status",
        "subproject": "Delprojekt",
        "course": "Forløb",
        "next_due": "Næste frist",
        "overdue": "overskredet",
        "nothing_due": "Intet forfalder",
        "any": "Alle",
        "due": "Frist",
        "due_soon": "Forfalder inden 14 dage",
        "due_overdue": "Overskredet",
        "filter": "Vis",
        "search_cpr": "Søg på CPR-nummer",
        "cpr": "CPR-nummer",
        "cpr_hint": "DDMMÅÅ-XXXX. Søgningen bliver logget.",
        "search": "Søg",
        "cpr_invalid": "Skriv et gyldigt CPR-nummer, fx 010203-1234.",
        "cpr_results": "Resultat af søgning på CPR-nummer",
        "status_invalid": "Vælg en status fra listen.",
        "due_invalid": "Vælg en frist fra listen.",
        "case_reference_invalid": "Skriv et sagsnummer som RUM-000123.",
        "no_cases": "Ingen sager passer til det valgte.",
        "cases_total": "Sager i alt",
        "page": "Side",
        "of": "af",
        "previous": "Forrige side",
        "next": "Næste side",
        "pages": "Sider",
        "case": "Sag",
        "personal_data": "Personoplysninger",
        "name": "Navn",
        "phone": "Telefon",
        "email": "E-mail",
        "address": "Adresse",
        "legal_basis": "Behandlingsgrundlag",
        "consent": "Samtykke",
        "public-task": "Myndighedsopgave",
        "consent_given_on": "Samtykke givet",
        "consent_withdrawn_on": "Samtykke trukket tilbage",
        "erasure_due_on": "Slettes",
        "referred_on": "Henvist",
        "erased": "Personoplysningerne blev slettet",
        "timeline": "Forløb i sagen",
        "no_timeline": "Intet er sket i sagen endnu.",
        "pending": "Afventer svar",
        "none": "Ingen",
        "back_to_cases": "Tilbage til Mine sager",
        "not_found_title": "Siden findes ikke",
        "not_found": "Vi kan ikke finde siden eller sagen. Tjek sagsnummeret.",
        "forbidden_title": "Ingen adgang",
        "forbidden": "Din rolle giver ikke adgang til denne side.",
        "csrf_title": "Formularen kunne ikke sendes",
        "csrf": "Formularen var for gammel eller ufuldstændig. Intet er ændret. Hent siden igen og prøv en gang til.",
        "invalid_title": "Ugyldig forespørgsel",
        "invalid": "Siden forstod ikke forespørgslen.",
        "error_title": "Der skete en fejl",
        "error": "Noget gik galt hos os. Prøv igen om lidt.",
        "referred": "Henvist",
        "waiting": "På venteliste",
        "enrolled": "Optaget",
        "started": "Startet",
        "completed": "Gennemført",
        "dropped-out": "Stoppet før tid",
        "withdrawn": "Udmeldt før start",
        "leaving-outcome": "situationen ved afslutning",
        "six-month": "resultatet efter seks måneder",
    },
    "en": {
        "app": "Rummelig",
        "skip": "Skip to content",
        "switch_language": "Dansk",
        "sign_in": "Sign in",
        "sign_in_intro": "Paste your access token to sign in.",
        "token": "Access token",
        "sign_in_failed": "The access token could not be accepted. It may be wrong or expired.",
        "already_signed_in": "Already signed in? Continue to the page",
        "sign_out": "Sign out",
        "signed_in_as": "Signed in as",
        "errors_title": "There is a problem",
        "my_cases": "My cases",
        "case_reference": "Case reference",
        "status": "Status",
        "subproject": "Sub-project",
        "course": "Course",
        "next_due": "Next due",
        "overdue": "overdue",
        "nothing_due": "Nothing due",
        "any": "Any",
        "due": "Due",
        "due_soon": "Due within 14 days",
        "due_overdue": "Overdue",
        "filter": "Show",
        "search_cpr": "Search by CPR number",
        "cpr": "CPR number",
        "cpr_hint": "DDMMYY-XXXX. The search is logged.",
        "search": "Search",
        "cpr_invalid": "Enter a valid CPR number, e.g. 010203-1234.",
        "cpr_results": "Result of the search by CPR number",
        "status_invalid": "Choose a status from the list.",
        "due_invalid": "Choose a due filter from the list.",
        "case_reference_invalid": "Enter a case reference like RUM-000123.",
        "no_cases": "No case matches your choice.",
        "cases_total": "Cases in all",
        "page": "Page",
        "of": "of",
        "previous": "Previous page",
        "next": "Next page",
        "pages": "Pages",
        "case": "Case",
        "personal_data": "Personal data",
        "name": "Name",
        "phone": "Phone",
        "email": "Email",
        "address": "Address",
        "legal_basis": "Legal basis",
        "consent": "Consent",
        "public-task": "Public task",
        "consent_given_on": "Consent given",
        "consent_withdrawn_on": "Consent withdrawn",
        "erasure_due_on": "To be erased",
        "referred_on": "Referred",
        "erased": "The personal data were erased",
        "timeline": "What happened in the case",
        "no_timeline": "Nothing has happened in the case yet.",
        "pending": "Waiting for an answer",
        "none": "None",
        "back_to_cases": "Back to My cases",
        "not_found_title": "Page not found",
        "not_found": "We cannot find the page or the case. Check the case reference.",
        "forbidden_title": "No access",
        "forbidden": "Your role does not give access to this page.",
        "csrf_title": "The form could not be sent",
        "csrf": "The form was too old or incomplete. Nothing was changed. Reload the page and try again.",
        "invalid_title": "Invalid request",
        "invalid": "The page did not understand the request.",
        "error_title": "Something went wrong",
        "error": "Something went wrong on our side. Try again in a moment.",
        "referred": "Referred",
        "waiting": "On the waiting list",
        "enrolled": "Enrolled",
        "started": "Started",
        "completed": "Completed",
        "dropped-out": "Dropped out",
        "withdrawn": "Withdrawn before the start",
        "leaving-outcome": "the situation upon leaving",
        "six-month": "the result six months after",
    },
}
COPENHAGEN = ZoneInfo("Europe/Copenhagen")
_MONTHS = {
    "da": (
        "januar",
        "februar",
        "marts",
        "april",
        "maj",
        "juni",
        "juli",
        "august",
        "september",
        "oktober",
        "november",
        "december",
    ),
    "en": (
        "January",
        "February",
        "March",
        "April",
        "May",
        "June",
        "July",
        "August",
        "September",
        "October",
        "November",
        "December",
    ),
}
NOTHING = "\u2013"  # an en dash: no value
# The codes a fact carries, in words (reasons, situations); another code is shown as it is.
CODES: dict[Language, dict[str, str]] = {
    "da": {
        "job": "job",
        "education": "uddannelse",
        "illness": "sygdom",
        "moved": "flyttet",
        "no-show": "mødte ikke op",
        "declined": "takkede nej",
        "other": "andet",
        "entered-wrong": "indtastet forkert",
        "new-information": "nye oplysninger",
        "ordinary-employment": "ordinær beskæftigelse",
        "social-economy-employment": "job i socialøkonomisk virksomhed",
        "flex-job": "fleksjob",
        "wage-subsidy-job": "løntilskud",
        "self-employed": "selvstændig",
        "job-seeking": "jobsøgende",
        "inactive": "uden for arbejdsstyrken",
        "pension": "pension",
        "unknown": "ukendt",
        "unreachable": "kunne ikke kontaktes",
        "recorded": "registreret",
        "lapsed": "opgivet",
        "left-again": "afsluttet igen",
        "re-enrolled": "optaget igen",
        "withdrawn": "udmeldt",
        "erased": "slettet",
        "request": "anmodning",
        "consent-withdrawn": "samtykke trukket tilbage",
        "retention": "opbevaringsperioden udløb",
        "caseworker-left": "sagsbehandleren er stoppet",
        "leave-of-absence": "orlov",
        "workload": "arbejdsbyrde",
        "specialisation": "specialisering",
        "conflict-of-interest": "inhabilitet",
        "citizen-request": "borgerens ønske",
    },
    "en": {},
}
# The fields of a fact that hold a code of the vocabulary (the rest are ids, numbers and dates).
CODE_FIELDS = frozenset(
    {"reason", "situation", "basis", "correction_reason", "drop_out_reason", "previous_drop_out_reason", "improvement"}
)
Line = Callable[[Mapping[str, Any], "Say"], str]


class Say:
    """Words, dates and codes in one language, for the templates and the timeline."""

    def __init__(self, lang: Language) -> None:
        self.lang = lang
        self.words = WORDS[lang]

    def __getitem__(self, key: str) -> str:
        """The page word for the key."""
        return self.words[key]

    def date(self, value: date | str | None) -> str:
        """A date as people write it: 5. december 2026, or 5 December 2026."""
        if value is None:
            return NOTHING
        if isinstance(value, datetime):
            day = value.astimezone(COPENHAGEN).date()  # a moment is shown on the day it was in Denmark
        else:
            day = value if isinstance(value, date) else date.fromisoformat(str(value)[:10])
        month = _MONTHS[self.lang][day.month - 1]
        return f"{day.day}. {month} {day.year}" if self.lang == "da" else f"{day.day} {month} {day.year}"

    def code(self, value: object) -> str:
        """A code of a fact in words, where there are some."""
        text = str(value)
        return CODES[self.lang].get(text, text.replace("-", " "))

    def command(self, command_type: str) -> str:
        """A command waiting for its answer, in words."""
        words = COMMANDS.get(command_type)
        return command_type if words is None else words[0 if self.lang == "da" else 1]


def _da_en(da: str, en: str) -> Line:
    def line(data: Mapping[str, Any], say: Say) -> str:
        shown = {k: _shown(k, v, say) for k, v in data.items() if v is not None}
        return (da if say.lang == "da" else en).format_map(_Blank(shown))

    return line


def _shown(field: str, value: Any, say: Say) -> str:
    """A field of a fact as the page shows it: a date in words, a code in words, an id as it is."""
    if field.endswith("_on"):
        return say.date(value)
    return say.code(value) if field in CODE_FIELDS else str(value)


class _Blank(dict[str, str]):
    """A fact missing a field leaves a blank, not an error."""

    def __missing__(self, key: str) -> str:
        return NOTHING


_FACTS: dict[type[Any], Line] = {
    contracts.ReferralRegistered: _da_en(
        "Henvist til delprojekt {subproject_id}", "Referred to sub-project {subproject_id}"
    ),
    contracts.ParticipantEntered: _da_en("Indgang i programmet {entered_on}", "Entered the programme on {entered_on}"),
    contracts.ConsentWithdrawn: _da_en(
        "Samtykke trukket tilbage {withdrawn_on}", "Consent withdrawn on {withdrawn_on}"
    ),
    contracts.ParticipantErased: _da_en(
        "Personoplysninger slettet {erased_on} ({basis})", "Personal data erased on {erased_on} ({basis})"
    ),
    contracts.EnrolmentConfirmed: _da_en(
        "Optaget på forløb {course_id} fra {enrolled_on}", "Enrolled on course {course_id} from {enrolled_on}"
    ),
    contracts.EnrolmentWaitlisted: _da_en(
        "På venteliste til forløb {course_id} som nr. {position}",
        "On the waiting list of course {course_id}, place {position}",
    ),
    contracts.ParticipationStarted: _da_en(
        "Startede på forløb {course_id} {started_on}", "Started course {course_id} on {started_on}"
    ),
    contracts.ParticipationCompleted: _da_en(
        "Gennemførte forløb {course_id} {left_on}", "Completed course {course_id} on {left_on}"
    ),
    contracts.ParticipationDroppedOut: _da_en(
        "Stoppede på forløb {course_id} {left_on}, årsag: {reason}",
        "Dropped out of course {course_id} on {left_on}, reason: {reason}",
    ),
    contracts.ParticipationWithdrawn: _da_en(
        "Udmeldt af forløb {course_id} {withdrawn_on}, årsag: {reason}",
        "Withdrawn from course {course_id} on {withdrawn_on}, reason: {reason}",
    ),
    contracts.StartCorrected: _da_en(
        "Startdato rettet fra {previous_started_on} til {started_on} ({correction_reason})",
        "Start corrected from {previous_started_on} to {started_on} ({correction_reason})",
    ),
    contracts.LeavingDateCorrected: _da_en(
        "Slutdato rettet fra {previous_left_on} til {left_on} ({correction_reason})",
        "Leaving date corrected from {previous_left_on} to {left_on} ({correction_reason})",
    ),
    contracts.DropOutReasonCorrected: _da_en(
        "Årsag til stop rettet fra {previous_drop_out_reason} til {drop_out_reason} ({correction_reason})",
        "Drop-out reason corrected from {previous_drop_out_reason} to {drop_out_reason} ({correction_reason})",
    ),
    contracts.CommandRejected: _da_en("Handlingen blev afvist: {reason}", "The action was refused: {reason}"),
    contracts.CheckScheduled: _da_en(
        "Opfølgning på {check} skal ske senest {due_on}", "Follow-up of {check} due by {due_on}"
    ),
    contracts.CheckClosed: _da_en("Opfølgning på {check} lukket ({reason})", "Follow-up of {check} closed ({reason})"),
    contracts.CheckOverdue: _da_en(
        "Opfølgning på {check} er overskredet (frist {due_on})", "Follow-up of {check} overdue (due {due_on})"
    ),
    contracts.LeavingOutcomeRecorded: _da_en(
        "Situationen ved afslutning registreret: {situation}", "Situation upon leaving recorded: {situation}"
    ),
    contracts.SixMonthResultRecorded: _da_en(
        "Resultat efter seks måneder registreret: {situation}", "Result six months after recorded: {situation}"
    ),
    contracts.CaseReassigned: _da_en(
        "Sagen flyttet fra {previous_caseworker_email} til {caseworker_email} ({reason})",
        "Case moved from {previous_caseworker_email} to {caseworker_email} ({reason})",
    ),
    contracts.ReminderSent: _da_en(
        "Påmindelse nr. {reminder_number} sendt om {check}", "Reminder {reminder_number} sent about {check}"
    ),
}
# The commands a case may wait on: (Danish, English).
_COMMANDS: dict[type[Any], tuple[str, str]] = {
    contracts.EnrolParticipant: ("Optagelse på forløb", "Enrolment on a course"),
    contracts.RecordStart: ("Registrering af start", "Recording the start"),
    contracts.RecordCompletion: ("Registrering af gennemførelse", "Recording the completion"),
    contracts.RecordDropOut: ("Registrering af stop før tid", "Recording the drop-out"),
    contracts.RecordWithdrawal: ("Udmelding før start", "Recording the withdrawal"),
    contracts.CorrectStart: ("Rettelse af startdato", "Correcting the start"),
    contracts.CorrectLeavingDate: ("Rettelse af slutdato", "Correcting the leaving date"),
    contracts.CorrectDropOutReason: ("Rettelse af årsag til stop", "Correcting the drop-out reason"),
    contracts.RecordLeavingOutcome: (
        "Registrering af situationen ved afslutning",
        "Recording the situation upon leaving",
    ),
    contracts.RecordSixMonthResult: ("Registrering af resultat efter seks måneder", "Recording the six-month result"),
}
COMMANDS: dict[str, tuple[str, str]] = {wire_name(model): words for model, words in _COMMANDS.items()}
LINES: dict[str, Line] = {wire_name(model): line for model, line in _FACTS.items()}


def timeline_line(event_type: str, data: Mapping[str, Any], say: Say) -> str:
    """A fact on the timeline in plain words; a fact without words here by its type."""
    line = LINES.get(event_type)
    if line is None:
        return event_type
    # the check's kind is a phrase of the page's words, not a code
    shown = dict(data)
    if "check" in shown:
        shown["check"] = say.words.get(str(shown["check"]), str(shown["check"]))
    return line(shown, say)

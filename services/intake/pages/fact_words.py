"""The timeline's words: each fact in plain words, the codes facts carry, the commands a case may wait on.

A fact is named by its contract class (never its wire name); a code without words here is shown as the code.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any, Protocol

from services.intake.domain import wire_name
from shared import contracts
from shared.names import Kind, inline, names_of
from shared.pages.domain import Language


class Say(Protocol):
    """What the timeline's words need of texts.Say (which reads these tables, so it is not imported here)."""

    lang: Language
    words: dict[str, str]

    def date(self, value: Any) -> str:
        """A date in words."""

    def code(self, value: object) -> str:
        """A code in words."""


NOTHING = "\u2013"  # an en dash: no value
# The codes a fact carries, in words as they read inside a sentence (reasons, situations), from shared.names: the
# kinds a fact's code fields hold, merged (a code shared by two kinds has the same words in both); another code is
# shown as it is.
_CODE_KINDS: tuple[Kind, ...] = (
    "situation",
    "improvement",
    "drop-out-reason",
    "withdrawal-reason",
    "correction-reason",
    "reassignment-reason",
    "check-closed-reason",
    "erasure-basis",
    "register-finding",
)
_LANGUAGES: tuple[Language, ...] = ("da", "en")
CODES: dict[Language, dict[str, str]] = {
    lang: {code: inline(name) for kind in _CODE_KINDS for code, name in names_of(kind, lang).items()}
    for lang in _LANGUAGES
}
# The fields of a fact that hold a code of the vocabulary (the rest are ids, numbers and dates).
CODE_FIELDS = frozenset(
    {
        "reason",
        "situation",
        "basis",
        "correction_reason",
        "drop_out_reason",
        "previous_drop_out_reason",
        "improvement",
        "finding",
    }
)
Line = Callable[[Mapping[str, Any], Say], str]


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
    contracts.SixMonthResultRegisterObserved: _da_en(
        "Registeret (DREAM) viser {finding} i ugerne {weeks_from} til {weeks_to}, omkring {due_on}",
        "The register (DREAM) shows {finding} in the weeks {weeks_from} to {weeks_to}, around {due_on}",
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


# A change to a case, named in a few words (the conflict page): the facts someone decided.
_KINDS: dict[type[Any], tuple[str, str]] = {
    contracts.ReferralRegistered: ("Henvisning", "Referral"),
    contracts.ConsentWithdrawn: ("Samtykke trukket tilbage", "Consent withdrawn"),
    contracts.ParticipantErased: ("Personoplysninger slettet", "Personal data erased"),
    contracts.EnrolmentConfirmed: ("Optagelse på forløb", "Enrolment"),
    contracts.EnrolmentWaitlisted: ("Plads på venteliste", "Waiting-list place"),
    contracts.ParticipationStarted: ("Start", "Start"),
    contracts.ParticipationCompleted: ("Gennemførelse", "Completion"),
    contracts.ParticipationDroppedOut: ("Stop før tid", "Drop-out"),
    contracts.ParticipationWithdrawn: ("Udmelding før start", "Withdrawal"),
    contracts.StartCorrected: ("Rettet startdato", "Start corrected"),
    contracts.LeavingDateCorrected: ("Rettet slutdato", "Leaving date corrected"),
    contracts.DropOutReasonCorrected: ("Rettet årsag til stop", "Drop-out reason corrected"),
    contracts.LeavingOutcomeRecorded: ("Situationen ved afslutning", "Situation upon leaving"),
    contracts.SixMonthResultRecorded: ("Resultat efter seks måneder", "Six-month result"),
    contracts.CaseReassigned: ("Sagen flyttet", "Case moved"),
}
KINDS: dict[str, tuple[str, str]] = {wire_name(model): words for model, words in _KINDS.items()}

"""The caseworker pages' words, Danish first and English beside it: the pages' own here, the timeline's facts and
codes in fact_words.py, the forms' in form_words.py; Say speaks them all in one language."""

from __future__ import annotations

from services.intake.pages.fact_words import CODES, COMMANDS, KINDS, LINES, timeline_line
from services.intake.pages.form_words import FORM_WORDS
from shared.pages.domain import Language
from shared.pages.words import Words

__all__ = ["LINES", "WORDS", "Say", "timeline_line"]

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
        "errors_title": "Der er fejl i formularen",
        "my_cases": "Mine sager",
        "new_referral": "Ny henvisning",
        "team": "Team",
        "my_courses": "Mine hold",
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
        "answers_came": "Svarene er kommet.",
        "timeline_when": "Til venstre: hvornår det blev registreret. I teksten: hvornår det skete.",
        "show_case_again": "Vis sagen igen",
        "none": "Ingen",
        "back_to_cases": "Tilbage til Mine sager",
        "back_home": "Tilbage til forsiden",
        "not_found_title": "Siden findes ikke",
        "not_found": "Vi kan ikke finde siden eller sagen. Tjek sagsnummeret.",
        "forbidden_title": "Ingen adgang",
        "forbidden": "Din rolle giver ikke adgang til denne side.",
        "csrf_title": "Formularen kunne ikke sendes",
        "csrf": "Formularen var for gammel eller ufuldstændig. Intet er ændret. Hent siden igen og prøv en gang til.",
        "invalid_title": "Ugyldig forespørgsel",
        "invalid": "Siden forstod ikke forespørgslen.",
        "unavailable_title": "Rummelig svarer ikke lige nu",
        "unavailable": "Databasen svarer ikke. Prøv igen om lidt; intet blev ændret.",
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
        "new_referral": "New referral",
        "team": "Team",
        "my_courses": "My courses",
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
        "answers_came": "The answers have come.",
        "timeline_when": "On the left: when it was recorded. In the text: when it happened.",
        "show_case_again": "Show the case again",
        "none": "None",
        "back_to_cases": "Back to My cases",
        "back_home": "Back to the start page",
        "not_found_title": "Page not found",
        "not_found": "We cannot find the page or the case. Check the case reference.",
        "forbidden_title": "No access",
        "forbidden": "Your role does not give access to this page.",
        "csrf_title": "The form could not be sent",
        "csrf": "The form was too old or incomplete. Nothing was changed. Reload the page and try again.",
        "invalid_title": "Invalid request",
        "invalid": "The page did not understand the request.",
        "unavailable_title": "Rummelig does not answer just now",
        "unavailable": "The database does not answer. Try again in a moment; nothing was changed.",
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


class Say(Words):
    """Words, dates and codes in one language, for the templates and the timeline."""

    def __init__(self, lang: Language) -> None:
        super().__init__(lang, WORDS[lang] | FORM_WORDS[lang])

    def code(self, value: object) -> str:
        """A code of a fact in words, where there are some."""
        text = str(value)
        return CODES[self.lang].get(text, text.replace("-", " "))

    def command(self, command_type: str) -> str:
        """A command waiting for its answer, in words."""
        words = COMMANDS.get(command_type)
        return command_type if words is None else words[0 if self.lang == "da" else 1]

    def kind(self, kind: str) -> str:
        """A change to a case (a fact or a command's wire name) in a few words."""
        words = KINDS.get(kind) or COMMANDS.get(kind)
        return kind if words is None else words[0 if self.lang == "da" else 1]

    def roles(self, roles: str | None) -> str:
        """The roles the audit log recorded (comma-separated codes) in words."""
        if not roles:
            return self.words["role_not_recorded"]
        return ", ".join(self.words.get(f"role_{role}", role) for role in roles.split(","))

"""Provider staff's pages in words, Danish first and English beside it: their courses, a course's participants by
first name and case reference, and the answer to a start, completion or drop-out recorded. The forms' own words
(steps, fields, errors, refusals) are form_words.py's, as on the case page."""

from __future__ import annotations

from shared.pages.domain import Language

PROVIDER_WORDS: dict[Language, dict[str, str]] = {
    "da": {
        "courses": "Mine hold",
        "courses_intro": "Holdene i dine delprojekter. Åbn et hold for at se deltagerne og registrere start, "
        "gennemførelse og stop før tid.",
        "no_courses": "Dine delprojekter har ingen hold.",
        "course": "Hold",
        "period": "Periode",
        "capacity": "Pladser",
        "participants": "Deltagere",
        "participants_intro": "Deltagerne vises med fornavn og sagsnummer. Hver visning af et fornavn bliver logget.",
        "no_participants": "Ingen deltagere på holdet.",
        "first_name": "Fornavn",
        "erased": "slettet",
        "participant": "Deltager",
        "nothing_to_record": "Intet at registrere nu.",
        "back_to_courses": "Tilbage til Mine hold",
        "conflict_reload": "Holdet er vist igen herunder med sagernes nye udgave.",
    },
    "en": {
        "courses": "My courses",
        "courses_intro": "The courses of your sub-projects. Open a course to see its participants and record a start, "
        "a completion or a drop-out.",
        "no_courses": "Your sub-projects have no course.",
        "course": "Course",
        "period": "Period",
        "capacity": "Seats",
        "participants": "Participants",
        "participants_intro": "Participants are shown by first name and case reference. Every first name shown is "
        "logged.",
        "no_participants": "No participant on the course.",
        "first_name": "First name",
        "erased": "erased",
        "participant": "Participant",
        "nothing_to_record": "Nothing to record now.",
        "back_to_courses": "Back to My courses",
        "conflict_reload": "The course is shown again below with the cases as they are now.",
    },
}

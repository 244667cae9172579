"""The operator's front page as data, pure: each programme they operate with its headline figures against the targets
in force today, in Danish or English, and the way to its dashboard.

The numbers are the dashboard's own: its programme-to-date figures report (services.reporting.deps.Asked.report over
services.reporting.figures_report), read as it comes. Nothing is counted here, and a hidden count stays hidden
("<5", "x"): a share of the target is worked out only from a number the report shows.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any
from urllib.parse import urlencode

from services.reporting.dashboard_view import TEXT as DASHBOARD_TEXT
from shared.figure_labels import Lang, label
from shared.names import name_of
from shared.pages.words import NOTHING, Words

# The programme's own figures that say how it is going, in the order of the path; a target on any other figure is
# shown after them, so that no target of the grant is left off the page.
HEADLINE = ("participants", "completed", "employed-upon-leaving", "employed-six-months-after", "self-supporting")
# The words the dashboard says too are the dashboard's.
SHARED_WITH_THE_DASHBOARD = ("hidden", "last_event", "behind", "unknown", "skip", "other_language")
TEXT: dict[str, dict[Lang, str]] = {k: DASHBOARD_TEXT[k] for k in SHARED_WITH_THE_DASHBOARD} | {
    "title": {"da": "Dine programmer", "en": "Your programmes"},
    "kicker": {"da": "Rummelig · programoperatør", "en": "Rummelig · programme operator"},
    "intro": {
        "da": "Hvert program, du driver, med nøgletallene for programmet til dato over for de mål, der gælder i dag."
        " Åbn et programs resultater for halvår, delprojekter, kommuner, udvikling måned for måned og datakvalitet.",
        "en": "Each programme you operate, with its headline figures for the programme to date against the targets"
        " in force today. Open a programme's results for half-years, sub-projects, municipalities, month-by-month"
        " trends and data quality.",
    },
    "figure": {"da": "Nøgletal", "en": "Figure"},
    "against": {"da": "Antal / mål", "en": "Count / target"},
    "reached": {"da": "Af målet", "en": "Of the target"},
    "no_target": {"da": "intet mål", "en": "no target"},
    "caption": {"da": "Nøgletal for {title}, programmet til dato", "en": "Headline figures of {title}, to date"},
    "open": {"da": "Åbn resultater", "en": "Open results"},
    "days_left": {"da": "{n} dage tilbage", "en": "{n} days left"},
    "ended": {"da": "programperioden er slut", "en": "the programme period has ended"},
    "starts": {"da": "starter {date}", "en": "starts {date}"},
    "not_catalogued": {"da": "ikke i kataloget endnu", "en": "not in the catalogue yet"},
    "at": {"da": "kl.", "en": "at"},
    "none_yet": {"da": "ingen endnu", "en": "none yet"},
    "no_programmes": {"da": "Du driver ingen programmer.", "en": "You operate no programmes."},
}


@dataclass(frozen=True)
class Catalogued:
    """What the catalogue says of a programme (None for one it has not told reporting of yet)."""

    title: str
    fund: str
    starts_on: date
    ends_on: date  # the end in force, extensions included


@dataclass(frozen=True)
class Headline:
    """A figure as the report shows it, against its target in force where the grant has one."""

    figure: str
    label: str
    value: int | str
    targeted: bool = False
    target: int | None = None  # None before the target's first step
    percent: int | None = None  # of the target reached; None where the count is hidden or there is no number
    bar: float | None = None  # the same, at most 100, for the bar

    @property
    def shown(self) -> str:
        """The count, and its target's number where it has one: "12 / 40"."""
        if not self.targeted:
            return str(self.value)
        return f"{self.value} / {self.target if self.target is not None else NOTHING}"


@dataclass(frozen=True)
class Programme:
    """One programme's part of the page."""

    programme_id: str
    title: str
    about: list[str]  # fund, period, time left
    headlines: list[Headline]
    hidden_note: str
    last_event: str
    dashboard_url: str


def headlines(report: dict[str, Any], lang: Lang) -> list[Headline]:
    """The headline figures, each against its targets, then every other programme-wide target of the report."""
    values = {f["id"]: f["value"] for f in report["figures"]}
    targets = [t for t in report["targets"] if t["subproject_id"] is None]
    order = list(dict.fromkeys([*HEADLINE, *(t["figure"] for t in targets)]))
    found: list[Headline] = []
    for figure in order:
        own = [t for t in targets if t["figure"] == figure]
        found += [_against(t, lang) for t in own]
        if not own and figure in values:
            found.append(Headline(figure, label(figure, lang), values[figure]))
    return found


def _against(target: dict[str, Any], lang: Lang) -> Headline:
    """A target and its figure's value as the report gives them (a value it hides is "x", as on the dashboard)."""
    value: int | str = target["value"] if target["value"] is not None else "x"
    number: int | None = target["number"]
    reached = 100 * value / number if isinstance(value, int) and number else None
    return Headline(
        target["figure"],
        label(target["figure"], lang),
        value,
        targeted=True,
        target=number,
        percent=round(reached) if reached is not None else None,
        bar=round(min(100.0, reached), 1) if reached is not None else None,
    )


def about(catalogued: Catalogued | None, lang: Lang, today: date) -> list[str]:
    """The programme's fund, its period in force and how much of it is left."""
    if catalogued is None:
        return [TEXT["not_catalogued"][lang]]
    words = Words(lang, {})
    fund = name_of("fund", catalogued.fund, lang)
    period = f"{words.date(catalogued.starts_on)} \u2013 {words.date(catalogued.ends_on)}"
    if today < catalogued.starts_on:
        left = TEXT["starts"][lang].format(date=words.date(catalogued.starts_on))
    elif today > catalogued.ends_on:
        left = TEXT["ended"][lang]
    else:
        left = TEXT["days_left"][lang].format(n=(catalogued.ends_on - today).days)
    return [fund, period, left]


def dashboard_url(programme_id: str, lang: Lang, access_token: str | None) -> str:
    """The programme's dashboard, in the page's language, with the token the page was opened with (as the
    dashboard's own links keep it)."""
    query = {"programme_id": programme_id} | ({"lang": lang} if lang != "da" else {})
    return f"/dashboard?{urlencode(query | ({'access_token': access_token} if access_token else {}))}"


def moment(value: datetime | None, lang: Lang) -> str:
    """When the newest fact counted happened, as people in Denmark write it."""
    if value is None:
        return TEXT["none_yet"][lang]
    words = Words(lang, {})
    return f"{words.date(value)} {TEXT['at'][lang]} {words.time(value)}"


def front_page(
    reports: dict[str, dict[str, Any]],
    catalogue: dict[str, Catalogued],
    *,
    lang: Lang,
    today: date,
    access_token: str | None,
    events_behind: int | None,
) -> dict[str, Any]:
    """Everything the page shows: a part per programme reported on, sorted by title."""
    programmes = [
        Programme(
            programme_id,
            catalogue[programme_id].title if programme_id in catalogue else programme_id,
            about(catalogue.get(programme_id), lang, today),
            headlines(report, lang),
            TEXT["hidden"][lang].format(n=report["min_cell"]),
            moment(report["last_event_at"], lang),
            dashboard_url(programme_id, lang, access_token),
        )
        for programme_id, report in reports.items()
    ]
    notes = {p.hidden_note for p in programmes}
    return {
        "lang": lang,
        "t": {k: v[lang] for k, v in TEXT.items()},
        "programmes": sorted(programmes, key=lambda p: (p.title.casefold(), p.programme_id)),
        # said once for the page where every programme hides the same counts, else with each programme
        "hidden_note": notes.pop() if len(notes) == 1 else None,
        "events_behind": events_behind,
    }

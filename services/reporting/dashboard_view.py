"""The operator's dashboard as data, pure: what each part of the page shows, in Danish or English, with the geometry
of its bars and charts worked out here so that the template only draws. Hidden counts stay hidden ("<5", "x")."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from shared.figure_labels import Lang, label
from shared.names import NAMES, Kind, municipality_label, name_of

KEY_FIGURES = (
    "participants",
    "completed",
    "dropped-out",
    "employed-upon-leaving",
    "job-seeking-upon-leaving",
    "employed-six-months-after",
    "self-supporting",
)
FUNNEL = (
    "recruited",
    "enrolled",
    "participants",
    "left",
    "outcome-recorded",
    "six-month-result-recorded",
    "employed-six-months-after",
)
QUALITY = ("follow-ups-due", "follow-ups-overdue", "recorded-late", "incomplete-records")
# The register round trip: six months after as recorded, as found in the register (DREAM), and as counted by the
# programme's setting; how many the register answered and how often it agrees with the caseworkers' records.
REGISTER_READINGS = (
    "employed-six-months-after-self-reported",
    "employed-six-months-after-register-observed",
    "employed-six-months-after",
)
REGISTER_AGREEMENT = ("register-observed", "register-agrees", "register-disagrees")
TEXT: dict[str, dict[Lang, str]] = {
    "title": {"da": "Resultater", "en": "Results"},
    "front_page": {"da": "← Dine programmer", "en": "← Your programmes"},
    "skip": {"da": "Gå til indholdet", "en": "Skip to the content"},
    "filters": {"da": "Udvalg", "en": "Selection"},
    "half_year": {"da": "Halvår", "en": "Half-year"},
    "all": {"da": "Alle", "en": "All"},
    "from": {"da": "Fra", "en": "From"},
    "to": {"da": "Til", "en": "To"},
    "period_by": {"da": "Periode efter", "en": "Period by"},
    "entry": {"da": "startdato", "en": "entry date"},
    "leaving": {"da": "slutdato", "en": "leaving date"},
    "subproject_id": {"da": "Delprojekt", "en": "Sub-project"},
    "municipality": {"da": "Kommune", "en": "Municipality"},
    "target_group": {"da": "Målgruppe", "en": "Target group"},
    "gender": {"da": "Køn", "en": "Gender"},
    "age_band": {"da": "Aldersgruppe", "en": "Age band"},
    "show": {"da": "Vis", "en": "Show"},
    "targets": {"da": "Mål", "en": "Targets"},
    "target_of": {"da": "af målet", "en": "of the target"},
    "in_force": {"da": "gældende mål", "en": "target in force"},
    "time_left": {"da": "dage tilbage af programperioden", "en": "days left of the programme period"},
    "funnel": {"da": "Fra henvisning til job", "en": "From referral to employment"},
    "trends": {"da": "Måned for måned", "en": "Month by month"},
    "trends-half-year": {"da": "Halvår for halvår", "en": "Half-year by half-year"},
    "breakdowns": {"da": "Fordelt på", "en": "Broken down by"},
    "total": {"da": "I alt", "en": "Total"},
    "quality": {"da": "Datakvalitet og aktualitet", "en": "Data quality and freshness"},
    "register": {"da": "Registerets resultater efter seks måneder", "en": "The register's six-month results"},
    "counted": {"da": "talt med", "en": "counted"},
    "agreement": {"da": "Enighed med registeret", "en": "Agreement with the register"},
    "register_use": {"da": "Programmets indstilling", "en": "The programme's setting"},
    "last_event": {"da": "Seneste hændelse talt med", "en": "Newest fact counted"},
    "behind": {"da": "Hændelser endnu ikke talt med", "en": "Facts not counted yet"},
    "unknown": {"da": "ukendt", "en": "unknown"},
    "definitions": {"da": "Definitioner", "en": "Definitions"},
    "downloads": {"da": "Hent det viste", "en": "Download what is shown"},
    "hidden": {
        "da": "Tal under {n} vises som <{n}; x er skjult, så et lille tal ikke kan regnes ud.",
        "en": "Counts below {n} show as <{n}; x is hidden so that a small count cannot be worked out.",
    },
    "other_language": {"da": "English", "en": "Dansk"},
    "referrals": {"da": "Henvisninger", "en": "Referrals"},
    "starts": {"da": "Starter", "en": "Starts"},
    "exits": {"da": "Afslutninger", "en": "Exits"},
    "employed-upon-leaving-trend": {"da": "I job ved afslutning", "en": "Employed upon leaving"},
}


@dataclass(frozen=True)
class Bar:
    """A labelled count drawn as a bar: its width in per cent of the widest (None where the count is hidden)."""

    figure: str
    label: str
    value: int | str
    percent: float | None


@dataclass(frozen=True)
class TargetBar:
    """A target against its figure."""

    target_id: str
    figure: str
    label: str
    value: int | str
    number: int | None
    percent: float | None
    counts: str = ""  # what the figure counts, in the grant's words where the grant has them


@dataclass(frozen=True)
class Chart:
    """A month-by-month series as bars: (month, shown value, height in per cent or None where hidden)."""

    series: str
    label: str
    months: list[tuple[str, int | str, float | None]] = field(default_factory=list)


# A breakdown's categories by name (shared.names), the kind each dimension's codes are of; sub-projects by title.
KINDS: dict[str, Kind] = {
    "municipality": "municipality",
    "target_group": "target-group",
    "gender": "gender",
    "age_band": "age-band",
}
DIMENSIONS = ("subproject_id", "municipality", "target_group", "gender", "age_band")


def category(dimension: str, key: str, lang: Lang, subprojects: dict[str, str]) -> str:
    """How a breakdown's category is named on the page: a municipality as "Aarhus (751)", a sub-project by its title,
    another code by its name; a code without one as it is."""
    if dimension == "subproject_id":
        return subprojects.get(key, key)
    if dimension == "municipality":
        return municipality_label(key, lang)
    kind = KINDS.get(dimension)
    return key if kind is None else name_of(kind, key, lang)


def _in_order(dimension: str, keys: Iterable[str], subprojects: dict[str, str]) -> list[str]:
    """A breakdown's categories in the order a person reads them: sub-projects by title, the others in their list's
    order (municipalities by code, age bands youngest first, target groups by Danish name); unknown ones last."""
    known = list(subprojects) if dimension == "subproject_id" else list(NAMES.get(KINDS.get(dimension, ""), {}))
    place = {key: n for n, key in enumerate(known)}
    return sorted(keys, key=lambda key: (place.get(key, len(place)), key))


def _breakdown(figures: dict[str, Any], dimension: str, lang: Lang, subprojects: dict[str, str]) -> dict[str, Any]:
    """One breakdown table of the key figures: a row per category, then the totals."""
    cells = {f: figures[f]["breakdowns"][dimension]["cells"] for f in KEY_FIGURES}
    return {
        "name": TEXT[dimension][lang],
        "rows": [
            (category(dimension, key, lang, subprojects), [cells[f].get(key, 0) for f in KEY_FIGURES])
            for key in _in_order(dimension, cells["participants"], subprojects)
        ],
        "totals": [figures[f]["breakdowns"][dimension]["total"] for f in KEY_FIGURES],
    }


def _percent(value: int | str, widest: int) -> float | None:
    return round(100 * value / widest, 1) if isinstance(value, int) and widest > 0 else None


def dashboard(
    report: dict[str, Any],
    trends: dict[str, dict[str, object]],
    *,
    lang: Lang,
    today: date,
    programme_period: tuple[date, date] | None,
    subprojects: dict[str, str],
) -> dict[str, Any]:
    """Everything the page shows."""
    figures = {f["id"]: f for f in report["figures"]}
    funnel_values = [figures[f]["value"] for f in FUNNEL]
    widest = max([v for v in funnel_values if isinstance(v, int)], default=0)
    funnel = [Bar(f, label(f, lang), figures[f]["value"], _percent(figures[f]["value"], widest)) for f in FUNNEL]
    targets = []
    for t in report["targets"]:
        number = t["number"]
        value = t["value"] if t["value"] is not None else "x"
        percent = min(100.0, 100 * value / number) if isinstance(value, int) and number else None
        targets.append(
            TargetBar(
                t["target_id"],
                t["figure"],
                label(t["figure"], lang),
                value,
                number,
                percent,
                t.get("definition", {}).get(lang, ""),
            )
        )
    charts = []
    for series, months in trends.items():
        values = {m: v for m, v in months.items() if isinstance(v, int | str)}
        top = max([v for v in values.values() if isinstance(v, int)], default=0)
        name = TEXT.get(series, TEXT.get(f"{series}-trend", {})).get(lang, series)
        charts.append(Chart(series, name, [(m, v, _percent(v, top)) for m, v in values.items()]))
    breakdowns = {dimension: _breakdown(figures, dimension, lang, subprojects) for dimension in DIMENSIONS}
    days_left = None
    elapsed = None
    if programme_period is not None:
        starts, ends = programme_period
        days_left = max(0, (ends - today).days)
        span = max(1, (ends - starts).days)
        elapsed = round(100 * min(1.0, max(0.0, (today - starts).days / span)), 1)
    return {
        "lang": lang,
        "t": {k: v[lang] for k, v in TEXT.items()},
        "hidden_note": TEXT["hidden"][lang].format(n=report["min_cell"]),
        "targets": targets,
        "days_left": days_left,
        "elapsed": elapsed,
        "funnel": funnel,
        "labels": {f: label(f, lang) for f in ("waitlisted", "withdrawn")},
        "waitlisted": figures["waitlisted"]["value"],
        "withdrawn": figures["withdrawn"]["value"],
        "charts": charts,
        "trends_title": TEXT["trends-half-year" if report.get("trend_step") == "half-year" else "trends"][lang],
        "key_figures": [(f, label(f, lang)) for f in KEY_FIGURES],
        "breakdowns": breakdowns,
        "quality": [(f, label(f, lang), figures[f]["value"]) for f in QUALITY],
        # the programme's setting decides which it reports (none where it does not use the register)
        "register": [
            (f, _register_label(f, lang), figures[f]["value"])
            for f in (*REGISTER_READINGS, *REGISTER_AGREEMENT)
            if f in figures
        ],
        "agreement": agreement_rate(
            figures.get("register-agrees", {}).get("value"), figures.get("register-disagrees", {}).get("value")
        ),
        "register_use": name_of("register-use", report.get("register_results", "verify"), lang),
        "definitions": [(f["id"], label(f["id"], lang), f["definition"][lang]) for f in report["figures"]],
        "last_event_at": report["last_event_at"],
        "events_behind": report["events_behind"],
        "cr04": report["cr04_reading"][lang],
    }


def _register_label(figure: str, lang: Lang) -> str:
    """A figure's name in the register section: the counted reading named as such beside the other two."""
    name = label(figure, lang)
    return f"{name} ({TEXT['counted'][lang]})" if figure == REGISTER_READINGS[-1] else name


def agreement_rate(agrees: object, disagrees: object) -> str:
    """How often a caseworker's six-month record agrees with the register, in per cent; a dash where either count is
    hidden (a rate of hidden counts would give them away) or there is nothing to compare."""
    if not isinstance(agrees, int) or not isinstance(disagrees, int) or agrees + disagrees == 0:
        return "\u2013"
    return f"{100 * agrees / (agrees + disagrees):.0f} %"

"""Words on a page in one language: the service's own words, and dates and times as people in Denmark write them."""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

from shared.pages.domain import Language

COPENHAGEN = ZoneInfo("Europe/Copenhagen")
NOTHING = "\u2013"  # an en dash: no value
_MONTHS: dict[Language, tuple[str, ...]] = {
    "da": (
        "januar", "februar", "marts", "april", "maj", "juni",
        "juli", "august", "september", "oktober", "november", "december",
    ),
    "en": (
        "January", "February", "March", "April", "May", "June",
        "July", "August", "September", "October", "November", "December",
    ),
}  # fmt: skip


class Words:
    """A service's page words in one language, with dates and times; a service's words class adds its codes."""

    def __init__(self, lang: Language, words: dict[str, str]) -> None:
        self.lang = lang
        self.words = words

    def __getitem__(self, key: str) -> str:
        """The page word for the key."""
        return self.words[key]

    def get(self, key: str, default: str) -> str:
        """The page word for the key, or the default."""
        return self.words.get(key, default)

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

    def time(self, value: datetime) -> str:
        """The time of day a moment was in Denmark, as 14.05 (Danish) or 14:05."""
        local = value.astimezone(COPENHAGEN)
        return f"{local:%H.%M}" if self.lang == "da" else f"{local:%H:%M}"

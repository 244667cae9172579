"""Dates of the real world, where the programmes run: Europe/Copenhagen."""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

COPENHAGEN = ZoneInfo("Europe/Copenhagen")


def today_in_copenhagen() -> date:
    """Today's date in Denmark."""
    return datetime.now(COPENHAGEN).date()

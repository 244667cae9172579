"""Request bodies taken at their JSON word: unknown fields refused, no coercion between JSON types, ISO dates.

Pydantic's lax mode would read `0` as false, `false` as 0 and `0` as 1970-01-01: a client's mistake would be stored
as something it never said. Bodies are strict; a date is the one type JSON carries as a string, so it is lax for an
ISO `YYYY-MM-DD` string only.
"""

from __future__ import annotations

import re
from datetime import date, datetime
from typing import Annotated

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field

_ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}", re.ASCII)


class Body(BaseModel):
    """A request body: unknown fields refused (a typo is an error), strict types, surrounding spaces stripped."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True, strict=True)


def _iso_date(value: object) -> object:
    if isinstance(value, str) and _ISO_DATE.fullmatch(value):
        return value
    if isinstance(value, date) and not isinstance(value, datetime):
        return value  # built in Python (the seed), not read from JSON
    raise ValueError("a date is written YYYY-MM-DD")


IsoDate = Annotated[date, Field(strict=False), BeforeValidator(_iso_date)]
"""A calendar date given as an ISO string (or a date object from Python code)."""

"""Synthetic citizens for the demo and the tests: made-up CPR numbers and names, never real personal data."""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import date, timedelta

FIRST = ("Asta", "Bjarke", "Cilje", "Dagny", "Eskild", "Frejdis", "Gorm", "Hjørdis", "Ingvar", "Jytte", "Kolbjørn")
LAST = ("Testesen", "Prøvegaard", "Demodahl", "Eksempelby", "Fiktivsen", "Opdigtholm")


@dataclass(frozen=True)
class SyntheticCitizen:
    """A made-up citizen."""

    cpr: str
    name: str
    birth_date: date


def synthetic_citizen(rng: random.Random, *, born_between: tuple[int, int] = (1960, 2000)) -> SyntheticCitizen:
    """A random date of birth with a random serial consistent with its century, and a made-up name."""
    start = date(born_between[0], 1, 1)
    born = start + timedelta(days=rng.randrange((date(born_between[1], 12, 31) - start).days))
    # seventh digit 0-3 means 1900s for any year, 4 means 2000s for YY <= 36 (DOMAIN.md)
    seventh = rng.randrange(4) if born.year < 2000 else 4
    serial = f"{seventh}{rng.randrange(1000):03d}"
    return SyntheticCitizen(
        cpr=f"{born:%d%m%y}-{serial}", name=f"{rng.choice(FIRST)} {rng.choice(LAST)}", birth_date=born
    )


def referral_body(citizen: SyntheticCitizen, **overrides: object) -> dict[str, object]:
    """A valid referral request to the programme running today (the seed's illustrative Rummelig plus), dated today."""
    body: dict[str, object] = {
        "cpr": citizen.cpr,
        "name": citizen.name,
        "consent": True,
        "consent_text_version": "samtykke-2024-1",
        "programme_id": "rummelig-plus",
        "subproject_id": "plus-aarhus",
        "target_group": "war-veterans",
        "labour_market_status": "unemployed",
        "months_unemployed": 14,
        "education_level": "isced-3-4",
        "benefit": "kontanthjaelp",
    }
    body.update(overrides)
    return body

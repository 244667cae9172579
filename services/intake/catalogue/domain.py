"""The catalogue's rule for a referral, pure: a programme running on its date, a sub-project active then that serves
the citizen's municipality and target group."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from shared.rejection import Rejection

CHANGED = "catalogue_changed"  # the channel a catalogue change is announced on, when its transaction commits


@dataclass(frozen=True)
class Span:
    """A period of days, both ends included."""

    starts_on: date
    ends_on: date

    def __contains__(self, day: object) -> bool:
        return isinstance(day, date) and self.starts_on <= day <= self.ends_on


@dataclass(frozen=True)
class SubprojectReach:
    """A sub-project as the catalogue publishes it: its programme, period, municipalities and target groups."""

    programme_id: str
    period: Span
    municipalities: tuple[str, ...]
    target_groups: tuple[str, ...]


def catalogue_problem(
    *,
    programme_id: str,
    subproject_id: str,
    target_group: str,
    municipality: str,
    referred_on: date,
    programme: Span | None,
    subproject: SubprojectReach | None,
) -> Rejection | None:
    """A referral must name a programme running on its date and a sub-project active then that serves the citizen."""
    if programme is None:
        return Rejection(
            "unknown-programme", f"there is no programme {programme_id!r} in the catalogue", "programme_id"
        )
    if referred_on not in programme:
        return Rejection(
            "outside-programme-period",
            f"the programme runs from {programme.starts_on.isoformat()} to {programme.ends_on.isoformat()}",
            "referred_on",
        )
    if subproject is None or subproject.programme_id != programme_id:
        return Rejection("unknown-sub-project", f"the programme has no sub-project {subproject_id!r}", "subproject_id")
    if referred_on not in subproject.period:
        return Rejection(
            "sub-project-not-active",
            f"the sub-project runs from {subproject.period.starts_on.isoformat()}"
            f" to {subproject.period.ends_on.isoformat()}",
            "subproject_id",
        )
    if target_group not in subproject.target_groups:
        return Rejection(
            "target-group-not-served",
            f"the sub-project serves {', '.join(subproject.target_groups)}, not {target_group}",
            "target_group",
        )
    if municipality not in subproject.municipalities:
        return Rejection(
            "municipality-not-served",
            f"the sub-project does not serve municipality {municipality} (yours)",
            "subproject_id",
        )
    return None

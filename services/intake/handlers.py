"""Intake's handler table, the one that runs and the one the topology reads: the facts on the timeline, the entry
judged on a start, the catalogue's read model."""

from __future__ import annotations

from services.intake.catalogue import service as catalogue
from services.intake.referrals.entry import entry_handlers
from services.intake.timeline import service as timeline
from services.intake.vault import Vault
from shared.consumer import Handlers


def handlers(vault: Vault) -> Handlers:
    """Every handler intake's consumer dispatches to; the entry needs the birth date, so the vault is bound here."""
    return {**timeline.HANDLERS, **entry_handlers(vault), **catalogue.HANDLERS}

"""Who reads what, derived from the handlers each service registers: subscriptions and the topics to provision."""

from __future__ import annotations

import os

from services.enrolment.handlers import FOLDED as ENROLMENT_FOLDED
from services.enrolment.handlers import HANDLERS as ENROLMENT
from services.followup.handlers import FOLDED as FOLLOWUP_FOLDED
from services.followup.handlers import HANDLERS as FOLLOWUP
from services.intake.handlers import handlers as intake_handlers
from services.intake.vault import KeyRing, Vault
from services.reporting.handlers import FOLDED as REPORTING_FOLDED
from services.reporting.handlers import HANDLERS as REPORTING
from shared.consumer import Consumer, Folded, Handlers
from shared.topics import TopicSpec, all_topics

HANDLERS: dict[str, Handlers] = {
    # intake's table binds a vault; only its keys are read here, so a vault of throwaway keys does
    "intake": intake_handlers(Vault(KeyRing("k1", {"k1": os.urandom(32)}), lookup_key=os.urandom(32))),
    "enrolment": ENROLMENT,
    "followup": FOLLOWUP,
    "reporting": REPORTING,
}
# The services whose consumers fold a poll of some contracts in memory (shared/row_fold.py)
FOLDED: dict[str, Folded] = {
    "enrolment": ENROLMENT_FOLDED,
    "followup": FOLLOWUP_FOLDED,
    "reporting": REPORTING_FOLDED,
}


def subscriptions() -> dict[str, tuple[str, ...]]:
    """Each service's topics: those that carry a contract it handles."""
    return {name: Consumer(name, handlers).topics for name, handlers in HANDLERS.items()}


def topics_to_provision() -> list[TopicSpec]:
    """Every topic of the system, with one dead-letter topic per subscription."""
    return all_topics(subscriptions())

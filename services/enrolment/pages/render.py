"""How an administrator page is answered: enrolment's templates and words through the shared renderer."""

from __future__ import annotations

from pathlib import Path

from services.enrolment.pages.domain import HOME, home_of
from services.enrolment.pages.words import AdminWords
from shared.pages.render import Renderer

TEMPLATES = Path(__file__).resolve().parents[1] / "templates"
render = Renderer(TEMPLATES, AdminWords, home_of=home_of, home=HOME)

"""How a caseworker page is answered: intake's templates and words through the shared renderer."""

from __future__ import annotations

from pathlib import Path

from services.intake.pages.domain import HOME, home_of
from services.intake.pages.texts import Say, timeline_line
from shared.pages.render import Renderer

TEMPLATES = Path(__file__).resolve().parents[1] / "templates"
render = Renderer(TEMPLATES, Say, home_of=home_of, home=HOME, line=timeline_line)

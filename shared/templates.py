"""Server-rendered pages: one way to load a service's Jinja templates, always autoescaped."""

from __future__ import annotations

import functools
from pathlib import Path

from jinja2 import Environment, FileSystemLoader, select_autoescape


@functools.cache
def templates_in(folder: Path) -> Environment:
    """The Jinja environment of the templates in folder (one per folder, built once)."""
    return Environment(loader=FileSystemLoader(folder), autoescape=select_autoescape())

"""The administrator pages' composition: enrolment's page routes, its renderer and how long a web session lives,
served in front of enrolment's API by the shared pages app (shared.pages.site)."""

from __future__ import annotations

from datetime import timedelta

from fastapi import FastAPI

from services.enrolment.pages import api
from services.enrolment.pages.domain import return_path
from services.enrolment.pages.render import render
from shared.pages.domain import Lifetime
from shared.pages.site import serve_pages as serve
from shared.pages.web import PageKit


def serve_pages(app: FastAPI, *, idle_minutes: int) -> None:
    """Put the administrator's pages in front of enrolment's API."""
    kit = PageKit(render=render, return_path=return_path, lifetime=Lifetime(idle=timedelta(minutes=idle_minutes)))
    serve(app, kit, (api.router,), paths=frozenset({"/admin/programmes"}), prefixes=("/admin/",))

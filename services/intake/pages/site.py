"""The caseworker pages' composition: intake's page routes, its renderer and how long a web session lives, served
in front of intake's API by the shared pages app (shared.pages.site)."""

from __future__ import annotations

from datetime import timedelta

from fastapi import FastAPI

from services.intake.pages import actions, api, provider, referral, team
from services.intake.pages.domain import return_path
from services.intake.pages.render import render
from shared.pages.domain import Lifetime
from shared.pages.site import serve_pages as serve
from shared.pages.web import PageKit

PAGE_PATHS = frozenset({"/cases", "/tasks", "/team", "/referrals/new", "/provider/courses"})
PAGE_PREFIXES = ("/cases/", "/team/", "/provider/")


def serve_pages(app: FastAPI, *, idle_minutes: int) -> None:
    """Put the caseworker, team lead and provider pages in front of intake's API."""
    kit = PageKit(render=render, return_path=return_path, lifetime=Lifetime(idle=timedelta(minutes=idle_minutes)))
    routers = (api.router, actions.router, team.router, provider.router, referral.router)
    serve(app, kit, routers, paths=PAGE_PATHS, prefixes=PAGE_PREFIXES)

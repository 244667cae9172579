"""A newcomer's first ten minutes, as the README tells them: `./deploy/up` starts, prints where each person looks and
loads the demo in the background; every printed link answers 200 with its token; Rummelig imidt's targets and
headline figures are numbers; the mail catcher holds a six-month reminder, an outcome-upon-leaving reminder and a
coordinator's digest; a second start keeps the data and loads nothing again. Screenshots of the operator's front page
and two dashboards go to test-artifacts/pages/.
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest
import pytest_asyncio
from playwright.async_api import Browser

from deploy.mailcatcher import read_messages
from tests.fixtures.browser import SCREENSHOTS
from tests.fixtures.kafka_tools import eventually
from tests.fixtures.launcher import Launcher, free_offset

pytestmark = pytest.mark.stack
LINK = re.compile(r"https?://127\.0\.0\.1:\d+/\S*")
TOKEN = re.compile(r"^\s*export (\w+)=(\S+)$", re.M)
HEADLINE = ("participants", "completed", "employed-upon-leaving", "self-supporting")


@pytest_asyncio.fixture(scope="module", loop_scope="session")
async def launched(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[tuple[Launcher, str]]:
    """The launcher started, its demo loaded; the output until then."""
    launcher = Launcher(tmp_path_factory.mktemp("first-ten-minutes"), free_offset(12_000, 97))
    launcher.start()
    try:
        await launcher.wait_for("Rummelig is running", timeout=300)
        yield launcher, await launcher.wait_for("[demo] loaded:", timeout=600)
    finally:
        await launcher.stop()


def _banner(output: str) -> str:
    return output.split("Rummelig is running", 1)[1].split("Tokens, for the pages", 1)[0]


async def test_every_printed_link_answers_with_its_token(launched: tuple[Launcher, str]) -> None:
    _, output = launched
    links = LINK.findall(_banner(output))
    assert len(links) >= 12, links  # four people's pages, the operator's front page and dashboards, mail, API docs
    assert any("/dashboard?programme_id=rummelig-imidt" in link for link in links)
    async with httpx.AsyncClient(timeout=120) as client:
        answers = {link: (await client.get(link)).status_code for link in dict.fromkeys(links)}
    assert set(answers.values()) == {200}, answers


async def test_imidts_targets_and_headline_figures_are_numbers(launched: tuple[Launcher, str]) -> None:
    _, output = launched
    tokens = dict(TOKEN.findall(output))
    reporting = re.search(r"operator\s+(http://127\.0\.0\.1:\d+)/", output)
    assert reporting is not None
    async with httpx.AsyncClient(headers={"Authorization": f"Bearer {tokens['OPERATOR_TOKEN']}"}, timeout=300) as api:
        answer = await api.get(f"{reporting.group(1)}/report/figures", params={"programme_id": "rummelig-imidt"})
    assert answer.status_code == 200, answer.text
    report = answer.json()
    values = {figure["id"]: figure["value"] for figure in report["figures"]}
    assert all(type(values[figure]) is int and values[figure] > 0 for figure in HEADLINE), values
    assert report["targets"] and all(type(t["value"]) is int and t["number"] for t in report["targets"])
    assert values["participants"] > 200  # a third of the seeds' 913, over their years and sub-projects


async def test_the_mail_catcher_holds_reminders_and_a_coordinators_digest(launched: tuple[Launcher, str]) -> None:
    launcher, _ = launched

    async def kinds() -> set[str] | None:
        found = set()
        for message in read_messages(launcher.state_dir / "mail"):
            subject, to = str(message["Subject"]), str(message["To"])
            if to.startswith("koordinator@"):
                found.add("digest")
            elif "seks måneder" in subject:
                found.add("six-month reminder")
            elif "situationen ved afslutning" in subject:
                found.add("leaving-outcome reminder")
        return found if len(found) == 3 else None

    assert await eventually(kinds, timeout=120, interval=2.0) == {
        "digest",
        "six-month reminder",
        "leaving-outcome reminder",
    }


async def test_the_front_page_and_two_dashboards_are_saved_as_screenshots(
    launched: tuple[Launcher, str], browser: Browser
) -> None:
    _, output = launched
    operator = re.search(r"operator\s+(\S+)", output)
    dashboards = dict(re.findall(r"dashboard of (\S+)\s+(\S+)", output))
    assert operator is not None and {"rummelig-imidt", "rummelig-plus"} <= set(dashboards)
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page = await browser.new_page(viewport={"width": 1280, "height": 900})
    try:
        for name, url in (
            ("first-ten-minutes-front-page", operator.group(1)),
            ("first-ten-minutes-imidt", dashboards["rummelig-imidt"]),
            ("first-ten-minutes-plus", dashboards["rummelig-plus"]),
        ):
            opened = await page.goto(url, timeout=300_000)
            assert opened is not None and opened.status == 200, name
            await page.screenshot(path=SCREENSHOTS / f"{name}.png", full_page=True)
            if name.endswith("imidt"):  # seven years: targets as numbers, the series by half-year
                targets = await page.locator('section[aria-labelledby="h-targets"] ul.bars li').all_inner_texts()
                assert targets and all(re.search(r"\d+ / \d+", shown) for shown in targets), targets
                assert await page.locator("#h-trends").inner_text() == "Halvår for halvår"
                assert await page.locator('figure[data-series="referrals"] rect').count() >= 10  # not 70 months
    finally:
        await page.close()


async def test_the_demos_register_extract_imports_as_printed(launched: tuple[Launcher, str]) -> None:
    launcher, output = launched
    tokens = dict(TOKEN.findall(output))
    printed = await launcher.wait_for("[demo] import it as the administrator:", timeout=120)
    command = re.search(r"curl -X POST (\S+/register-extracts) .* --data-binary @(\S+)", printed)
    assert command is not None, printed[-2000:]
    extract = Path(command.group(2))
    assert extract.parent == launcher.state_dir  # beside the state, which git ignores
    content = await asyncio.to_thread(extract.read_bytes)
    async with httpx.AsyncClient(timeout=300) as client:
        answer = await client.post(
            command.group(1),
            content=content,
            headers={"Authorization": f"Bearer {tokens['ADMIN']}", "Content-Type": "text/csv"},
        )
    assert answer.status_code == 200, answer.text
    imported = answer.json()
    assert imported["rows"] > imported["matched"] > 0 and imported["observed"] > 0, imported


async def test_a_second_start_keeps_the_data_and_loads_nothing_again(launched: tuple[Launcher, str]) -> None:
    launcher, output = launched
    tokens = dict(TOKEN.findall(output))
    intake = re.search(r"caseworker, Aarhus\s+(http://127\.0\.0\.1:\d+)/", output)
    assert intake is not None

    async def cases() -> int:
        async with httpx.AsyncClient(headers={"Authorization": f"Bearer {tokens['TEAM_LEAD']}"}, timeout=60) as api:
            answer = await api.get(f"{intake.group(1)}/participants", params={"page_size": 1})
        assert answer.status_code == 200, answer.text
        return int(answer.json()["total"])

    before = await cases()
    await launcher.stop()
    launcher.start()
    again = await launcher.wait_for("Rummelig is running", timeout=300)
    assert "already loaded by an earlier start" in again
    assert not any(line.startswith("[demo]") for line in launcher.lines)
    assert await cases() == before > 0

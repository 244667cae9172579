"""The operator's views in-process: JSON, CSV and XLSX exports, the dashboard page, and what they refuse (the browser
test of the dashboard is tests/e2e/test_dashboard.py)."""

from __future__ import annotations

import csv
import io
from collections.abc import AsyncIterator
from typing import Any

import httpx
import openpyxl
import pytest
import pytest_asyncio
from fastapi import FastAPI

from services.reporting.figures import FIGURES
from services.reporting.main import create_app as reporting_app
from services.reporting.settings import ReportingSettings
from shared.auth import issue_token
from shared.settings import AuthSettings
from tests.fixtures.clients import bearer_client
from tests.fixtures.cohort import Cohort
from tests.fixtures.database import Databases


# --- the operator's views: JSON, CSV, XLSX, and what they refuse --------------------------------------------------
@pytest_asyncio.fixture(scope="module", loop_scope="session")
async def reporting(databases: Databases) -> AsyncIterator[FastAPI]:
    app = reporting_app(ReportingSettings(database_url=databases.url("reporting"), min_cell=5))
    yield app
    await app.state.sessions.kw["bind"].dispose()


def _client(app: FastAPI, programmes: list[str]) -> httpx.AsyncClient:
    token = issue_token(AuthSettings(), subject="op", email="op@example.dk", roles=["operator"], programmes=programmes)
    return bearer_client(app, token)


async def _seven(cohort: Cohort) -> None:
    for municipality in ("751", "751", "751", "751", "751", "751", "727"):
        await cohort.participant(municipality=municipality)


# The exports read independently of the code that writes them: a row per figure total, per breakdown cell and per
# breakdown total, keyed (figure, breakdown in Danish, category), each with the figure's group.
BREAKDOWNS_DA = {
    "subproject_id": "delprojekt",
    "municipality": "kommune",
    "target_group": "målgruppe",
    "gender": "køn",
    "age_band": "aldersgruppe",
}
Key = tuple[str, str, str]


def _expected_from_json(report: dict[str, Any]) -> dict[Key, tuple[str, int | str]]:
    """Every number the JSON shows, with the figure's group, where an export must show it."""
    expected: dict[Key, tuple[str, int | str]] = {}
    for figure in report["figures"]:
        expected[(figure["id"], "i alt", "")] = (figure["group"], figure["value"])
        assert set(figure["breakdowns"]) == set(BREAKDOWNS_DA), figure["id"]
        for dimension, breakdown in figure["breakdowns"].items():
            for category, value in breakdown["cells"].items():
                expected[(figure["id"], BREAKDOWNS_DA[dimension], category)] = (figure["group"], value)
            expected[(figure["id"], BREAKDOWNS_DA[dimension], "i alt")] = (figure["group"], breakdown["total"])
    return expected


def _keyed(table: list[tuple[Any, ...]]) -> dict[Key, tuple[str, Any]]:
    """An export's rows by (figure, breakdown, category); no row twice."""
    keyed = {(str(r[0]), str(r[2]), "" if r[3] is None else str(r[3])): (str(r[1]), r[4]) for r in table}
    assert len(keyed) == len(table), "a row twice"
    return keyed


async def test_the_exports_hold_every_total_and_breakdown_cell_of_the_json_and_no_small_count(
    cohort: Cohort, reporting: FastAPI
) -> None:
    await _seven(cohort)
    async with _client(reporting, [cohort.programme]) as client:
        report = (await client.get("/report/figures", params={"programme_id": cohort.programme})).json()
        csv_answer = await client.get("/report/figures.csv", params={"programme_id": cohort.programme})
        xlsx_answer = await client.get("/report/figures.xlsx", params={"programme_id": cohort.programme})
    expected = _expected_from_json(report)
    participants = next(f for f in report["figures"] if f["id"] == "participants")
    assert participants["value"] == 7
    assert participants["breakdowns"]["municipality"]["cells"]["727"] == "<5"  # the report hides something

    assert csv_answer.headers["content-type"].startswith("text/csv")
    assert csv_answer.content.startswith(b"\xef\xbb\xbf")  # the byte-order mark Danish Excel needs
    read = list(csv.reader(io.StringIO(csv_answer.content.decode("utf-8-sig")), delimiter=";"))
    assert read[0] == ["figur", "gruppe", "opdeling", "kategori", "antal"]
    assert _keyed([tuple(r) for r in read[1:]]) == {k: (g, str(v)) for k, (g, v) in expected.items()}

    book = openpyxl.load_workbook(io.BytesIO(xlsx_answer.content))
    assert book.sheetnames == ["Tal", "Definitioner", "Aktualitet"]
    sheet_rows = list(book["Tal"].iter_rows(values_only=True))
    assert sheet_rows[0] == ("figur", "gruppe", "opdeling", "kategori", "antal")
    assert _keyed(sheet_rows[1:]) == expected  # numbers as numbers, hidden cells as their marks
    shown = [v for _, v in expected.values()]
    assert 7 in shown and "<5" in shown and "x" in shown
    for value in [str(r[4]) for r in sheet_rows[1:]] + [r[4] for r in read[1:]]:
        assert not (value.isdigit() and 0 < int(value) < 5), value
    definitions = {r[0]: r[2] for r in book["Definitioner"].iter_rows(min_row=2, values_only=True)}
    assert definitions["CR01"] == next(f.da for f in FIGURES if f.id == "CR01")


async def test_an_operator_sees_only_the_programmes_they_operate(cohort: Cohort, reporting: FastAPI) -> None:
    await cohort.participant()
    async with _client(reporting, ["another-programme"]) as client:
        for path in ("/report/figures", "/report/figures.csv", "/report/figures.xlsx"):
            answer = await client.get(path, params={"programme_id": cohort.programme})
            assert answer.status_code == 403, path


@pytest.mark.parametrize(
    "params",
    [
        {"half_year": "2026-05"},
        {"half_year": "26-08"},
        {"half_year": "0000-02"},  # would start in year -1
        {"from": "2026-03-01", "to": "2026-02-01"},
        {"period_by": "referral"},
        {"municipality": "7510"},
        {"subproject_id": "'; DROP TABLE participant_progress; --"},
        {"from": "not-a-date"},
        {"unknown": "1"},
    ],
)
async def test_a_wrong_query_is_refused_with_422_and_changes_nothing(
    cohort: Cohort, reporting: FastAPI, params: dict[str, str]
) -> None:
    async with _client(reporting, [cohort.programme]) as client:
        answer = await client.get("/report/figures", params={"programme_id": cohort.programme} | params)
    assert answer.status_code == 422, answer.text


async def test_a_malicious_programme_id_is_refused(reporting: FastAPI) -> None:
    async with _client(reporting, ["rummelig-plus"]) as client:
        for bad in ("x' OR '1'='1", "<script>", "a" * 51, ""):
            answer = await client.get("/report/figures", params={"programme_id": bad})
            assert answer.status_code == 422, bad
        assert (await client.get("/report/figures")).status_code == 422  # missing


async def test_the_half_year_selects_the_period(cohort: Cohort, reporting: FastAPI) -> None:
    await _seven(cohort)
    async with _client(reporting, [cohort.programme]) as client:
        winter = (
            await client.get("/report/figures", params={"programme_id": cohort.programme, "half_year": "2026-02"})
        ).json()
        summer = (
            await client.get("/report/figures", params={"programme_id": cohort.programme, "half_year": "2026-08"})
        ).json()
    assert winter["selection"]["from"] == "2025-09-01" and winter["selection"]["to"] == "2026-02-28"
    assert next(f["value"] for f in winter["figures"] if f["id"] == "participants") == 7  # started 12 January
    assert next(f["value"] for f in summer["figures"] if f["id"] == "participants") == 0


# --- the dashboard page, rendered in-process (the browser test is tests/e2e/test_dashboard.py) ------------------
async def test_the_dashboard_shows_the_same_hidden_cells_as_the_exports_in_danish_and_english(
    cohort: Cohort, reporting: FastAPI
) -> None:
    await _seven(cohort)
    async with _client(reporting, [cohort.programme]) as client:
        da = await client.get("/dashboard", params={"programme_id": cohort.programme})
        en = await client.get("/dashboard", params={"programme_id": cohort.programme, "lang": "en"})
        other = await client.get("/dashboard", params={"programme_id": cohort.programme, "lang": "fr"})
    assert da.status_code == 200 and en.status_code == 200, da.text
    assert '<html lang="da">' in da.text and '<html lang="en">' in en.text
    assert "Fra henvisning til job" in da.text and "From referral to employment" in en.text
    assert "&lt;5" in da.text and ">x<" in da.text  # 727's one participant, and 751's six hidden with it
    assert other.status_code == 422
    assert da.headers["cache-control"] == "no-store" and da.headers["referrer-policy"] == "no-referrer"
    assert "script-src" not in da.headers["content-security-policy"]  # default-src 'none': no script at all
    # back to the operator's front page, in the page's language (a token in the URL would be kept: none here)
    assert '<a href="/?lang=da" id="front-page">' in da.text and '<a href="/?lang=en" id="front-page">' in en.text


async def test_the_dashboard_is_for_the_programmes_operator_only(cohort: Cohort, reporting: FastAPI) -> None:
    async with _client(reporting, ["another-programme"]) as client:
        assert (await client.get("/dashboard", params={"programme_id": cohort.programme})).status_code == 403

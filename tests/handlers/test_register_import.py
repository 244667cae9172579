"""The register extract's import on a migrated PostgreSQL (no Kafka): participants referred through intake's route,
their six-month checks delivered through intake's consumer, a synthetic DREAM extract uploaded as an administrator."""

from __future__ import annotations

import asyncio
import csv
import hashlib
import io
import json
import os
import random
import signal
import subprocess
import sys
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path
from typing import Any
from uuid import UUID

import httpx
import pytest
import pytest_asyncio
from fastapi import FastAPI

from deploy.synthetic_register import Check, plan, write_extract
from services.intake.main import create_app as intake_app
from services.intake.register import imports
from services.intake.register.domain import COUNTS_AS, Week, find, read_header, read_row
from services.intake.register_import import operator
from services.intake.settings import IntakeSettings
from shared.auth import Role
from shared.contracts import (
    CheckClosed,
    CheckScheduled,
)
from shared.fund_rules import six_months_after
from shared.problems import PROBLEM_JSON
from shared.settings import AuthSettings
from tests.fixtures.database import Databases
from tests.fixtures.handlers import rows
from tests.fixtures.intake_programme import IntakeProgramme, client
from tests.fixtures.kafka_tools import eventually
from tests.fixtures.vaults import fresh_key

AUTH = AuthSettings()
TODAY = date.today()
OBSERVED = "six-month-result.register-observed"
DATA_KEY, LOOKUP_KEY = fresh_key(), fresh_key()  # the app's, and the command's in the kill test


@pytest_asyncio.fixture(scope="module", loop_scope="session")
async def intake(databases: Databases) -> AsyncIterator[FastAPI]:
    """Intake built by its composition root on the test database; no broker."""
    settings = IntakeSettings(
        database_url=databases.url("intake"), data_key=DATA_KEY, lookup_key=LOOKUP_KEY, command_wait_seconds=0
    )
    app = intake_app(settings)
    yield app
    await app.state.sessions.kw["bind"].dispose()


@dataclass
class Referred:
    """A participant of the cohort: id, CPR number, and the six-month date of their first exit (if they left)."""

    participant_id: UUID
    cpr: str
    due_on: date | None = None
    observable: bool = False


class Cohort(IntakeProgramme):
    """A programme of the test's own, its participants referred through the route and their checks delivered."""

    def __init__(self, app: FastAPI, seed: int) -> None:
        super().__init__(app, "rg", "Register tests")
        self.rng = random.Random(seed)
        self.people: list[Referred] = []

    async def add(self) -> Referred:
        """Refer a new citizen."""
        participant_id, citizen = await self.refer(self.rng, date(2025, 1, 6))
        referred = Referred(participant_id, citizen.cpr)
        self.people.append(referred)
        return referred

    async def schedule(self, person: Referred, left_on: date, *, superseded: bool = False) -> None:
        due = six_months_after(left_on)
        await self.deliver(
            CheckScheduled(
                participant_id=person.participant_id,
                check="six-month",
                exit_number=1,
                left_on=left_on,
                due_on=due,
                counts_until=due + timedelta(days=56),
            )
        )
        if superseded:
            await self.deliver(
                CheckClosed(
                    participant_id=person.participant_id,
                    check="six-month",
                    exit_number=1,
                    left_on=left_on,
                    reason="re-enrolled",
                )
            )
        person.due_on, person.observable = due, not superseded and due <= TODAY


async def cohort_of(app: FastAPI, seed: int, size: int = 12) -> Cohort:
    """`size` participants: most left 7 to 9 months ago (their check fell due), one left 2 months ago (not due yet),
    one whose check was superseded by a re-enrolment, one who never left."""
    cohort = Cohort(app, seed)
    await cohort.publish()
    for i in range(size):
        person = await cohort.add()
        if i == 0:
            continue  # never left: no check
        left = TODAY - timedelta(days=60 if i == 1 else cohort.rng.randrange(210, 270))
        await cohort.schedule(person, left, superseded=i == 2)
    return cohort


def extract_of(cohort: Cohort, path: Path, *, others: int = 25, agreement: float = 0.7) -> bytes:
    """A synthetic extract for the cohort up to last week, with `others` people referred nowhere."""
    people = [(p.cpr, [Check(p.due_on, None)] if p.observable and p.due_on else []) for p in cohort.people]
    planned = plan(people, agreement=agreement, rng=cohort.rng)
    last = Week.of(TODAY - timedelta(weeks=1))
    write_extract(path, planned, first=Week.of(TODAY - timedelta(weeks=45)), last=last, others=others, rng=cohort.rng)
    return path.read_bytes()


async def upload(app: FastAPI, content: bytes, role: Role = "administrator") -> httpx.Response:
    async with client(app, role) as user:
        return await user.post("/register-extracts", content=content, headers={"Content-Type": "text/csv"})


async def counts(app: FastAPI) -> dict[str, int]:
    """What an import can leave behind: imports, observations, outbox rows of findings, audit entries of matches."""
    [found] = await rows(
        app.state.sessions,
        "SELECT (SELECT count(*) FROM register_import) AS imports,"
        " (SELECT count(*) FROM register_observation) AS observations,"
        " (SELECT count(*) FROM outbox_message WHERE headers->>'ce_type' = :observed) AS findings,"
        " (SELECT count(*) FROM audit_entry WHERE action = 'register-match') AS matches",
        observed=OBSERVED,
    )
    return {k: int(v) for k, v in found.items()}


def expected_findings(content: bytes, cohort: Cohort) -> dict[UUID, str]:
    """The finding each observable participant's row shows, read from the file by the domain's own rules."""
    reader = csv.reader(io.StringIO(content.decode()))
    layout = read_header(next(reader))
    by_cpr = {p.cpr.replace("-", ""): p for p in cohort.people}
    found: dict[UUID, str] = {}
    for number, fields in enumerate(reader, 1):
        person = read_row(layout, fields, number, today=TODAY)
        referred = by_cpr.get(person.cpr)
        if referred is not None and referred.observable and referred.due_on is not None:
            found[referred.participant_id] = find(person, referred.due_on).finding
    return found


async def assert_each_row_applied_once(app: FastAPI, cohort: Cohort, before: dict[str, int]) -> None:
    """One import more, one finding and observation per observable check, one audit entry per participant."""
    after = await counts(app)
    observable = sum(1 for p in cohort.people if p.observable)
    expected = {"imports": 1, "observations": observable, "findings": observable, "matches": len(cohort.people)}
    assert {k: after[k] - before[k] for k in after} == expected


def command_env(databases: Databases) -> dict[str, str]:
    """The command's environment: the test database, and the keys of the module's intake."""
    return os.environ | {
        "INTAKE_DATABASE_URL": databases.url("intake"),
        "INTAKE_DATA_KEY": DATA_KEY,
        "INTAKE_LOOKUP_KEY": LOOKUP_KEY,
    }


async def test_an_extract_publishes_one_finding_per_due_check_and_audits_each_match(
    intake: FastAPI, tmp_path: Path
) -> None:
    cohort = await cohort_of(intake, seed=2301)
    content = extract_of(cohort, tmp_path / "extract.csv")
    before = await counts(intake)
    answer = await upload(intake, content)
    assert answer.status_code == 200, answer.text
    body = answer.json()
    observable = [p for p in cohort.people if p.observable]
    assert len(observable) == 9
    assert (body["rows"], body["matched"], body["observed"]) == (12 + 25, 12, 9)
    assert not body["resumed"] and not body["already_done"]
    after = await counts(intake)
    assert {k: after[k] - before[k] for k in after} == {"imports": 1, "observations": 9, "findings": 9, "matches": 12}

    published = await rows(
        intake.state.sessions,
        "SELECT key, payload FROM outbox_message WHERE headers->>'ce_type' = :observed AND key = ANY(:keys)",
        observed=OBSERVED,
        keys=[str(p.participant_id) for p in cohort.people],
    )
    expected = expected_findings(content, cohort)
    facts = {UUID(r["key"]): json.loads(r["payload"]) for r in published}
    assert {k: f["finding"] for k, f in facts.items()} == expected
    due = {p.participant_id: p.due_on for p in observable}
    for participant_id, fact in facts.items():
        assert fact["due_on"] == due[participant_id].isoformat()  # type: ignore[union-attr]
        assert fact["situation"] == COUNTS_AS[fact["finding"]]
        assert fact["exit_number"] == 1 and fact["from_register"] == "dream"
        assert date.fromisoformat(fact["weeks_from"]) <= date.fromisoformat(fact["due_on"])
        assert date.fromisoformat(fact["weeks_to"]) >= date.fromisoformat(fact["due_on"])
    audited = await rows(
        intake.state.sessions,
        "SELECT participant_id FROM audit_entry WHERE action = 'register-match' AND detail = :detail",
        detail=f"register extract {body['import_id']}",
    )
    assert sorted(r["participant_id"] for r in audited) == sorted(p.participant_id for p in cohort.people)


async def test_the_extracts_cpr_numbers_are_kept_nowhere_and_unknown_persons_leave_no_trace(
    intake: FastAPI, tmp_path: Path
) -> None:
    cohort = await cohort_of(intake, seed=2302, size=4)
    content = extract_of(cohort, tmp_path / "extract.csv", others=10)
    reader = csv.reader(io.StringIO(content.decode()))
    next(reader)
    numbers = [fields[0] for fields in reader]
    assert (await upload(intake, content)).status_code == 200
    vault = intake.state.vault
    forbidden = numbers + [f"{n[:6]}-{n[6:]}" for n in numbers]
    strangers = [n for n in numbers if n not in {p.cpr.replace("-", "") for p in cohort.people}]
    hashes = [vault.lookup_hash(n).hex() for n in strangers]
    assert len(strangers) == 10
    tables = await rows(
        intake.state.sessions, "SELECT quote_ident(tablename) AS name FROM pg_tables WHERE schemaname = 'public'"
    )
    scanned = 0
    for table in tables:
        for line in await rows(intake.state.sessions, f"SELECT t::text AS line FROM {table['name']} t"):
            scanned += 1
            assert not [v for v in forbidden if v in line["line"]], table["name"]
            assert not [h for h in hashes if h in line["line"]], table["name"]  # a stranger's hash: nowhere
    assert scanned > 0
    # the scan finds what is there: a participant's hash is in participant.cpr_hash (bytea, shown as hex)
    mine = vault.lookup_hash(cohort.people[0].cpr.replace("-", "")).hex()
    [held] = await rows(
        intake.state.sessions,
        "SELECT t::text AS line FROM participant t WHERE id = :id",
        id=cohort.people[0].participant_id,
    )
    assert mine in held["line"]


async def test_the_same_extract_again_is_answered_as_done_and_changes_nothing(intake: FastAPI, tmp_path: Path) -> None:
    cohort = await cohort_of(intake, seed=2303, size=5)
    content = extract_of(cohort, tmp_path / "extract.csv", others=3)
    first = await upload(intake, content)
    assert first.status_code == 200, first.text
    before = await counts(intake)
    again = await upload(intake, content)
    assert again.status_code == 200, again.text
    assert again.json()["already_done"] and again.json()["import_id"] == first.json()["import_id"]
    assert await counts(intake) == before


async def test_an_import_killed_halfway_resumes_and_applies_each_row_once(
    intake: FastAPI, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    cohort = await cohort_of(intake, seed=2304, size=12)
    content = extract_of(cohort, tmp_path / "extract.csv", others=20)
    monkeypatch.setattr(imports, "SLICE", 5)
    before = await counts(intake)

    class Killed(Exception):
        pass

    slices_done = 0

    def kill_after_three(done: int, rows_: int, matched: int, observed: int) -> None:
        nonlocal slices_done
        slices_done += 1
        if slices_done == 3:
            raise Killed

    with pytest.raises(Killed), io.BytesIO(content) as file:
        await imports.import_file(
            file,
            intake.state.sessions,
            intake.state.vault,
            principal=operator("tests"),
            max_bytes=1 << 20,
            today=TODAY,
            progress=kill_after_three,
        )
    [halfway] = await rows(
        intake.state.sessions, "SELECT rows, rows_done FROM register_import ORDER BY started_at DESC LIMIT 1"
    )
    assert halfway == {"rows": 32, "rows_done": 15}
    resumed = await upload(intake, content)
    assert resumed.status_code == 200, resumed.text
    assert resumed.json()["resumed"] and resumed.json()["rows"] == 32
    await assert_each_row_applied_once(intake, cohort, before)


@pytest.mark.parametrize(
    ("mutate", "code"),
    [
        (lambda c: b"\x00\x01garbage" + c, "urn:rummelig:problem:malformed-file"),
        (lambda c: b"garbage" + c, "urn:rummelig:problem:wrong-header"),
        (lambda c: c.replace(b"cpr,", b"pnr,", 1), "urn:rummelig:problem:wrong-header"),
        (lambda c: c.replace(b"y_", b"y_x", 1), "urn:rummelig:problem:wrong-header"),
        (lambda c: c + c.split(b"\n")[1] + b"\n", "urn:rummelig:problem:duplicate-row"),
        (
            lambda c: c + b"2902214123" + b"," * c.split(b"\n")[0].count(b",") + b"\n",
            "urn:rummelig:problem:invalid-cpr",
        ),
        (lambda c: c + b'"unterminated\n', "urn:rummelig:problem:malformed-file"),
        (lambda c: c.decode().encode("utf-16"), "urn:rummelig:problem:malformed-file"),
        (lambda c: c.split(b"\n")[0] + b"\n", "urn:rummelig:problem:malformed-file"),
    ],
)
async def test_a_faulty_extract_is_refused_with_its_reason_and_stores_nothing(
    intake: FastAPI, tmp_path: Path, mutate: Any, code: str
) -> None:
    cohort = await cohort_of(intake, seed=2305, size=3)
    content = mutate(extract_of(cohort, tmp_path / "extract.csv", others=3))
    before = await counts(intake)
    answer = await upload(intake, content)
    assert answer.status_code == 422, answer.text
    assert answer.headers["content-type"] == PROBLEM_JSON
    assert answer.json()["type"] == code
    assert "nothing was stored" in answer.json()["detail"]
    assert await counts(intake) == before


async def test_a_week_column_that_is_not_a_week_is_refused(intake: FastAPI) -> None:
    before = await counts(intake)
    answer = await upload(intake, b"cpr,y_2654,grad_2026_06\n0101901234,,\n")
    assert answer.status_code == 422 and "no ISO week 54" in answer.json()["detail"]
    assert await counts(intake) == before


async def test_a_file_over_the_limit_is_refused_unread(intake: FastAPI, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(intake.state, "register_max_bytes", 1024)
    before = await counts(intake)
    answer = await upload(intake, b"cpr,y_2620\n" + b"0101901234,111\n" * 100)
    assert answer.status_code == 413 and answer.headers["content-type"] == PROBLEM_JSON
    assert await counts(intake) == before


async def test_only_an_administrator_may_upload_and_only_csv(intake: FastAPI) -> None:
    content = b"cpr,y_2620\n0101901234,111\n"
    for role in ("caseworker", "team-lead", "operator"):
        assert (await upload(intake, content, role=role)).status_code == 403
    async with client(intake, "administrator") as admin:
        wrong = await admin.post(
            "/register-extracts", content=b'{"cpr": 1}', headers={"Content-Type": "application/json"}
        )
        assert wrong.status_code == 415
        nobody = await httpx.AsyncClient(transport=httpx.ASGITransport(app=intake), base_url="http://test").post(
            "/register-extracts", content=content, headers={"Content-Type": "text/csv"}
        )
        assert nobody.status_code == 401


async def test_the_command_killed_halfway_resumes_and_applies_each_row_once(
    intake: FastAPI, databases: Databases, tmp_path: Path
) -> None:
    cohort = await cohort_of(intake, seed=2306, size=12)
    path = tmp_path / "extract.csv"
    extract_of(cohort, path, others=40_000)
    env = command_env(databases)
    command = [sys.executable, "-m", "services.intake.register_import", str(path), "--actor", "kill-test"]
    digest = hashlib.sha256(path.read_bytes()).hexdigest()
    before = await counts(intake)

    async def progress() -> tuple[int, int] | None:
        found = await import_row()
        return found if found is not None and found[1] > 0 else None

    async def import_row() -> tuple[int, int] | None:
        found = await rows(
            intake.state.sessions, "SELECT rows, rows_done FROM register_import WHERE digest = :d", d=digest
        )
        return (found[0]["rows"], found[0]["rows_done"]) if found else None

    first = await asyncio.create_subprocess_exec(
        *command, env=env, stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.DEVNULL
    )
    try:
        await eventually(progress, timeout=120, interval=0.02)  # a slice committed: the marker to kill on
        first.send_signal(signal.SIGKILL)
    finally:
        await first.wait()
    assert first.returncode == -signal.SIGKILL
    assert (halfway := await import_row()) is not None
    lines = len(path.read_text().splitlines()) - 1  # the header's
    assert 0 < halfway[1] < halfway[0] == lines
    again = await run(command, env)
    assert again.returncode == 0, again.stderr
    assert f"imported (resumed) {lines:,} rows" in again.stdout
    assert "100%" in again.stderr  # the progress, a line per step off a terminal
    await assert_each_row_applied_once(intake, cohort, before)
    after = await counts(intake)
    third = await run(command, env)
    assert third.returncode == 0 and "imported before" in third.stdout
    assert await counts(intake) == after


async def run(command: list[str], env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    """Run the command to its end without blocking the loop; its output as text."""
    process = await asyncio.create_subprocess_exec(
        *command, env=env, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE
    )
    out, err = await asyncio.wait_for(process.communicate(), timeout=300)
    assert process.returncode is not None
    return subprocess.CompletedProcess(command, process.returncode, out.decode(), err.decode())


def test_the_command_refuses_a_faulty_file_with_status_1(databases: Databases, tmp_path: Path) -> None:
    path = tmp_path / "extract.csv"
    path.write_text("cpr,y_2620\n0101901234,111\n0101901234,111\n")
    env = command_env(databases)
    done = subprocess.run(
        [sys.executable, "-m", "services.intake.register_import", str(path)],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 1
    assert "refused (duplicate-row): row 2" in done.stderr and "nothing was stored" in done.stderr
    assert "0101901234" not in done.stderr + done.stdout

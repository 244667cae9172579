"""The launcher supervises its parts: a part killed with kill -9 is reaped and restarted by itself, with a line saying
so, `deploy/up status` counts the restarts, and a stop in the middle of a restart stops everything at once.

The first tests drive the supervisor with fake parts (fast); the last runs `python -m deploy.up` itself.
"""

from __future__ import annotations

import asyncio
import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import asyncpg
import httpx
import psutil
import pytest

from deploy import status
from deploy.child import Halted, exited_unreaped
from deploy.postgres import _live_postmaster
from deploy.stack import ROOT, SERVICES, StackConfig
from deploy.supervisor import STATE_FILE, Backoff, Part, Supervisor
from tests.fixtures.kafka_tools import eventually
from tests.fixtures.launcher import Launcher, free_offset

FAST = Backoff(first=0.01, factor=2, most=0.04, settled_after=3600)


@dataclass
class FakeProcess:
    """A part whose process can be killed, and whose next starts can fail or hang."""

    name: str = "followup"
    pid: int | None = 100
    code: int | None = None  # the exit status not yet noticed
    failing_starts: int = 0
    hang: asyncio.Event | None = None
    starts: int = 0

    def kill(self, code: int = -signal.SIGKILL) -> None:
        self.pid, self.code = None, code

    def exited(self) -> int | None:
        code, self.code = self.code, None
        return code

    async def start(self) -> None:
        self.starts += 1
        if self.hang is not None:
            await self.hang.wait()
        if self.failing_starts:
            self.failing_starts -= 1
            raise RuntimeError(f"{self.name} exited with 1:\nTraceback ...")
        self.pid = 100 + self.starts

    def part(self) -> Part:
        return Part(self.name, lambda: self.pid, self.exited, self.start, lambda n: "last words\nthe very last")


@dataclass
class Watched:
    """A supervisor over fake parts, its lines and its state file."""

    supervisor: Supervisor
    parts: dict[str, FakeProcess]
    lines: list[str] = field(default_factory=list)

    def state(self) -> dict[str, dict[str, object]]:
        assert self.supervisor.state_file is not None
        return json.loads(self.supervisor.state_file.read_text())["parts"]  # type: ignore[no-any-return]


def _watch(tmp_path: Path, *fakes: FakeProcess, backoff: Backoff = FAST) -> Watched:
    lines: list[str] = []
    supervisor = Supervisor(
        [fake.part() for fake in fakes],
        log=lines.append,
        state_file=tmp_path / STATE_FILE,
        backoff=backoff,
        interval=0.01,
    )
    supervisor.start()
    return Watched(supervisor, {fake.name: fake for fake in fakes}, lines)


def test_the_wait_before_a_restart_doubles_up_to_its_ceiling() -> None:
    assert [Backoff().delay(attempt) for attempt in range(1, 8)] == [1, 2, 4, 8, 16, 30, 30]


async def test_a_killed_part_is_restarted_with_a_line_and_counted_in_the_state_file(tmp_path: Path) -> None:
    followup, kafka = FakeProcess(), FakeProcess("kafka", pid=7)
    watched = _watch(tmp_path, followup, kafka)
    try:
        followup.kill()
        await eventually(lambda: _async(watched.state()["followup"]["state"] == "running" and followup.pid == 101))
    finally:
        watched.supervisor.stop()
    exited, back = watched.lines
    assert exited.startswith("followup exited (killed by SIGKILL) after ")
    assert "restart 1 in 0.01 s" in exited and exited.endswith("    | last words\n    | the very last")
    assert back.startswith("followup is back: pid 101, restart 1, ready in ")
    state = watched.state()
    assert {key: state["followup"][key] for key in ("state", "pid", "restarts", "last_exit", "next_try")} == {
        "state": "running",
        "pid": 101,
        "restarts": 1,
        "last_exit": "killed by SIGKILL",
        "next_try": None,
    }
    assert state["kafka"]["restarts"] == 0 and kafka.starts == 0  # the others are left alone
    rows = status.render(json.loads((tmp_path / STATE_FILE).read_text())).splitlines()[2:]
    # status checks each pid: these fake ones answer no signal, so it does not believe the file.
    assert rows[0].split() == ["followup", "gone", "101", "-", "1", "killed", "by", "SIGKILL"]


async def test_a_part_that_keeps_failing_waits_longer_each_time(tmp_path: Path) -> None:
    followup = FakeProcess(failing_starts=4)
    watched = _watch(tmp_path, followup)
    try:
        followup.kill(1)
        await eventually(lambda: _async(followup.pid == 105))
    finally:
        watched.supervisor.stop()
    waits = [line.split("; restart ", 1)[1].split(" s.", 1)[0] for line in watched.lines[:-1]]
    assert waits == ["1 in 0.01", "2 in 0.02", "3 in 0.04", "4 in 0.04", "5 in 0.04"]
    assert watched.lines[0].startswith("followup exited (exit code 1) after")
    assert watched.lines[1].startswith("followup did not come back (followup exited with 1:) after")
    assert watched.state()["followup"]["restarts"] == 5


async def test_a_part_that_stayed_up_a_while_starts_from_the_first_wait_again(tmp_path: Path) -> None:
    followup = FakeProcess(failing_starts=2)
    watched = _watch(tmp_path, followup, backoff=Backoff(first=0.01, factor=2, most=1, settled_after=0))
    try:
        followup.kill()
        await eventually(lambda: _async(followup.pid == 103))
        followup.kill()
        await eventually(lambda: _async(followup.pid == 104))
    finally:
        watched.supervisor.stop()
    waits = [line.split(" s. The end", 1)[0].rsplit(" ", 1)[1] for line in watched.lines if "The end" in line]
    assert waits == ["0.01", "0.02", "0.04", "0.01"]


async def test_a_stop_wins_over_a_restart_waiting_for_its_turn(tmp_path: Path) -> None:
    followup = FakeProcess()
    watched = _watch(tmp_path, followup, backoff=Backoff(first=3600))
    followup.kill()
    await eventually(lambda: _async(watched.state()["followup"]["state"] == "restarting"))
    watched.supervisor.stop()
    await asyncio.wait_for(watched.supervisor.wait_stopped(), timeout=2)
    assert followup.starts == 0
    assert watched.state()["followup"]["state"] == "stopped"


async def test_a_stop_wins_over_a_start_under_way_and_nothing_is_started_after_it(tmp_path: Path) -> None:
    followup = FakeProcess(hang=asyncio.Event())
    watched = _watch(tmp_path, followup)
    followup.kill()
    await eventually(lambda: _async(followup.starts == 1))
    watched.supervisor.stop()
    await asyncio.wait_for(watched.supervisor.wait_stopped(), timeout=2)
    assert followup.pid is None and followup.starts == 1  # and nothing is left that could start it
    watched.supervisor.close()
    assert not (tmp_path / STATE_FILE).exists()


async def test_a_start_called_off_by_the_stack_is_not_a_failure(tmp_path: Path) -> None:
    followup = FakeProcess()

    async def halted() -> None:
        raise Halted("stopping")

    lines: list[str] = []
    part = Part("followup", lambda: followup.pid, followup.exited, halted, lambda n: "")
    supervisor = Supervisor([part], log=lines.append, state_file=tmp_path / STATE_FILE, backoff=FAST, interval=0.01)
    supervisor.start()
    followup.kill()
    await eventually(lambda: _async(len(lines) == 1 and supervisor._tasks["followup"].done()))
    supervisor.stop()
    assert len(lines) == 1  # no retry, no "did not come back"
    assert json.loads((tmp_path / STATE_FILE).read_text())["parts"]["followup"]["state"] == "stopped"


def test_the_locks_of_a_postgres_that_is_gone_are_removed_with_its_socket_lock(tmp_path: Path) -> None:
    zombie = subprocess.Popen(["true"])  # exited, not yet reaped: it answers signals as a killed postmaster would
    os.waitid(os.P_PID, zombie.pid, os.WEXITED | os.WNOWAIT)
    assert exited_unreaped(zombie) and psutil.Process(zombie.pid).status() == psutil.STATUS_ZOMBIE
    try:
        # A zombie, a pid now some other program's (this test's own) and a pid nobody has: none is our postgres.
        for pid in (zombie.pid, os.getpid(), 2**22 + 1):
            (tmp_path / "sock").mkdir(exist_ok=True)
            (tmp_path / "postmaster.pid").write_text(f"{pid}\n{tmp_path}\n")
            (tmp_path / "sock" / ".s.PGSQL.5433.lock").write_text(f"{pid}\n")
            (tmp_path / "sock" / ".s.PGSQL.5433").write_text("")
            (tmp_path / "sock" / ".s.PGSQL.5434.lock").write_text("1\n")  # another server's
            assert _live_postmaster(tmp_path) is None
            assert [p.name for p in (tmp_path / "sock").iterdir()] == [".s.PGSQL.5434.lock"]
            assert not (tmp_path / "postmaster.pid").exists()
    finally:
        zombie.wait()


def test_status_says_when_no_launcher_runs(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert status.main(["--state-dir", str(tmp_path)]) == 1
    assert "No launcher runs from" in capsys.readouterr().err
    gone = {"supervisor": {"pid": 2**22 + 1, "created": 0, "state": "running", "updated": 0}, "parts": {}}
    (tmp_path / STATE_FILE).write_text(json.dumps(gone))  # what a launcher killed with kill -9 leaves behind
    assert status.main(["--state-dir", str(tmp_path)]) == 1


# --- the launcher itself ---------------------------------------------------------------------------------------------


class SupervisedLauncher(Launcher):
    """`python -m deploy.up --no-demo`, with what its supervisor writes down and what `status` says of it."""

    def state(self) -> dict[str, dict[str, object]]:
        return json.loads((self.state_dir / STATE_FILE).read_text())["parts"]  # type: ignore[no-any-return]

    def status(self) -> subprocess.CompletedProcess[str]:
        """`./deploy/up status` for this state folder (the script, as a user runs it)."""
        return subprocess.run(
            [str(ROOT / "deploy" / "up"), "status", "--state-dir", str(self.state_dir)],
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )


async def _async(value: bool) -> bool:
    return value


async def _healthy(launcher: SupervisedLauncher, name: str, timeout: float = 120) -> None:
    async def answers() -> bool:
        try:
            async with httpx.AsyncClient(timeout=2) as client:
                return (await client.get(launcher.url(name) + "/health")).status_code == 200
        except httpx.HTTPError:
            return False

    await eventually(answers, timeout=timeout, interval=0.2)


async def _back(launcher: SupervisedLauncher, name: str, pid: int, timeout: float = 120) -> tuple[str, str]:
    """kill -9 one part; its lines once the supervisor has it running again under another pid."""
    os.kill(pid, signal.SIGKILL)
    exited = await launcher.said(f"{name} exited (killed by SIGKILL)", timeout=10)
    back = await launcher.said(f"{name} is back: pid ", timeout=timeout)
    await eventually(lambda: _async(launcher.state()[name]["state"] == "running"), timeout=10)
    assert launcher.state()[name]["pid"] not in (None, pid)
    return exited, back


@pytest.fixture
def launcher(tmp_path: Path) -> Iterator[SupervisedLauncher]:
    running = SupervisedLauncher(
        tmp_path / "state", free_offset(20_011, 89), command=(sys.executable, "-m", "deploy.up", "--no-demo")
    )
    running.start()
    try:
        yield running
    finally:
        if running.process is not None and running.process.poll() is None:
            running.process.kill()
            running.process.wait()


@pytest.mark.stack
@pytest.mark.timeout(600)
async def test_the_launcher_brings_back_a_killed_service_and_postgresql_and_a_stop_wins_over_a_restart(
    launcher: SupervisedLauncher,
) -> None:
    await launcher.said("Rummelig is running", timeout=240)
    started = launcher.state()
    assert {name: part["state"] for name, part in started.items()} == dict.fromkeys(
        ["kafka", "postgres", "mailcatcher", *SERVICES], "running"
    )

    # A service killed with kill -9 comes back by itself and answers again.
    followup_exit, followup_back = await _back(launcher, "followup", int(str(started["followup"]["pid"])))
    await _healthy(launcher, "followup")

    # PostgreSQL killed with kill -9: the zombie is reaped, its stale lock files do not stop the new server, and the
    # services answer again (their /health asks the database).
    data_dir = launcher.state_dir / "postgres"
    postmaster = int(str(started["postgres"]["pid"]))
    postgres_exit, postgres_back = await _back(launcher, "postgres", postmaster)
    assert not psutil.pid_exists(postmaster) or psutil.Process(postmaster).status() != psutil.STATUS_ZOMBIE
    assert int((data_dir / "postmaster.pid").read_text().split()[0]) == launcher.state()["postgres"]["pid"]
    port = StackConfig(state_dir=data_dir).postgres_port + launcher.port_offset
    connection = await asyncpg.connect(f"postgresql://postgres@127.0.0.1:{port}/intake")
    try:
        assert await connection.fetchval("SELECT count(*) FROM catalogue_subproject") > 0  # the data survived
    finally:
        await connection.close()
    assert _live_postmaster(data_dir) == launcher.state()["postgres"]["pid"]  # a live server's lock is left alone
    await asyncio.gather(*(_healthy(launcher, name) for name in SERVICES))

    # Kafka killed with kill -9 comes back too (recovering its log is Kafka's own job); the services reconnect.
    kafka_exit, kafka_back = await _back(launcher, "kafka", int(str(started["kafka"]["pid"])))
    await asyncio.gather(*(_healthy(launcher, name) for name in SERVICES))

    # `deploy/up status` shows every part running and the restarts.
    shown = launcher.status()
    assert shown.returncode == 0, shown.stderr
    rows = {line.split()[0]: line.split() for line in shown.stdout.splitlines()[2:]}
    assert rows["followup"][1:2] + rows["followup"][4:] == ["running", "1", "killed", "by", "SIGKILL"]
    assert rows["postgres"][1:2] + rows["postgres"][4:] == ["running", "1", "killed", "by", "SIGKILL"]
    assert rows["kafka"][1:2] + rows["kafka"][4:] == ["running", "1", "killed", "by", "SIGKILL"]
    assert rows["reporting"][1:2] + rows["reporting"][4:] == ["running", "0", "-"]
    print("\n".join([followup_exit, followup_back, postgres_exit, postgres_back, kafka_exit, kafka_back, shown.stdout]))

    # A stop while a part waits for its restart wins: the launcher ends at once and leaves nothing running.
    process = launcher.process
    assert process is not None
    pids = [int(str(part["pid"])) for part in launcher.state().values()]
    os.kill(int(str(launcher.state()["intake"]["pid"])), signal.SIGKILL)
    await launcher.said("intake exited (killed by SIGKILL)", timeout=10)
    began = time.monotonic()
    process.send_signal(signal.SIGTERM)
    assert await asyncio.to_thread(process.wait, 60) == 0
    assert time.monotonic() - began < 30
    assert "intake is back" not in "\n".join(launcher.lines)
    assert [pid for pid in pids if psutil.pid_exists(pid) and psutil.Process(pid).status() != "zombie"] == []
    assert launcher.status().returncode == 1  # no launcher runs, and it says so

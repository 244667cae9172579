"""The whole local stack as one object: Kafka, PostgreSQL, the mail catcher, topics, migrations, the four services.

The launcher (deploy/up.py) and the tests both use it; the tests run it on other ports in a temporary folder. With
`supervise` its supervisor (deploy/supervisor.py) restarts a part that exits; the launcher turns it on, the tests
only when a test asks, since they kill and restart parts themselves.
"""

from __future__ import annotations

import asyncio
import base64
import json
import os
import secrets
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import Any

import asyncpg
import httpx

from deploy.child import ChildServer, Halted, exited_unreaped, reap_group
from deploy.kafka import KafkaBroker, ensure_jars
from deploy.leftovers import forget, remember, stop_leftovers
from deploy.ports import ensure_port_free, free_port, port_open
from deploy.postgres import PostgresServer
from deploy.provision import SERVICES as SERVICES
from deploy.provision import provision
from deploy.supervisor import STATE_FILE, Part, Supervisor, process_part, server_part
from services.enrolment.seed import PROGRAMMES, SUBPROJECTS
from shared.auth import Role, issue_token
from shared.settings import AuthSettings

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_STATE = ROOT / ".state"  # where the launcher keeps data, mail and logs unless told otherwise


@dataclass
class StackConfig:
    """Ports, the state folder and the few knobs the tests turn."""

    state_dir: Path
    kafka_port: int = 9092
    kafka_controller_port: int = 9093
    postgres_port: int = 5433
    smtp_port: int = 1025
    mail_http_port: int = 8025
    service_ports: dict[str, int] = field(
        default_factory=lambda: {"intake": 8001, "enrolment": 8002, "followup": 8003, "reporting": 8004}
    )
    reminder_poll_seconds: float = 30.0
    escalation_grace_hours: float = 48.0  # after a late reminder, before the coordinator hears (the demo: 0)
    command_wait_seconds: float = 5.0
    outbox_poll_seconds: float = 2.0
    min_cell: int = 5
    audit_seconds: float = 5.0  # how long reporting's suppression audit may take before it answers coarsely
    environment: str = "development"
    supervise: bool = False  # restart a part that exits (the launcher: on; the tests: off unless a test asks)

    @classmethod
    def on_free_ports(cls, state_dir: Path, **settings: Any) -> StackConfig:
        """A configuration whose every port is one the system just reported free (tests, side-by-side runs)."""
        return cls(
            state_dir=state_dir,
            kafka_port=free_port(),
            kafka_controller_port=free_port(),
            postgres_port=free_port(),
            smtp_port=free_port(),
            mail_http_port=free_port(),
            service_ports={name: free_port() for name in SERVICES},
            **settings,
        )


def _secrets(state_dir: Path) -> dict[str, str]:
    # Generated once per state folder and kept: encrypted personal data must stay readable after a restart.
    path = state_dir / "secrets.json"
    if path.exists():
        return json.loads(path.read_text())  # type: ignore[no-any-return]
    values = {
        "jwt_secret": secrets.token_urlsafe(48),
        "data_key": base64.b64encode(secrets.token_bytes(32)).decode(),
        "lookup_key": base64.b64encode(secrets.token_bytes(32)).decode(),
    }
    path.write_text(json.dumps(values))
    path.chmod(0o600)
    return values


class Stack:
    """Starts and stops every part, in order, each waited for until healthy; once it stops, nothing starts."""

    def __init__(self, config: StackConfig, *, log: Callable[[str], None] = print) -> None:
        self.config = config
        self.log = log
        config.state_dir.mkdir(parents=True, exist_ok=True)
        (config.state_dir / "logs").mkdir(exist_ok=True)
        self.secrets = _secrets(config.state_dir)
        self.auth = AuthSettings(jwt_secret=self.secrets["jwt_secret"])
        self.kafka = KafkaBroker(
            config.state_dir / "kafka", port=config.kafka_port, controller_port=config.kafka_controller_port
        )
        self.postgres = PostgresServer(
            config.state_dir / "postgres",
            port=config.postgres_port,
            log_path=config.state_dir / "logs" / "postgres.log",
        )
        self.mail_dir = config.state_dir / "mail"
        self._mailcatcher: subprocess.Popen[bytes] | None = None
        self.services: dict[str, subprocess.Popen[bytes]] = {}
        # Set by stop: a start under way (in a thread, or the supervisor's) gives up instead of racing the stop.
        self.halt = threading.Event()
        self.kafka.halt = self.postgres.halt = self.halt
        self._spawning = threading.RLock()  # a process is spawned and recorded, or stop has begun: never between
        self.supervisor = Supervisor(self.parts(), log=self.log, state_file=config.state_dir / STATE_FILE)

    # --- parts ---------------------------------------------------------------------------------------------------
    def check_ports(self) -> None:
        """Fail early and clearly if a port is taken."""
        c = self.config
        wanted = {
            "Kafka": c.kafka_port,
            "Kafka controller": c.kafka_controller_port,
            "PostgreSQL": c.postgres_port,
            "SMTP": c.smtp_port,
            "mail viewer": c.mail_http_port,
            **{f"{name} service": port for name, port in c.service_ports.items()},
        }
        for component, port in wanted.items():
            ensure_port_free(port, component, "deploy/up --port-offset N (or free the port)")

    async def start(self) -> None:
        """Everything, in dependency order; then, with `supervise`, the supervisor watches them."""
        self.halt.clear()
        if self.config.supervise:
            self.supervisor.announce()
        stop_leftovers(self.config.state_dir, self.log)
        self.check_ports()
        t0 = time.monotonic()
        await asyncio.to_thread(ensure_jars, self.log)
        self.log("starting Kafka (KRaft) and PostgreSQL ...")
        await asyncio.gather(asyncio.to_thread(self.kafka.start), asyncio.to_thread(self.postgres.start))
        remember(self.config.state_dir, "kafka", self.kafka.pid)
        remember(self.config.state_dir, "postgres", self.postgres.pid)
        self.start_mailcatcher()
        await self.wait_mailcatcher()
        await provision(self.postgres.url("").rstrip("/"), self.kafka.bootstrap_servers, log=self.log)
        for name in SERVICES:
            self.start_service(name)
        await asyncio.gather(*(self.wait_healthy(name) for name in SERVICES))
        await self.wait_for_catalogue()
        self.log(f"stack ready in {time.monotonic() - t0:.1f} s")
        if self.config.supervise:
            self.supervisor.start()

    async def wait_for_catalogue(self, timeout: float = 60) -> None:
        """Wait until intake's read model holds the seed catalogue's sub-projects: referrals are checked against it."""
        expected = set(SUBPROJECTS)
        deadline = time.monotonic() + timeout
        connection = await asyncpg.connect(self.postgres.dsn("intake"))
        try:
            while time.monotonic() < deadline:
                rows = await connection.fetch("SELECT id FROM catalogue_subproject WHERE id = ANY($1)", list(expected))
                if {row["id"] for row in rows} == expected:
                    return
                await asyncio.sleep(0.2)
        finally:
            await connection.close()
        raise RuntimeError(f"intake has not read the seed catalogue after {timeout} s:\n{self.log_tail('intake')}")

    def start_mailcatcher(self) -> None:
        """The SMTP server that catches mail into .eml files, with a page to read them (wait_mailcatcher: ready)."""
        c = self.config
        argv = [sys.executable, "-m", "deploy.mailcatcher", "--dir", str(self.mail_dir)]
        argv += ["--smtp-port", str(c.smtp_port), "--http-port", str(c.mail_http_port)]
        with self._spawning:
            self._mailcatcher = self._spawn("mailcatcher", argv, os.environ.copy())

    async def wait_mailcatcher(self, timeout: float = 20) -> None:
        """Wait until the mail catcher accepts SMTP and HTTP connections, or fail with the end of its log."""
        deadline = time.monotonic() + timeout
        ports = (self.config.smtp_port, self.config.mail_http_port)
        while not all(await asyncio.gather(*(asyncio.to_thread(port_open, "127.0.0.1", p) for p in ports))):
            proc = self._mailcatcher
            if proc is None or proc.poll() is not None:
                raise RuntimeError(f"the mail catcher exited:\n{self.log_tail('mailcatcher')}")
            if time.monotonic() > deadline:
                raise RuntimeError(
                    f"the mail catcher is not listening after {timeout} s:\n{self.log_tail('mailcatcher')}"
                )
            await asyncio.sleep(0.1)

    def service_env(self, name: str) -> dict[str, str]:
        """The environment one service runs with (its settings, validated by the service at start)."""
        c = self.config
        prefix = name.upper() + "_"
        env = {
            k: v
            for k, v in os.environ.items()
            if not k.startswith(("INTAKE_", "ENROLMENT_", "FOLLOWUP_", "REPORTING_"))
        }
        values = {
            "ENVIRONMENT": c.environment,
            "DATABASE_URL": self.postgres.url(name),
            "KAFKA__BOOTSTRAP_SERVERS": self.kafka.bootstrap_servers,
            "AUTH__JWT_SECRET": self.secrets["jwt_secret"],
            "HTTP_PORT": str(c.service_ports[name]),
            "OUTBOX_POLL_SECONDS": str(c.outbox_poll_seconds),
            "LOG_JSON": "true",
        }
        if name == "intake":
            values |= {
                "DATA_KEY": self.secrets["data_key"],
                "LOOKUP_KEY": self.secrets["lookup_key"],
                "COMMAND_WAIT_SECONDS": str(c.command_wait_seconds),
            }
        if name == "followup":
            values |= {
                "SMTP_PORT": str(c.smtp_port),
                "INTAKE_PUBLIC_URL": self.url("intake"),
                "REMINDER_POLL_SECONDS": str(c.reminder_poll_seconds),
                "ESCALATION_GRACE_HOURS": str(c.escalation_grace_hours),
            }
        if name == "reporting":
            values |= {"MIN_CELL": str(c.min_cell), "AUDIT_SECONDS": str(c.audit_seconds)}
        env.update({prefix + k: v for k, v in values.items()})
        env["PYTHONPATH"] = str(ROOT)
        return env

    def start_service(self, name: str) -> None:
        """Start one service process."""
        with self._spawning:
            self.services[name] = self._spawn(name, [sys.executable, "-m", f"services.{name}"], self.service_env(name))

    def start_replica(self, name: str, port: int, settings: dict[str, str] | None = None) -> str:
        """Another process of a service on another port: same database, same consumer group. Returns its key.

        `settings` overrides some of its settings, by name without the service's prefix (e.g. SMTP_PORT).
        """
        key = f"{name}-replica-{port}"
        self.config.service_ports[key] = port
        overrides = {f"{name.upper()}_{k}": v for k, v in (settings or {}).items()}
        env = self.service_env(name) | {f"{name.upper()}_HTTP_PORT": str(port)} | overrides
        with self._spawning:
            self.services[key] = self._spawn(key, [sys.executable, "-m", f"services.{name}"], env)
        return key

    async def wait_healthy(self, name: str, timeout: float = 60) -> None:
        """Wait until the service's /health answers 200, or fail with the end of its log."""
        deadline = time.monotonic() + timeout
        async with httpx.AsyncClient(timeout=2) as client:
            while time.monotonic() < deadline:
                proc = self.services[name]
                if proc.poll() is not None:
                    raise RuntimeError(f"{name} exited with {proc.returncode}:\n{self.log_tail(name)}")
                try:
                    if (await client.get(self.url(name) + "/health")).status_code == 200:
                        return
                except httpx.HTTPError:
                    pass
                await asyncio.sleep(0.2)
        raise RuntimeError(f"{name} not healthy after {timeout} s:\n{self.log_tail(name)}")

    def stop_service(self, name: str, *, kill: bool = False) -> None:
        """Stop one service: SIGTERM and wait, or SIGKILL (a crash)."""
        proc = self.services.pop(name, None)
        forget(self.config.state_dir, name)
        if proc is None or proc.poll() is not None:
            return
        proc.send_signal(signal.SIGKILL if kill else signal.SIGTERM)
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()

    def stop(self) -> None:
        """Everything, in reverse order, the supervisor first; a start under way gives up. Safe to call twice."""
        with self._spawning:
            self.halt.set()
        self.supervisor.stop()
        for name in list(self.services):
            self.stop_service(name)
        mailcatcher = self._mailcatcher
        if mailcatcher is not None and not exited_unreaped(mailcatcher):
            mailcatcher.terminate()
            try:
                mailcatcher.wait(timeout=10)
            except subprocess.TimeoutExpired:
                mailcatcher.kill()
        if mailcatcher is not None:
            reap_group(mailcatcher)  # waited for already, or it died unnoticed: then with its group
        self.kafka.stop()
        self.postgres.stop()
        stop_leftovers(self.config.state_dir, self.log)  # nothing should be left; clears the record
        self.supervisor.close()

    # --- supervision ---------------------------------------------------------------------------------------------
    def parts(self) -> list[Part]:
        """Every part the supervisor watches: the servers, the mail catcher and the four services (not replicas)."""
        kafka, postgres, logs = self.kafka, self.postgres, self.config.state_dir / "logs"
        return [
            server_part("kafka", kafka, partial(self._restart_server, "kafka", kafka), kafka.server_log),
            server_part("postgres", postgres, partial(self._restart_server, "postgres", postgres), postgres.log_path),
            process_part("mailcatcher", lambda: self._mailcatcher, self._restart_mailcatcher, logs / "mailcatcher.log"),
            *(
                process_part(
                    name, partial(self.services.get, name), partial(self.restart_service, name), logs / f"{name}.log"
                )
                for name in SERVICES
            ),
        ]

    async def _restart_server(self, name: str, server: ChildServer) -> None:
        await asyncio.to_thread(server.start)
        remember(self.config.state_dir, name, server.pid)

    async def _restart_mailcatcher(self) -> None:
        self.start_mailcatcher()
        await self.wait_mailcatcher()

    async def restart_service(self, name: str, timeout: float = 60) -> None:
        """Start a service again and wait for its /health; one that runs but is not ready by then is left running."""
        self.start_service(name)
        try:
            await self.wait_healthy(name, timeout=timeout)
        except KeyError:
            raise Halted(f"{name} was stopped on purpose while it started") from None
        except RuntimeError:
            proc = self.services.get(name)
            if proc is None or exited_unreaped(proc):
                raise
            self.log(f"{name} runs but is not ready after {timeout:g} s; its /health names what it misses")

    # --- where things are ----------------------------------------------------------------------------------------
    def url(self, name: str) -> str:
        """A service's base URL."""
        return f"http://127.0.0.1:{self.config.service_ports[name]}"

    def token(
        self,
        *,
        role: Role,
        municipality: str | None = None,
        email: str = "caseworker@aarhus.example.dk",
        subject: str = "demo-user",
        subprojects: list[str] | None = None,
        programmes: list[str] | None = None,
    ) -> str:
        """A signed bearer token for this stack (an operator's covers the seed's programmes unless told otherwise)."""
        if role == "operator" and programmes is None:
            programmes = list(PROGRAMMES)
        return issue_token(
            self.auth,
            subject=subject,
            email=email,
            roles=[role],
            municipality=municipality,
            subprojects=subprojects,
            programmes=programmes,
        )

    def log_tail(self, name: str, lines: int = 40) -> str:
        """The end of a part's log."""
        path = self.config.state_dir / "logs" / f"{name}.log"
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:]) if path.exists() else "(no log)"

    def _spawn(self, name: str, argv: list[str], env: dict[str, str]) -> subprocess.Popen[bytes]:
        # Called holding _spawning, so that stop either sees the process recorded or has already forbidden it.
        if self.halt.is_set():
            raise Halted(f"{name} not started: the stack is stopping")
        with (self.config.state_dir / "logs" / f"{name}.log").open("ab") as log:
            proc = subprocess.Popen(
                argv, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
            )
        remember(self.config.state_dir, name, proc.pid)
        return proc


_COMMON_SETTINGS = (
    "ENVIRONMENT",
    "DATABASE_URL",
    "KAFKA__BOOTSTRAP_SERVERS",
    "AUTH__JWT_SECRET",
    "HTTP_PORT",
    "OUTBOX_POLL_SECONDS",
    "LOG_JSON",
)
_OWN_SETTINGS: dict[str, tuple[str, ...]] = {
    "intake": ("DATA_KEY", "LOOKUP_KEY", "COMMAND_WAIT_SECONDS"),
    "followup": ("SMTP_PORT", "INTAKE_PUBLIC_URL", "REMINDER_POLL_SECONDS", "ESCALATION_GRACE_HOURS"),
    "reporting": ("MIN_CELL", "AUDIT_SECONDS"),
}


def service_setting_names(name: str) -> set[str]:
    """The names of the settings variables Stack.service_env sets for one service, without values.

    Kept in step with Stack.service_env by hand (tests/unit/test_compose.py checks that they agree); the compose file
    must set every one of them. PYTHONPATH and the inherited environment are not included.
    """
    if name not in SERVICES:
        raise ValueError(f"unknown service {name!r}; expected one of {', '.join(SERVICES)}")
    prefix = name.upper() + "_"
    return {prefix + key for key in (*_COMMON_SETTINGS, *_OWN_SETTINGS.get(name, ()))}

"""A real Apache Kafka broker (KRaft, one combined node) run from Maven Central jars as our child process."""

from __future__ import annotations

import base64
import os
import shutil
import subprocess
import tempfile
import time
import uuid
from collections.abc import Callable
from pathlib import Path

from deploy.child import ChildServer
from deploy.ports import LOCALHOST, ensure_port_free, port_open

KAFKA_VERSION = "4.1.1"
POM = Path(__file__).with_name("kafka-pom.xml")
MARKER = ".complete"
# Jars without which the broker cannot start (or, for the slf4j binding, runs without any log and never looks ready).
REQUIRED_JARS = (f"kafka_2.13-{KAFKA_VERSION}.jar", "log4j-core-*.jar", "log4j-slf4j-impl-*.jar")
STARTED = "Kafka Server started"
INSTALL_HINT = "install them with: apt-get install -y maven openjdk-17-jre-headless"


def jar_cache_dir() -> Path:
    """Return the folder holding the broker's jars, outside the repository."""
    root = os.environ.get("RUMMELIG_CACHE_DIR") or str(Path.home() / ".cache" / "rummelig")
    return Path(root) / f"kafka-{KAFKA_VERSION}" / "libs"


def _require(tool: str) -> str:
    """Return the path of a command-line tool or explain what to install."""
    found = shutil.which(tool)
    if found is None:
        raise RuntimeError(f"`{tool}` is not on PATH; the Kafka broker needs Java 17+ and Maven: {INSTALL_HINT}")
    return found


def _complete(libs: Path) -> bool:
    """Return True when every required jar is present in libs."""
    return libs.is_dir() and all(any(libs.glob(pattern)) for pattern in REQUIRED_JARS)


def ensure_jars(log: Callable[[str], None] = print) -> Path:
    """Return the jar folder, fetching the jars with Maven on first use."""
    libs = jar_cache_dir()
    if (libs / MARKER).exists():
        return libs
    # An earlier fetch (or a hand copy) may have left complete jars without the marker: accept them once checked.
    if _complete(libs):
        (libs / MARKER).write_text(KAFKA_VERSION + "\n")
        return libs
    mvn = _require("mvn")
    libs.parent.mkdir(parents=True, exist_ok=True)
    # Fetch beside the final folder so the rename below is atomic and a broken download never looks complete.
    tmp = Path(tempfile.mkdtemp(prefix="libs.tmp-", dir=libs.parent))
    log(f"fetching Kafka {KAFKA_VERSION} jars from Maven Central into {libs} (once, about 60 MB)")
    cmd = [
        mvn,
        "-q",
        "-B",
        "-f",
        str(POM),
        "dependency:copy-dependencies",
        "-DincludeScope=runtime",
        f"-DoutputDirectory={tmp}",
    ]
    result = subprocess.run(cmd, capture_output=True, text=True, check=False)
    if result.returncode != 0 or not _complete(tmp):
        shutil.rmtree(tmp, ignore_errors=True)
        output = (result.stdout + result.stderr)[-4000:]
        raise RuntimeError(f"fetching the Kafka jars failed ({' '.join(cmd)}):\n{output}")
    (tmp / MARKER).write_text(KAFKA_VERSION + "\n")
    if libs.exists():
        # An incomplete folder from an interrupted copy: move it aside first, since rename cannot replace a folder.
        shutil.rmtree(libs)
    try:
        tmp.rename(libs)
    except OSError:
        # Another process finished the same fetch first; its copy is as good as ours.
        shutil.rmtree(tmp, ignore_errors=True)
        if not (libs / MARKER).exists():
            raise
    return libs


def new_cluster_id() -> str:
    """Return a random KRaft cluster id (URL-safe base64 of a UUID, no padding, never starting with '-')."""
    while True:
        cid = base64.urlsafe_b64encode(uuid.uuid4().bytes).decode().rstrip("=")
        # The storage tool would read a leading '-' as an option.
        if not cid.startswith("-"):
            return cid


def _tail(path: Path, lines: int = 40) -> str:
    """Return the last lines of a log file, or a note that it is missing."""
    if not path.exists():
        return f"({path} does not exist)"
    return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])


# One node on two cores: replication 1 and one partition for internal topics (default 50 each), no 3 s rebalance
# delay, fewer threads and a 16 MiB instead of 128 MiB cleaner buffer; topics only as the services declare them.
ONE_NODE = {
    "offsets.topic.replication.factor": "1",
    "offsets.topic.num.partitions": "1",
    "transaction.state.log.replication.factor": "1",
    "transaction.state.log.min.isr": "1",
    "transaction.state.log.num.partitions": "1",
    "share.coordinator.state.topic.replication.factor": "1",
    "share.coordinator.state.topic.min.isr": "1",
    "share.coordinator.state.topic.num.partitions": "1",
    "group.initial.rebalance.delay.ms": "0",
    "num.network.threads": "2",
    "num.io.threads": "2",
    "log.cleaner.dedupe.buffer.size": "16777216",
    "auto.create.topics.enable": "false",
    "num.partitions": "1",
}

LOG4J2 = """\
status = warn
name = rummelig-kafka
appender.console.type = Console
appender.console.name = STDOUT
appender.console.layout.type = PatternLayout
appender.console.layout.pattern = [%d] %p %m (%c)%n
# Only warnings on the console (stdout.log), so every line is not written twice.
appender.console.filter.threshold.type = ThresholdFilter
appender.console.filter.threshold.level = WARN
appender.file.type = File
appender.file.name = FILE
appender.file.fileName = ${sys:kafka.logs.dir}/server.log
appender.file.append = true
appender.file.layout.type = PatternLayout
appender.file.layout.pattern = [%d] %p %m (%c)%n
rootLogger.level = INFO
rootLogger.appenderRef.stdout.ref = STDOUT
rootLogger.appenderRef.file.ref = FILE
"""


class KafkaBroker(ChildServer):
    """One Kafka broker+controller node whose state lives in state_dir and survives restarts."""

    def __init__(self, state_dir: Path, *, port: int, controller_port: int, heap: str = "512m") -> None:
        self.state_dir = Path(state_dir).resolve()
        self.port = port
        self.controller_port = controller_port
        self.heap = heap
        self.data_dir = self.state_dir / "data"
        self.logs_dir = self.state_dir / "logs"
        self.properties = self.state_dir / "server.properties"
        self.log4j2 = self.state_dir / "log4j2.properties"
        self.server_log = self.logs_dir / "server.log"
        self.stdout_log = self.logs_dir / "stdout.log"
        super().__init__()

    @property
    def bootstrap_servers(self) -> str:
        """Return the address clients connect to."""
        return f"{LOCALHOST}:{self.port}"

    def _server_properties(self) -> str:
        """Return server.properties for one node on a small machine (see STACK.md)."""
        p, c = self.port, self.controller_port
        settings = {
            "process.roles": "broker,controller",
            "node.id": "1",
            "controller.quorum.voters": f"1@{LOCALHOST}:{c}",
            "listeners": f"PLAINTEXT://{LOCALHOST}:{p},CONTROLLER://{LOCALHOST}:{c}",
            "advertised.listeners": f"PLAINTEXT://{LOCALHOST}:{p},CONTROLLER://{LOCALHOST}:{c}",
            "controller.listener.names": "CONTROLLER",
            "inter.broker.listener.name": "PLAINTEXT",
            "listener.security.protocol.map": "CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT",
            "log.dirs": str(self.data_dir),
            **ONE_NODE,
        }
        return "".join(f"{key}={value}\n" for key, value in settings.items())

    def _format_extras(self) -> list[str]:
        """More arguments for formatting the storage (a broker with SCRAM users adds them: tests/integration)."""
        return []

    def _cluster_id(self) -> str:
        """Return the cluster id kept in state_dir, creating it on first start."""
        path = self.state_dir / "cluster-id"
        if path.exists():
            return path.read_text().strip()
        cid = new_cluster_id()
        path.write_text(cid + "\n")
        return cid

    def _failure(self, why: str) -> RuntimeError:
        """Return an error carrying the end of both logs."""
        return RuntimeError(
            f"Kafka broker on port {self.port} {why}\n--- {self.server_log} ---\n{_tail(self.server_log)}"
            f"\n--- {self.stdout_log} ---\n{_tail(self.stdout_log)}"
        )

    def start(self, timeout: float = 90) -> None:
        """Start the broker and return once it accepts clients."""
        self._clear_crash()
        if self.is_running():
            return
        java = _require("java")
        ensure_port_free(self.port, "Kafka", "the broker's port setting")
        ensure_port_free(self.controller_port, "Kafka controller", "the controller port setting")
        libs = ensure_jars()
        for folder in (self.data_dir, self.logs_dir):
            folder.mkdir(parents=True, exist_ok=True)
        self.properties.write_text(self._server_properties())
        self.log4j2.write_text(LOG4J2)
        classpath = f"{libs}/*"
        if not (self.data_dir / "meta.properties").exists():
            fmt = [
                java,
                "-XX:-UsePerfData",
                "-cp",
                classpath,
                "kafka.tools.StorageTool",
                "format",
                "-t",
                self._cluster_id(),
                "-c",
                str(self.properties),
                "-g",
                *self._format_extras(),
            ]
            result = subprocess.run(fmt, capture_output=True, text=True, check=False)
            if result.returncode != 0:
                raise RuntimeError(f"formatting Kafka storage failed:\n{result.stdout}{result.stderr}")
        # Remember where this run's log starts: the file appender appends, and an old "started" line must not count.
        offset = self.server_log.stat().st_size if self.server_log.exists() else 0
        # -XX:-UsePerfData: no hsperfdata file in /tmp, which a killed JVM would leave behind.
        cmd = [
            java,
            "-Xms256m",
            f"-Xmx{self.heap}",
            "-XX:+UseG1GC",
            "-XX:-UsePerfData",
            f"-Dkafka.logs.dir={self.logs_dir}",
            f"-Dlog4j2.configurationFile={self.log4j2}",
            "-cp",
            classpath,
            "kafka.Kafka",
            str(self.properties),
        ]
        self._log = self.stdout_log.open("ab")
        # A session of its own, so a Ctrl-C meant for the launcher does not hit the broker before we stop it in order.
        proc = self._launch(cmd, stdin=subprocess.DEVNULL, stdout=self._log, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + timeout
        while True:
            self._check_halt()
            if proc.poll() is not None:
                self.kill()
                raise self._failure("exited during start-up")
            if self._started_since(offset) and port_open(LOCALHOST, self.port):
                return
            if time.monotonic() > deadline:
                self.kill()
                raise self._failure(f"was not ready within {timeout:.0f} s")
            time.sleep(0.25)

    def _started_since(self, offset: int) -> bool:
        """Return True when this run's part of server.log says the server started."""
        if not self.server_log.exists():
            return False
        with self.server_log.open("rb") as f:
            f.seek(offset)
            return STARTED.encode() in f.read()

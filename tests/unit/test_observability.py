"""deploy/observability: the alerts and the Grafana board ask only for metrics the services declare (shared/metrics.py)
or Prometheus and prometheus_client give (up, process_*, python_*); every alert says how bad it is and links a runbook
that docs/operations.md has; promtool parses every expression and the alerts' own unit tests pass; the cluster's
PrometheusRule is what alerts.yml says. A broken copy of each breaks the check it should.

promtool is the pinned one deploy/bootstrap.sh builds into the cache, as kustomize is for the manifest tests.
"""

from __future__ import annotations

import copy
import json
import os
import re
import shutil
import subprocess
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from prometheus_client import REGISTRY
from prometheus_client.metrics import MetricWrapperBase

from deploy import prometheus_rule
from shared import metrics
from tests.fixtures.k8s_manifests import schema_problems

ROOT = Path(__file__).resolve().parents[2]
OBSERVABILITY = ROOT / "deploy" / "observability"
ALERTS = OBSERVABILITY / "alerts.yml"
ALERT_TESTS = OBSERVABILITY / "alerts.test.yml"
BOARD = OBSERVABILITY / "grafana-dashboard.json"
OPERATIONS = ROOT / "docs" / "operations.md"
RUNBOOKS = "https://github.com/rummelig/rummelig/blob/main/docs/operations.md#"
SEVERITIES = {"critical", "warning", "info"}
ANNOTATIONS = ("summary", "description", "runbook_url")
SERVICES = {"intake", "enrolment", "followup", "reporting"}
BOARD_ROWS = {
    "Traffic",
    "Errors",
    "Kafka",
    "Outbox",
    "Reminders",
    "Audit chain",
    "Catalogue cache and dependencies",
    "Process",
}
Doc = dict[str, Any]


# ------------------------------------------------------------------------------------------------------- promtool

_VERSION = re.compile(r"^\s*PROMTOOL_VERSION=(\S+)$", re.MULTILINE)


def promtool_version() -> str:
    """The version deploy/bootstrap.sh pins."""
    found = _VERSION.search((ROOT / "deploy" / "bootstrap.sh").read_text())
    assert found, "deploy/bootstrap.sh names no PROMTOOL_VERSION"
    return found.group(1)


def promtool(*args: str | Path) -> subprocess.CompletedProcess[str]:
    """Run the cached promtool; fails with what to run when bootstrap has not built it."""
    cache = Path(os.environ.get("RUMMELIG_CACHE_DIR") or Path.home() / ".cache" / "rummelig")
    binary = cache / f"promtool-{promtool_version()}" / "promtool"
    assert binary.is_file(), f"{binary} is missing: run deploy/bootstrap.sh (it builds promtool with Go)"
    return subprocess.run([str(binary), *map(str, args)], capture_output=True, text=True, timeout=120, check=False)


# -------------------------------------------------------------------------------------------------- what is declared


def declared_metrics() -> set[str]:
    """The series names shared/metrics.py declares: a counter's _total, a histogram's _bucket, _count and _sum."""
    suffixes = {"counter": ("_total",), "histogram": ("_bucket", "_count", "_sum"), "gauge": ("",)}
    names = set()
    for metric in vars(metrics).values():
        if isinstance(metric, MetricWrapperBase):
            for family in metric.describe():
                names |= {family.name + suffix for suffix in suffixes[family.type]}
    return names


def standard_metrics() -> set[str]:
    """Prometheus' own `up` and the process_* and python_* series prometheus_client exposes in every service."""
    exposed = {sample.name for family in REGISTRY.collect() for sample in family.samples}
    return {"up"} | {name for name in exposed if name.startswith(("process_", "python_"))}


# ---------------------------------------------------------------------------------------------- PromQL, read coarsely

_STRINGS = re.compile(r'"(?:[^"\\]|\\.)*"|\'(?:[^\'\\]|\\.)*\'|`[^`]*`')
_MATCHERS = re.compile(r"\{[^}]*\}")
_RANGES = re.compile(r"\[[^\]]*\]")
_GROUPING = re.compile(r"\b(?:by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)")
_OFFSET = re.compile(r"\boffset\s+-?\w+")
_NAME = re.compile(r"(?<![\w:.$])([a-zA-Z_:][a-zA-Z0-9_:]*)(?![\w:])(?!\s*\()")
_KEYWORDS = {"and", "or", "unless", "bool", "atan2", "inf", "nan"}
_LABEL_VALUES = re.compile(r"label_values\(\s*([a-zA-Z_:][a-zA-Z0-9_:]*)")


def metric_names(expr: str) -> set[str]:
    """The metric names an expression selects: what is left once strings, matchers, ranges, groupings, offsets and
    calls are taken out (promtool checks that the expression parses at all)."""
    bare = _STRINGS.sub('""', expr)
    for pattern in (_MATCHERS, _RANGES, _GROUPING, _OFFSET):
        bare = pattern.sub(" ", bare)
    return {name for name in _NAME.findall(bare) if name.lower() not in _KEYWORDS}


def rules(alerts: Doc) -> Iterator[Doc]:
    for group in alerts["groups"]:
        yield from group["rules"]


def board_queries(board: Doc) -> Iterator[tuple[str, str]]:
    """(where, expression) of every query on the board: each panel's targets, and the variables' queries."""
    for panel in board["panels"]:
        for inner in [panel, *panel.get("panels", [])]:
            for target in inner.get("targets", []):
                yield f"panel {inner['title']!r} {target['refId']}", target["expr"]
    for variable in board["templating"]["list"]:
        query = variable.get("query")
        if isinstance(query, dict):
            yield f"variable {variable['name']}", query["query"]


def as_promql(query: str) -> str:
    """A board query as plain PromQL: Grafana's variables replaced by values, label_values() by its metric."""
    if found := _LABEL_VALUES.match(query):
        return found.group(1)
    return query.replace("$__rate_interval", "5m").replace("$__range", "1h").replace("$service", "intake")


def unknown_metrics(alerts: Doc, board: Doc) -> list[str]:
    """Every metric name used in an alert or on the board that no service exposes."""
    known = declared_metrics() | standard_metrics()
    used = [(f"alert {rule['alert']}", rule["expr"]) for rule in rules(alerts)]
    used += [(where, as_promql(query)) for where, query in board_queries(board)]
    return [f"{where}: {name}" for where, expr in used for name in sorted(metric_names(expr) - known)]


# ------------------------------------------------------------------------------------------------------- runbooks


def anchors(markdown: str) -> set[str]:
    """The anchors GitHub gives the headings of a Markdown page."""
    headings = re.findall(r"^#{1,6}\s+(.+?)\s*#*\s*$", markdown, re.MULTILINE)
    return {re.sub(r"[^\w\- ]", "", heading.strip().lower()).replace(" ", "-") for heading in headings}


def alert_problems(alerts: Doc, operations: str) -> list[str]:
    """Each alert: a known severity, a summary, a description, and a runbook under its own name in operations.md."""
    headings = anchors(operations)
    problems: list[str] = []
    for rule in rules(alerts):
        if "alert" not in rule:
            continue
        name, annotations = rule["alert"], rule.get("annotations", {})
        if rule.get("labels", {}).get("severity") not in SEVERITIES:
            problems.append(f"{name}: severity {rule.get('labels', {}).get('severity')!r}")
        problems += [f"{name}: no {key}" for key in ANNOTATIONS if not str(annotations.get(key, "")).strip()]
        url = str(annotations.get("runbook_url", ""))
        if url != RUNBOOKS + name.lower():
            problems.append(f"{name}: runbook_url {url!r}, not {RUNBOOKS + name.lower()!r}")
        elif name.lower() not in headings:
            problems.append(f"{name}: docs/operations.md has no heading {name}")
    return problems


def board_problems(board: Doc) -> list[str]:
    """A current schema, a Prometheus data source variable every query uses, a service variable, every row there."""
    problems = [] if board.get("schemaVersion", 0) >= 39 else [f"schemaVersion {board.get('schemaVersion')}"]
    variables = {v["name"]: v for v in board["templating"]["list"]}
    if variables.get("datasource", {}).get("type") != "datasource" or variables["datasource"]["query"] != "prometheus":
        problems.append("no Prometheus data source variable `datasource`")
    if "service" not in variables:
        problems.append("no `service` variable")
    rows = {panel["title"] for panel in board["panels"] if panel["type"] == "row"}
    problems += [f"no row {row!r}" for row in sorted(BOARD_ROWS - rows)]
    for panel in (p for p in board["panels"] if p["type"] != "row"):
        sources = [panel.get("datasource"), *(t.get("datasource") for t in panel.get("targets", []))]
        if not panel.get("targets") or any(s != {"type": "prometheus", "uid": "${datasource}"} for s in sources):
            problems.append(f"panel {panel['title']!r}: not queried through ${{datasource}}")
    return problems


def load_alerts() -> Doc:
    alerts: Doc = yaml.safe_load(ALERTS.read_text())
    return alerts


def load_board() -> Doc:
    board: Doc = json.loads(BOARD.read_text())
    return board


# ---------------------------------------------------------------------------------------------------------- tests


def test_every_alert_has_a_severity_a_summary_a_description_and_its_runbook() -> None:
    assert alert_problems(load_alerts(), OPERATIONS.read_text()) == []


def test_every_link_within_operations_md_finds_its_heading() -> None:
    text = OPERATIONS.read_text()
    assert set(re.findall(r"\]\(#([^)]+)\)", text)) - anchors(text) == set()


def test_the_alerts_cover_what_an_operator_must_hear_of() -> None:
    used = {name for rule in rules(load_alerts()) for name in metric_names(rule["expr"])}
    wanted = {
        "up",
        "rummelig_dependency_up",
        "rummelig_consumer_lag_records",
        "rummelig_outbox_oldest_unpublished_age_seconds",
        "rummelig_dead_letters_total",
        "rummelig_reminders_failed_total",
        "rummelig_reminders_due",
        "rummelig_audit_chain_intact",
        "rummelig_audit_chain_checked_timestamp_seconds",
        "rummelig_http_requests_total",
        "rummelig_http_request_duration_seconds_bucket",
    }
    assert wanted - used == set()


def test_the_service_alerts_name_every_job_the_service_monitors_scrape() -> None:
    (absent,) = (rule["expr"] for rule in rules(load_alerts()) if rule.get("alert") == "ServiceAbsent")
    assert set(re.findall(r'absent\(up\{job="(\w+)"\}\)', absent)) == SERVICES


def test_every_metric_the_alerts_and_the_board_use_is_one_the_services_expose() -> None:
    assert unknown_metrics(load_alerts(), load_board()) == []


def test_the_metric_names_are_read_out_of_promql() -> None:
    expr = (
        'sum by (service, le) (rate(a_bucket{route!~"/health.*|x_total"}[5m])) / on(service) group_left(le) '
        "b_total offset 15m and bool c > 1e3 unless absent_over_time(d[1h]) or histogram_quantile(0.9, e:rate5m)"
    )
    assert metric_names(expr) == {"a_bucket", "b_total", "c", "d", "e:rate5m"}
    assert {"rummelig_http_requests_total", "rummelig_consumer_batch_records_bucket"} <= declared_metrics()
    assert "rummelig_http_requests" not in declared_metrics()
    assert {"process_cpu_seconds_total", "process_resident_memory_bytes"} <= standard_metrics()


def test_the_board_has_its_variables_rows_and_data_source() -> None:
    assert board_problems(load_board()) == []


def test_promtool_parses_every_alert() -> None:
    done = promtool("check", "rules", ALERTS)
    assert done.returncode == 0, done.stdout + done.stderr


def test_promtool_parses_every_query_of_the_board(tmp_path: Path) -> None:
    queries = [as_promql(query) for _, query in board_queries(load_board())]
    recorded = [{"record": f"board:query{n}", "expr": query} for n, query in enumerate(queries)]
    (tmp_path / "board.yml").write_text(yaml.safe_dump({"groups": [{"name": "board", "rules": recorded}]}))
    done = promtool("check", "rules", tmp_path / "board.yml")
    assert done.returncode == 0, done.stdout + done.stderr
    assert f"{len(queries)} rules found" in done.stdout


def test_the_local_prometheus_configuration_is_valid_and_loads_the_alerts() -> None:
    done = promtool("check", "config", OBSERVABILITY / "prometheus.yml")
    assert done.returncode == 0, done.stdout + done.stderr
    jobs = {job["job_name"] for job in yaml.safe_load((OBSERVABILITY / "prometheus.yml").read_text())["scrape_configs"]}
    assert jobs == SERVICES


def test_the_alerts_fire_and_keep_quiet_as_their_unit_tests_say() -> None:
    done = promtool("test", "rules", ALERT_TESTS)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "SUCCESS" in done.stdout


def test_the_unit_tests_see_alerts_fire_and_keep_quiet() -> None:
    cases = [case for test in yaml.safe_load(ALERT_TESTS.read_text())["tests"] for case in test["alert_rule_test"]]
    fired = {case["alertname"] for case in cases if case["exp_alerts"]}
    quiet = {case["alertname"] for case in cases if not case["exp_alerts"]}
    assert len(fired & quiet) >= 3, (fired, quiet)


def test_the_committed_prometheus_rule_is_what_the_generator_writes() -> None:
    assert prometheus_rule.RULE.read_text() == prometheus_rule.rendered(), "stale: run python -m deploy.prometheus_rule"


def test_the_prometheus_rule_is_valid_for_the_vendored_crd() -> None:
    rule = yaml.safe_load(prometheus_rule.rendered())
    assert rule["spec"]["groups"] == load_alerts()["groups"]
    assert schema_problems([rule]) == []


def test_the_restore_in_operations_md_is_a_cluster_cloudnative_pg_accepts() -> None:
    blocks = re.findall(r"^```yaml\n(.*?)^```", OPERATIONS.read_text(), re.MULTILINE | re.DOTALL)
    clusters = [doc for block in blocks for doc in yaml.safe_load_all(block) if doc and doc.get("kind") == "Cluster"]
    assert [c["spec"]["bootstrap"]["recovery"]["source"] for c in clusters] == ["origin"]
    assert schema_problems(clusters) == []


# ----------------------------------------------------------------------------------------- the checks catch a break


def _alert(alerts: Doc, name: str) -> Doc:
    (rule,) = (rule for rule in rules(alerts) if rule.get("alert") == name)
    return rule


def _first_target(board: Doc) -> Doc:
    target: Doc = next(p for p in board["panels"] if p["type"] != "row")["targets"][0]
    return target


AlertBreak = Callable[[Doc], object]
ALERT_BREAKS: dict[str, tuple[Callable[[Doc], list[str]], AlertBreak]] = {
    "a metric no service declares": (
        lambda a: unknown_metrics(a, load_board()),
        lambda a: _alert(a, "OutboxBacklogOld").update(expr="rummelig_outbox_oldest_age_seconds > 60"),
    ),
    "a histogram's bare name": (
        lambda a: unknown_metrics(a, load_board()),
        lambda a: _alert(a, "HttpLatencyHigh").update(expr="rummelig_http_request_duration_seconds > 1"),
    ),
    "an alert without severity": (
        lambda a: alert_problems(a, OPERATIONS.read_text()),
        lambda a: _alert(a, "DeadLetters")["labels"].pop("severity"),
    ),
    "an alert without description": (
        lambda a: alert_problems(a, OPERATIONS.read_text()),
        lambda a: _alert(a, "DeadLetters")["annotations"].pop("description"),
    ),
    "a runbook operations.md does not have": (
        lambda a: alert_problems(a, OPERATIONS.read_text()),
        lambda a: a["groups"][0]["rules"].append({**copy.deepcopy(_alert(a, "ServiceDown")), "alert": "NoSuchRunbook"}),
    ),
    "a runbook under another alert's name": (
        lambda a: alert_problems(a, OPERATIONS.read_text()),
        lambda a: _alert(a, "ServiceDown")["annotations"].update(runbook_url=RUNBOOKS + "dependencydown"),
    ),
}


@pytest.mark.parametrize("broken", ALERT_BREAKS)
def test_a_broken_alert_breaks_its_check(broken: str) -> None:
    check, breaking = ALERT_BREAKS[broken]
    alerts = load_alerts()
    assert check(alerts) == []
    breaking(alerts)
    assert check(alerts) != []


BOARD_BREAKS: dict[str, tuple[Callable[[Doc], list[str]], Callable[[Doc], object]]] = {
    "a panel with a misspelt metric": (
        lambda b: unknown_metrics(load_alerts(), b),
        lambda b: _first_target(b).update(expr='sum(rate(rummelig_http_request_total{service=~"$service"}[5m]))'),
    ),
    "a variable over a metric nobody has": (
        lambda b: unknown_metrics(load_alerts(), b),
        lambda b: b["templating"]["list"][1]["query"].update(query="label_values(rummelig_requests_total, service)"),
    ),
    "a panel on a fixed data source": (
        board_problems,
        lambda b: _first_target(b).update(datasource={"type": "prometheus", "uid": "prod"}),
    ),
    "an old schema": (board_problems, lambda b: b.update(schemaVersion=27)),
}


@pytest.mark.parametrize("broken", BOARD_BREAKS)
def test_a_broken_board_breaks_its_check(broken: str) -> None:
    check, breaking = BOARD_BREAKS[broken]
    board = load_board()
    assert check(board) == []
    breaking(board)
    assert check(board) != []


def _broken_copy(tmp_path: Path, breaking: Callable[[Doc], object]) -> Path:
    """alerts.yml and its unit tests in tmp_path, the alerts broken."""
    alerts = load_alerts()
    breaking(alerts)
    (tmp_path / "alerts.yml").write_text(yaml.safe_dump(alerts, sort_keys=False))
    shutil.copy(ALERT_TESTS, tmp_path / ALERT_TESTS.name)
    return tmp_path


def test_promtool_refuses_an_expression_that_does_not_parse(tmp_path: Path) -> None:
    folder = _broken_copy(tmp_path, lambda a: _alert(a, "OutboxBacklogOld").update(expr="max by service (x) > 60"))
    done = promtool("check", "rules", folder / "alerts.yml")
    assert done.returncode != 0
    assert "OutboxBacklogOld" in done.stdout + done.stderr or "parse" in (done.stdout + done.stderr).lower()


@pytest.mark.parametrize(
    ("alert", "change"),
    [
        ("OutboxBacklogOld", {"expr": "max by (service) (rummelig_outbox_oldest_unpublished_age_seconds) > 600"}),
        ("ServiceDown", {"for": "10m"}),
        ("DeadLetters", {"expr": "sum by (service, topic, reason) (increase(rummelig_dead_letters_total[15m])) > 0"}),
    ],
)
def test_the_unit_tests_fail_when_an_alert_changes(tmp_path: Path, alert: str, change: dict[str, str]) -> None:
    folder = _broken_copy(tmp_path, lambda a: _alert(a, alert).update(change))
    done = promtool("test", "rules", folder / ALERT_TESTS.name)
    assert done.returncode != 0, done.stdout
    assert alert in done.stdout + done.stderr


def test_a_changed_alert_makes_the_committed_prometheus_rule_stale() -> None:
    alerts = load_alerts()
    assert prometheus_rule.rendered(yaml.safe_dump(alerts, sort_keys=False)) == prometheus_rule.RULE.read_text()
    _alert(alerts, "OutboxBacklogOld")["for"] = "5m"
    assert prometheus_rule.rendered(yaml.safe_dump(alerts, sort_keys=False)) != prometheus_rule.RULE.read_text()


def test_the_crd_refuses_a_prometheus_rule_with_a_wrong_duration() -> None:
    rule = yaml.safe_load(prometheus_rule.rendered())
    rule["spec"]["groups"][0]["rules"][0]["for"] = "two minutes"
    assert schema_problems([rule]) != []

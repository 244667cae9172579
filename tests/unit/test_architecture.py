"""The architecture's import-linter contracts (pyproject.toml) hold, and each one catches a deliberate violation."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
LINT_IMPORTS = Path(sys.executable).parent / "lint-imports"
CONFIG = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["importlinter"]
CONTRACTS = [contract["name"] for contract in CONFIG["contracts"]]

# One violation per contract: the start of its name -> (the module, the import added to it)
VIOLATIONS = {
    "The four services": ("services/intake/domain.py", "import services.enrolment.domain"),
    "shared is below": ("shared/clock.py", "import services.intake.domain"),
    "Intake: the composition root": ("services/intake/tables.py", "import services.intake.deps"),
    "Enrolment, follow-up, reporting": ("services/reporting/domain.py", "import services.reporting.main"),
    "Inside each sub-domain": ("services/intake/referrals/domain.py", "import services.intake.referrals.queries"),
    "No route is imported": ("services/intake/timeline/service.py", "import services.intake.commands.api"),
    "A domain module is pure": ("services/intake/commands/domain.py", "import sqlalchemy"),
    "No import cycles": ("deploy/stack.py", "import deploy.up"),
}


def lint_imports(tree: Path) -> subprocess.CompletedProcess[str]:
    """lint-imports over a tree, as deploy/test runs it."""
    env = {**os.environ, "PYTHONPATH": str(tree)}
    return subprocess.run(
        [str(LINT_IMPORTS), "--no-cache"], cwd=tree, env=env, capture_output=True, text=True, timeout=120
    )


def broken(output: str) -> list[str]:
    """The names of the contracts the report says are broken (a long name wraps; BROKEN ends it)."""
    report = " ".join(output.split("Contracts:")[0].split("----")[-1].split())
    return [name for name in CONTRACTS if f"{name} BROKEN" in report]


@pytest.fixture(scope="module")
def copy_of_the_code(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The project's packages and its pyproject.toml, to be broken without touching the real tree."""
    tree = tmp_path_factory.mktemp("architecture")
    for package in ("services", "shared", "deploy"):
        shutil.copytree(ROOT / package, tree / package, ignore=shutil.ignore_patterns("__pycache__", "migrations"))
    shutil.copy(ROOT / "pyproject.toml", tree / "pyproject.toml")
    return tree


def test_the_code_keeps_every_contract() -> None:
    result = lint_imports(ROOT)
    assert result.returncode == 0, result.stdout + result.stderr
    assert broken(result.stdout) == []


def test_every_contract_has_a_violation_to_catch() -> None:
    assert sorted(next(c for c in CONTRACTS if c.startswith(start)) for start in VIOLATIONS) == sorted(CONTRACTS)


@pytest.mark.parametrize("contract", VIOLATIONS)
def test_a_violation_breaks_its_contract(copy_of_the_code: Path, contract: str) -> None:
    module, line = VIOLATIONS[contract]
    path = copy_of_the_code / module
    kept = path.read_text()
    path.write_text(f"{kept}\n{line}  # a deliberate violation\n")
    try:
        result = lint_imports(copy_of_the_code)
    finally:
        path.write_text(kept)
    assert result.returncode == 1, result.stdout + result.stderr
    assert any(name.startswith(contract) for name in broken(result.stdout)), result.stdout

"""Wire names are spelled only in shared/contracts: a service names the contract class, never the string on the wire.

Docstrings are prose and may name a wire name; every other string constant of a service module may not.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Iterable, Iterator
from pathlib import Path

from shared.contracts import REGISTRY

ROOT = Path(__file__).resolve().parents[2]
WIRE_NAMES = tuple(wire.name for wire in REGISTRY.wires())


def docstrings(tree: ast.AST) -> set[int]:
    """The ids of the string constants that are docstrings: the first statement of a module, class or function."""
    found: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Module | ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef) and node.body:
            first = node.body[0]
            if isinstance(first, ast.Expr) and isinstance(first.value, ast.Constant):
                found.add(id(first.value))
    return found


def wire_name_literals(source: str, names: Iterable[str]) -> list[tuple[int, str]]:
    """(line, name) for each string constant in the source holding a wire name as a whole token, docstrings aside."""
    # A token is made of letters, digits, dots and hyphens: "x.participation.started" or "participation.started-v2"
    # is another name; a dot that ends a sentence is not part of it.
    tokens = {name: re.compile(rf"(?<![\w.-]){re.escape(name)}(?![\w-]|\.\w)") for name in names}
    tree = ast.parse(source)
    prose = docstrings(tree)
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Constant) and isinstance(node.value, str) and id(node) not in prose:
            for name, token in tokens.items():
                if match := token.search(node.value):
                    found.append((line_of(node, match.start()), name))
    return found


def line_of(node: ast.Constant, offset: int) -> int:
    """The line of a character of a string constant: exact where its lines are the source's (a SQL block), else its
    first line."""
    text = str(node.value)
    if node.end_lineno is not None and node.end_lineno - node.lineno == text.count("\n"):
        return node.lineno + text.count("\n", 0, offset)
    return node.lineno


def service_modules() -> Iterator[Path]:
    """Every Python module of the services, their migrations aside (a migration keeps the names of its day)."""
    for path in sorted((ROOT / "services").rglob("*.py")):
        if "migrations" not in path.relative_to(ROOT).parts:
            yield path


def test_no_service_module_spells_a_wire_name() -> None:
    found = [
        f"{path.relative_to(ROOT)}:{line}: {name}"
        for path in service_modules()
        for line, name in sorted(wire_name_literals(path.read_text(encoding="utf-8"), WIRE_NAMES))
    ]
    assert not found, "name the contract class (REGISTRY.wire(Model).name), not its wire name:\n" + "\n".join(found)


SNIPPET = '''
"""Enrolment publishes participation.started."""


class Started:
    """A participation.started fact, read back."""

    def names(self) -> tuple[str, ...]:
        """Returns participation.started."""
        return ("participation.started", "participation.started.v1", "x.participation.started")


async def later(kind: str) -> str:
    """participation.started, later."""
    return f"{kind} is not participation.started."


SQL = """
SELECT count(*) FROM facts
WHERE type = 'participation.started'
"""
'''


def test_the_checker_reports_a_wire_name_in_a_string_but_not_in_a_docstring() -> None:
    found = sorted(wire_name_literals(SNIPPET, ["participation.started"]))
    assert found == [(10, "participation.started"), (15, "participation.started"), (20, "participation.started")]

"""A projection's rows folded in memory: the session its handlers get when they only get and add rows of one table.

The live consumer loads the rows a poll names in one statement (locked, as the handlers' own get would lock them),
runs the handlers in the poll's order against them and writes what changed in two statements: the new rows inserted
(a row another replica inserted meanwhile makes the poll fail and be applied again, record by record, on top of it)
and the changed ones updated. The rebuild folds the whole log the same way, from no rows, and writes them with COPY.
"""

# ruff: noqa: S608 - the SQL is built from a table model's own names, never from input
from __future__ import annotations

import functools
import json
from collections.abc import Collection, Iterator
from dataclasses import dataclass
from typing import Any

from sqlalchemy import TextClause, text
from sqlalchemy.dialects import postgresql
from sqlmodel import SQLModel
from sqlmodel.ext.asyncio.session import AsyncSession

from shared.db import run


class NotLoaded(Exception):
    """A handler asked for a row the poll did not name: the poll is applied record by record instead."""


class Row:
    """A row as the handlers see it in memory: the table's columns as attributes."""

    def __init__(self, values: dict[str, Any]) -> None:
        self.__dict__.update(values)


class RowFold:
    """The rows of one table by key, for handlers that only `get` and `add` them."""

    def __init__(self, model: type[SQLModel], key: str, *, complete: bool = False) -> None:
        self.model, self.key = model, key
        self.columns = list(model.model_fields)
        # a blank row: the model's defaults, None where it has none (the handler sets those)
        self._defaults = {
            n: None if f.is_required() else f.get_default(call_default_factory=True)
            for n, f in model.model_fields.items()
        }
        self.rows: dict[Any, Row] = {}
        self._stored: dict[Any, dict[str, Any]] = {}  # the rows as loaded, to write only those that changed
        self._absent: set[Any] = set()  # keys looked up and not found: their rows are new
        self._complete = complete  # every row is here (a rebuild from nothing): an unknown key is a new row

    async def load(self, session: AsyncSession, keys: Collection[Any]) -> None:
        """Load and lock the rows of these keys (in key order, so that two replicas never wait on each other)."""
        wanted = sorted(set(keys) - self.rows.keys() - self._absent)
        if not wanted:
            return
        result = await run(session, _statements(self.model, self.key).load, {"keys": wanted})
        for values in result.mappings():
            stored = dict(values)
            self._stored[stored[self.key]] = stored
            self.rows[stored[self.key]] = Row(dict(stored))
        self._absent.update(k for k in wanted if k not in self.rows)

    async def get(self, model: object, key: Any, **_: object) -> Any:
        """The row of the key; a blank one (the table's defaults) if it is not stored yet."""
        if model is not self.model:  # a handler that reads another table is not one to fold
            raise NotLoaded(model)
        row = self.rows.get(key)
        if row is None:
            if not self._complete and key not in self._absent:
                raise NotLoaded(key)
            row = self.rows[key] = Row(self._defaults | {self.key: key})
        return row

    def add(self, row: Any) -> None:
        """Keep a row."""
        self.rows[getattr(row, self.key)] = row

    def values(self) -> Iterator[list[Any]]:
        """Every row's values in column order (for COPY)."""
        for row in self.rows.values():
            yield [getattr(row, c) for c in self.columns]

    async def write(self, session: AsyncSession) -> None:
        """Insert the new rows and update the changed ones, a statement each."""
        new, changed = [], []
        for key, row in self.rows.items():
            values = {c: getattr(row, c) for c in self.columns}
            stored = self._stored.get(key)
            if stored is None:
                new.append(values)
            elif values != stored:
                changed.append(values)
        statements = _statements(self.model, self.key)
        if new:
            await run(session, statements.insert, {"rows": _json(new)})
        if changed:
            await run(session, statements.update, {"rows": _json(changed)})
        for key, row in self.rows.items():  # written: what is stored now
            self._stored[key] = {c: getattr(row, c) for c in self.columns}
        self._absent.clear()


@dataclass(frozen=True)
class _Statements:
    load: TextClause
    insert: TextClause
    update: TextClause


@functools.cache
def _statements(model: type[SQLModel], key: str) -> _Statements:
    """A table's three statements, built once per process."""
    table, columns = model.__tablename__, list(model.model_fields)
    cols = ", ".join(columns)
    key_type = str(model.__table__.c[key].type.compile(dialect=postgresql.dialect()))  # type: ignore[attr-defined,no-untyped-call]
    recordset = f"jsonb_populate_recordset(NULL::{table}, CAST(:rows AS jsonb))"
    sets = ", ".join(f"{c} = r.{c}" for c in columns if c != key)
    return _Statements(
        load=text(
            f"SELECT {cols} FROM {table} WHERE {key} = ANY(CAST(:keys AS {key_type}[])) ORDER BY {key} FOR UPDATE"
        ),
        insert=text(f"INSERT INTO {table} ({cols}) SELECT {cols} FROM {recordset}"),
        update=text(f"UPDATE {table} AS t SET {sets} FROM {recordset} AS r WHERE t.{key} = r.{key}"),
    )


def _json(rows: list[dict[str, Any]]) -> str:
    # dates, times and ids as their ISO and canonical text, which PostgreSQL reads back as the column's type
    return json.dumps(rows, default=str)

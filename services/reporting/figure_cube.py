"""Every figure counted ahead: a table of counts per programme, half-year of entry or of leaving and breakdown, kept
by PostgreSQL itself as each participant's row changes, so that a report sums thousands of rows instead of scanning a
million (bench/report.py).

`figure_count` holds, for each programme, period kind (entry or leaving), Danish half-year, sub-project, municipality
and breakdown category (all; or a target group, gender or age band: one dimension at a time, as the report breaks
down, so that the cells do not multiply), and completeness, how many participants each figure counts, and how many
there are. A trigger on `participant_progress` takes a row's old contribution off and puts its new one on, in the
transaction that changes the row; one on `catalogue_programme` counts a programme again when its settings change (a
figure may read them). The table, its functions and triggers are derived from the figures' definitions
(services.reporting.figures): `ensure_cube` creates them when the service starts, and counts everything again when
the definitions have changed since (their hash is kept beside them).
"""

# ruff: noqa: S608 - the SQL is built from the figures' constant definitions and these names, never from input

from __future__ import annotations

import hashlib

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection

from services.reporting.figures import AGE_BAND, COMPLETE, FIGURES, TRENDS

TABLE = "figure_count"
KEY = (
    "programme_id",
    "period_by",
    "half_year",
    "subproject_id",
    "municipality",
    "dimension",
    "category",
    "complete",
)
_KEY_TYPES = {"half_year": "date", "complete": "boolean"}
# The breakdowns a cell can be for besides sub-project and municipality, which are in every cell (they are also the
# report's filters): each complete record is counted once in a cell of each, and every record in one "all" cell.
BREAKDOWNS = ("target_group", "gender", "age_band")
_FIGURES = [f'"{f.id}"' for f in FIGURES]
_COUNTS = ["n", *_FIGURES]  # n: the participants in the cell


def half_year_of(day: str) -> str:
    """The first day of the Danish half-year (1 March - 31 August, 1 September - end of February) a date is in."""
    shifted = f"({day} - interval '2 months')"  # March and September become January and July
    return (
        f"(date_trunc('year', {shifted}) + CASE WHEN extract(month FROM {shifted}) > 6 THEN interval '6 months'"
        " ELSE interval '0 months' END + interval '2 months')::date"
    )


_DAY = "CASE k.period_by WHEN 'entry' THEN f.entered_on ELSE f.left_on END"  # the date the period is by


def _contribution(rows: str, sign: str, condition: str = "true") -> str:
    """The cells a set of participant rows `p` counts in, each figure signed; the rows' own programme settings `s`.

    Each row's figures are judged once, in a subquery kept apart (OFFSET 0), before the row is spread over its eight
    cells: judged after, every rule ran eight times (most of the time of counting a million rows)."""
    counted = ", ".join(f'CASE WHEN {f.where} THEN {sign} ELSE 0 END AS "{f.id}"' for f in FIGURES)
    category = " ".join(f"WHEN '{d}' THEN f.{d}" for d in BREAKDOWNS)
    breakdowns = ", ".join(f"('{d}')" for d in ("all", *BREAKDOWNS))
    judged = (
        "SELECT p.programme_id, p.entered_on, p.left_on, p.subproject_id, p.municipality, p.target_group, p.gender,"
        f" {AGE_BAND} AS age_band, coalesce(({COMPLETE}), false) AS complete, p.last_event_at, {sign} AS n, {counted}"
        f" FROM {rows} LEFT JOIN catalogue_programme s ON s.id = p.programme_id WHERE {condition} OFFSET 0"
    )
    return (
        "SELECT f.programme_id, k.period_by,"
        f" {half_year_of(_DAY)} AS half_year,"
        f" f.subproject_id, f.municipality, b.dimension, CASE b.dimension {category} ELSE '' END AS category,"
        f" f.complete, f.last_event_at, f.n, {', '.join('f.' + c for c in _FIGURES)}"
        f" FROM ({judged}) AS f"
        " CROSS JOIN (VALUES ('entry'), ('leaving')) AS k(period_by)"
        f" CROSS JOIN (VALUES {breakdowns}) AS b(dimension)"
        " WHERE b.dimension = 'all' OR f.complete"
    )


def _summed(contributions: str) -> str:
    """Cells summed from contributions, added to the table's cells."""
    key = ", ".join(KEY)
    sums = ", ".join(f"sum({c})" for c in _COUNTS)
    added = ", ".join(f"{c} = c.{c} + EXCLUDED.{c}" for c in _COUNTS)
    return (
        f"INSERT INTO {TABLE} AS c ({key}, last_event_at, {', '.join(_COUNTS)})"
        f" SELECT {key}, max(last_event_at), {sums} FROM ({contributions}) AS contribution GROUP BY {key}"
        f" ON CONFLICT ({key}) DO UPDATE SET {added},"
        " last_event_at = greatest(c.last_event_at, EXCLUDED.last_event_at)"
    )


TRENDS_TABLE = "trend_count"  # the dashboard's monthly series, kept alike
TREND_KEY = ("programme_id", "series", "month", "subproject_id", "municipality")


def _trend_contribution(rows: str, sign: str, condition: str = "true") -> str:
    """The months a set of participant rows `p` counts in, in each monthly series."""
    series = ", ".join(f"('{name}', {day}, {counted})" for name, (day, counted) in TRENDS.items())
    return (
        "SELECT p.programme_id, t.series, date_trunc('month', t.day)::date AS month, p.subproject_id,"
        f" p.municipality, {sign} AS n FROM {rows} CROSS JOIN LATERAL (VALUES {series}) AS t(series, day, counted)"
        f" WHERE t.day IS NOT NULL AND t.counted AND {condition}"
    )


def _trend_summed(contributions: str) -> str:
    key = ", ".join(TREND_KEY)
    return (
        f"INSERT INTO {TRENDS_TABLE} AS c ({key}, n) SELECT {key}, sum(n) FROM ({contributions}) AS contribution"
        f" GROUP BY {key} ON CONFLICT ({key}) DO UPDATE SET n = c.n + EXCLUDED.n"
    )


def _trend_table(schema: str) -> str:
    key = ", ".join(f"{k} {'date' if k == 'month' else 'text'}" for k in TREND_KEY)
    return (
        f"CREATE TABLE {schema}.{TRENDS_TABLE} ({key}, n bigint NOT NULL DEFAULT 0,"
        f" CONSTRAINT {TRENDS_TABLE}_cell UNIQUE NULLS NOT DISTINCT ({', '.join(TREND_KEY)}))"
    )


def _counted(rows: str, condition: str = "true") -> list[str]:
    """Every count of the participant rows `p`, added to the kept ones."""
    return [
        _summed(_contribution(rows, "1", condition)),
        _trend_summed(_trend_contribution(rows, "1", condition)),
    ]


def definitions_hash() -> str:
    """What the cube is derived from: when it changes, everything is counted again."""
    return hashlib.sha256("".join(_ddl()).encode()).hexdigest()[:16]


def _table(schema: str) -> str:
    key = ", ".join(f"{k} {_KEY_TYPES.get(k, 'text')}" for k in KEY)
    counts = ", ".join(f"{c} bigint NOT NULL DEFAULT 0" for c in _COUNTS)
    return (
        f"CREATE TABLE {schema}.{TABLE} ({key}, last_event_at timestamptz, {counts},"
        f" CONSTRAINT {TABLE}_cell UNIQUE NULLS NOT DISTINCT ({', '.join(KEY)}))"
    )


def _ddl() -> list[str]:
    old, new = ("(SELECT (OLD).*) AS p", "-1", "TG_OP <> 'INSERT'"), ("(SELECT (NEW).*) AS p", "1", "TG_OP <> 'DELETE'")
    changed = _summed(_contribution(*old) + " UNION ALL " + _contribution(*new))
    changed_months = _trend_summed(_trend_contribution(*old) + " UNION ALL " + _trend_contribution(*new))
    recount = "; ".join(_counted("participant_progress p", "p.programme_id = programme"))
    return [
        _table("public"),
        _trend_table("public"),
        # a participant's row changed: their old cells lose them, their new ones gain them
        "CREATE OR REPLACE FUNCTION figure_count_changed() RETURNS trigger LANGUAGE plpgsql AS $$"
        f" BEGIN {changed}; {changed_months}; RETURN NULL; END $$",
        # a programme's settings changed (or it arrived after its participants): count it again
        "CREATE OR REPLACE FUNCTION figure_count_recount(programme text) RETURNS void LANGUAGE plpgsql AS $$"
        f" BEGIN DELETE FROM {TABLE} WHERE programme_id = programme;"
        f" DELETE FROM {TRENDS_TABLE} WHERE programme_id = programme; {recount}; END $$",
        "CREATE OR REPLACE FUNCTION figure_count_programme_changed() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN"
        " PERFORM figure_count_recount(CASE TG_OP WHEN 'DELETE' THEN OLD.id ELSE NEW.id END); RETURN NULL; END $$",
    ]


def _attach(schema: str) -> list[str]:
    return [
        f"CREATE TRIGGER figure_count_kept AFTER INSERT OR UPDATE OR DELETE ON {schema}.participant_progress"
        " FOR EACH ROW EXECUTE FUNCTION figure_count_changed()",
    ]


_PROGRAMME_TRIGGERS = [
    "DROP TRIGGER IF EXISTS figure_count_settings ON public.catalogue_programme",
    "DROP TRIGGER IF EXISTS figure_count_programme_added ON public.catalogue_programme",
    "CREATE TRIGGER figure_count_settings AFTER UPDATE ON public.catalogue_programme FOR EACH ROW"
    " WHEN (OLD IS DISTINCT FROM NEW) EXECUTE FUNCTION figure_count_programme_changed()",
    "CREATE TRIGGER figure_count_programme_added AFTER INSERT OR DELETE ON public.catalogue_programme FOR EACH ROW"
    " EXECUTE FUNCTION figure_count_programme_changed()",
]


async def ensure_cube(conn: AsyncConnection) -> bool:
    """Create the counts, their functions and triggers if missing or derived from other definitions, and count
    every participant; True if it did. Run in a transaction that holds the rebuild's lock (no consumer in between)."""
    await conn.execute(text("CREATE TABLE IF NOT EXISTS figure_count_definition (hash text NOT NULL)"))
    current = (await conn.execute(text("SELECT hash FROM figure_count_definition"))).scalar()
    exists = (await conn.execute(text("SELECT to_regclass('public.figure_count') IS NOT NULL"))).scalar()
    wanted = definitions_hash()
    if current == wanted and exists:
        return False
    await conn.execute(text("DROP TRIGGER IF EXISTS figure_count_kept ON public.participant_progress"))
    await conn.execute(text(f"DROP TABLE IF EXISTS public.{TABLE}, public.{TRENDS_TABLE}"))
    await conn.execute(text("SET LOCAL search_path = public"))
    for statement in [*_ddl(), *_attach("public"), *_PROGRAMME_TRIGGERS, *_counted("participant_progress p")]:
        await conn.execute(text(statement))
    await conn.execute(text("DELETE FROM figure_count_definition"))
    await conn.execute(text("INSERT INTO figure_count_definition VALUES (:h)"), {"h": wanted})
    return True


async def cube_for_rebuild(conn: AsyncConnection, schema: str) -> None:
    """The counts of a projection filled in another schema, kept from now on by its own trigger: swapped in with it.

    Counted with CREATE TABLE AS, which PostgreSQL can run with parallel workers (an INSERT … SELECT never is), then
    given the columns' defaults and the cells' uniqueness that _table and _trend_table declare."""
    await conn.execute(text(f"SET LOCAL search_path = {schema}, public"))
    # a table just filled by COPY has no statistics: without them the planner takes a million rows for a few thousand
    # and sorts wide rows to group them; with them and room to hash, it groups in memory (bench/rebuild.py)
    await conn.execute(text(f"ANALYZE {schema}.participant_progress"))
    await conn.execute(text(f"SET LOCAL work_mem = '{REBUILD_WORK_MEM}'"))
    # it still guesses a group per row and would sort the wide rows (more than half the time); hashing spills to disk
    # if the groups outgrow work_mem, so forbidding the sort is safe
    await conn.execute(text("SET LOCAL enable_sort = off"))
    for statement in _created(schema, f"{schema}.participant_progress p"):
        await conn.execute(text(statement))
    for statement in _attach(schema):
        await conn.execute(text(statement))


REBUILD_WORK_MEM = "256MB"  # for the rebuild's one counting transaction only


def _created(schema: str, rows: str) -> list[str]:
    """The two tables of counts created from the rows' counts, shaped as _table and _trend_table shape them."""
    key = ", ".join(f"{k}::{_KEY_TYPES.get(k, 'text')} AS {k}" for k in KEY)
    sums = ", ".join(f"sum({c})::bigint AS {c}" for c in _COUNTS)
    counts = ", ".join(f"ALTER COLUMN {c} SET NOT NULL, ALTER COLUMN {c} SET DEFAULT 0" for c in ["n", *_FIGURES])
    trend_key = ", ".join(f"{k}::{'date' if k == 'month' else 'text'} AS {k}" for k in TREND_KEY)
    return [
        f"CREATE TABLE {schema}.{TABLE} AS SELECT {key}, max(last_event_at) AS last_event_at, {sums}"
        f" FROM ({_contribution(rows, '1')}) AS contribution GROUP BY {', '.join(KEY)}",
        f"ALTER TABLE {schema}.{TABLE} {counts},"
        f" ADD CONSTRAINT {TABLE}_cell UNIQUE NULLS NOT DISTINCT ({', '.join(KEY)})",
        f"CREATE TABLE {schema}.{TRENDS_TABLE} AS SELECT {trend_key}, sum(n)::bigint AS n"
        f" FROM ({_trend_contribution(rows, '1')}) AS contribution GROUP BY {', '.join(TREND_KEY)}",
        f"ALTER TABLE {schema}.{TRENDS_TABLE} ALTER COLUMN n SET NOT NULL, ALTER COLUMN n SET DEFAULT 0,"
        f" ADD CONSTRAINT {TRENDS_TABLE}_cell UNIQUE NULLS NOT DISTINCT ({', '.join(TREND_KEY)})",
    ]


# A sum of bigints is a numeric; cast back, as no cell's count comes near 2^63: a numeric costs PostgreSQL and the
# driver more than a bigint, fifty-seven times a row.
SUMS = ", ".join(f"coalesce(sum(c.{f}), 0)::bigint AS {f}" for f in _FIGURES)

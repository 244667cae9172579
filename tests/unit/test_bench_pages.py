"""The pages benchmark's pure parts: arguments, percentiles and the table, the bare pages' size, the histories."""

from __future__ import annotations

import math
import random
from datetime import date
from uuid import uuid4

import httpx
import pytest

from bench.pages import MIN_ENTRIES, Timed, parse_args, report, table_rows, timeline_items
from bench.pages_bare import BARE_TEMPLATES, bare_case_context, bare_cases_context, create_bare_app, sized
from bench.pages_fill import long_history, short_history
from shared.contracts import REGISTRY, AboutParticipant


def test_the_defaults_are_the_issues_sizes() -> None:
    args = parse_args([])
    assert (args.cases, args.entries) == (500, 100)
    assert args.requests > 0


def test_the_sizes_and_the_number_of_requests_can_be_given() -> None:
    args = parse_args(["--cases", "40", "--entries", "12", "--requests", "7"])
    assert (args.cases, args.entries, args.requests) == (40, 12, 7)


@pytest.mark.parametrize(
    "argv", [["--cases", "0"], ["--requests", "-1"], ["--entries", "x"], ["--entries", str(MIN_ENTRIES - 1)]]
)
def test_sizes_below_what_can_be_filled_are_refused(argv: list[str]) -> None:
    with pytest.raises(SystemExit):
        parse_args(argv)


def _timed(label: str, latencies: list[float], size: int = 2048) -> Timed:
    return Timed(label, size_bytes=size, latencies_ms=latencies)


def test_the_percentiles_are_the_nearest_rank_of_the_latencies_in_any_order() -> None:
    timed = _timed("x", [float(v) for v in range(100, 0, -1)])
    assert (timed.p(50), timed.p(95), timed.p(100)) == (50.0, 95.0, 100.0)
    assert math.isnan(Timed("nothing").p(95))


def test_the_table_puts_each_page_under_its_reference_with_the_ratio_of_the_p95s() -> None:
    page = _timed("Mine sager", [10.0] * 19 + [40.0], size=10 * 1024)
    bare = _timed("bare page", [1.0] * 19 + [4.0], size=5 * 1024)
    lines = report([(page, bare)])
    assert lines[0].split() == ["what", "p50", "ms", "p95", "ms", "max", "ms", "KB", "p95", "vs", "bare"]
    assert lines[1].startswith("bare page") and lines[1].endswith("(reference)")
    assert lines[2].startswith("Mine sager") and lines[2].endswith("10.0 x")
    assert lines[2].split()[2:6] == ["10.0", "10.0", "40.0", "10.0"]  # p50, p95, max, KB


def test_the_table_says_how_many_answers_were_not_200() -> None:
    page = _timed("case page", [5.0])
    page.errors = 3
    assert "case page: 3 answers were not 200" in "\n".join(report([(page, _timed("bare", [1.0]))]))


def test_rows_and_timeline_entries_are_counted_as_the_real_pages_mark_them() -> None:
    html = (
        '<table class="cases"><tbody><tr><th scope="row"><a href="/cases/RUM-000001">RUM-000001</a></th></tr>'
        '<tr>\n  <th scope="row">RUM-000002</th></tr></tbody></table>'
        '<ul class="pending"><li>x</li></ul><ol class="timeline">\n<li><time>1</time> a</li>\n<li>b</li></ol><li>c</li>'
    )
    assert (table_rows(html), timeline_items(html)) == (2, 2)
    assert timeline_items("<p>no timeline</p>") == 0


@pytest.mark.parametrize(("rows", "entries"), [(25, 100), (3, 7), (0, 0)])
async def test_the_bare_pages_hold_as_many_rows_and_entries_as_asked(rows: int, entries: int) -> None:
    bare = create_bare_app(bare_cases_context(rows, 500), bare_case_context(entries))
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=bare), base_url="http://bare") as client:
        listed, shown = await client.get("/cases"), await client.get("/case")
    assert (listed.status_code, shown.status_code) == (200, 200)
    assert table_rows(listed.text) == rows
    assert timeline_items(shown.text) == entries


def test_the_bare_pages_grow_with_their_rows_as_the_real_ones_do() -> None:
    """A row and an entry each weigh about what the real pages' do (a table row of five cells, a line of words)."""

    def size(rows: int, entries: int) -> tuple[int, int]:
        cases = BARE_TEMPLATES.get_template("cases.html").render(**bare_cases_context(rows, 500))
        case = BARE_TEMPLATES.get_template("case.html").render(**bare_case_context(entries))
        return len(cases.encode()), len(case.encode())

    (cases_0, case_0), (cases_25, case_100) = size(0, 0), size(25, 100)
    assert 150 <= (cases_25 - cases_0) / 25 <= 350
    assert 80 <= (case_100 - case_0) / 100 <= 200


HAPPENED_ON = {"waitlisted_on", "enrolled_on", "started_on", "left_on", "withdrawn_on"}


def test_a_short_history_is_a_valid_set_of_facts_about_its_case_and_never_in_the_future() -> None:
    rng, pid, today = random.Random(3), uuid4(), date(2026, 12, 5)
    for _ in range(50):
        for fact in short_history(pid, date(2026, 6, 1), today, rng):
            assert isinstance(fact, AboutParticipant) and fact.participant_id == pid
            REGISTRY.wire(type(fact))  # a registered contract intake's consumer handles
            happened = {k: v for k, v in fact.model_dump().items() if k in HAPPENED_ON}
            assert all(day <= today for day in happened.values())


def test_the_long_history_goes_on_for_as_long_as_it_is_asked() -> None:
    pid = uuid4()
    history = long_history(pid, date(2024, 3, 1))
    facts = [next(history) for _ in range(120)]
    assert all(f.participant_id == pid for f in facts)
    assert len({type(f) for f in facts}) >= 8


def test_parts_timed_in_process_follow_the_pages_without_a_size_or_a_ratio() -> None:
    part = _timed("of which the query", [3.0], size=0)
    lines = report([(_timed("page", [10.0]), _timed("bare", [1.0]))], [part])
    assert lines[-1].startswith("of which the query") and lines[-1].endswith("(in-process)")
    assert lines[-1].split()[-2] == "-"


def _rendered(template: str, context: dict[str, object]) -> int:
    return len(BARE_TEMPLATES.get_template(template).render(**context).encode())


@pytest.mark.parametrize(
    ("template", "made"), [("cases.html", bare_cases_context(25, 500)), ("case.html", bare_case_context(100))]
)
@pytest.mark.parametrize("extra", [150, 1_000, 11_913, 40_000])
def test_the_bare_page_is_padded_with_form_fields_to_the_real_pages_size(
    template: str, made: dict[str, object], extra: int
) -> None:
    target = _rendered(template, made) + extra
    padded = sized(template, made, target)
    # within a field's bytes, or the form's own (its start and button) where the rows leave less than that
    form = _rendered(template, made | {"fields": 1}) - _rendered(template, made | {"fields": 0})
    assert abs(_rendered(template, padded) - target) <= form
    assert table_rows(BARE_TEMPLATES.get_template(template).render(**padded)) == (25 if template == "cases.html" else 0)


def test_a_real_page_no_larger_than_the_bare_rows_gets_no_padding() -> None:
    made = bare_case_context(100)
    assert sized("case.html", made, _rendered("case.html", made) - 1)["fields"] == 0

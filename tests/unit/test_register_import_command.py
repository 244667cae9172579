"""The import command's progress, without a database: a line at most every two seconds off a terminal, and the
last one always; the counts only, never a row's content."""

from __future__ import annotations

import io

from services.intake import register_import


def test_off_a_terminal_progress_is_a_line_now_and_then_and_the_last_always() -> None:
    clock = iter([100.0, 100.5, 101.0, 103.0, 103.1])
    out = io.StringIO()
    show = register_import.progress_bar(out, width=10, clock=lambda: next(clock))
    for done in (2_000, 4_000, 6_000, 8_000, 10_000):
        show(done, 10_000, 3, 2)
    lines = out.getvalue().splitlines()
    assert lines == [
        "[##........]  20% 2,000/10,000 rows, 3 participants matched, 2 findings",
        "[########..]  80% 8,000/10,000 rows, 3 participants matched, 2 findings",
        "[##########] 100% 10,000/10,000 rows, 3 participants matched, 2 findings",
    ]

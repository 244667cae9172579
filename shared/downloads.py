"""Files people download and open in a spreadsheet: CSV as Danish Excel reads it, and XLSX workbooks."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Mapping, Sequence

from fastapi.responses import Response
from openpyxl import Workbook

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
# What a spreadsheet would run as a formula at the start of a text cell (CSV injection)
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def as_text(value: object) -> object:
    """A text cell a spreadsheet shows as text: a value like =HYPERLINK(...) is not run; numbers stay numbers."""
    return "'" + value if isinstance(value, str) and value.startswith(FORMULA_STARTS) else value


def csv_download(rows: Iterable[Sequence[object]], filename: str, headers: Mapping[str, str] | None = None) -> Response:
    """Semicolon-separated, with a byte-order mark, so that Danish Excel reads the columns and the letters right."""
    out = io.StringIO()
    csv.writer(out, delimiter=";").writerows([as_text(v) for v in row] for row in rows)
    return Response(
        "\ufeff" + out.getvalue(),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{filename}"', **(headers or {})},
    )


def xlsx_download(book: Workbook, filename: str) -> Response:
    """A workbook as a file to save."""
    out = io.BytesIO()
    book.save(out)
    return Response(
        out.getvalue(), media_type=XLSX, headers={"Content-Disposition": f'attachment; filename="{filename}"'}
    )

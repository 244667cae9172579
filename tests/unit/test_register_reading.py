"""Reading an extract file without a database: the whole file checked before a row is applied, its faults named."""

from __future__ import annotations

import hashlib
import io
from datetime import date

import pytest

from services.intake.register.domain import ExtractRefused
from services.intake.register.reading import MAX_FIELD, check, slices

TODAY = date(2026, 12, 5)
HEADER = "cpr,y_2620,y_2621,grad_2026_05\n"
ROWS = ["0101901234,111,,0.5\n", "0202902345,,651,\n", "0303903456,890,890,1\n"]


def file(text: str | bytes) -> io.BytesIO:
    return io.BytesIO(text.encode() if isinstance(text, str) else text)


def refusal(content: str | bytes, *, max_bytes: int = 1 << 20) -> ExtractRefused:
    with pytest.raises(ExtractRefused) as caught:
        check(file(content), max_bytes=max_bytes, today=TODAY)
    return caught.value


def test_a_valid_file_is_digested_counted_and_read_in_slices_after_those_done() -> None:
    content = HEADER + "".join(ROWS) + "\n"  # a blank last line is no row
    checked = check(file(content), max_bytes=1 << 20, today=TODAY)
    assert checked.digest == hashlib.sha256(content.encode()).hexdigest()
    assert checked.rows == 3
    every = [(n, fields[0]) for batch in slices(file(content), skip=0, size=2) for n, fields in batch]
    assert every == [(1, "0101901234"), (2, "0202902345"), (3, "0303903456")]
    assert [[(n, f[0]) for n, f in b] for b in slices(file(content), skip=2, size=2)] == [[(3, "0303903456")]]


def test_semicolons_crlf_and_a_byte_order_mark_are_read_as_danish_spreadsheets_write_them() -> None:
    content = "\ufeff" + (HEADER + "".join(ROWS)).replace(",", ";").replace("\n", "\r\n")
    checked = check(file(content.encode("utf-8")), max_bytes=1 << 20, today=TODAY)
    assert checked.rows == 3 and checked.layout.cpr == 0


@pytest.mark.parametrize(
    ("content", "code", "words"),
    [
        (b"", "malformed-file", "empty"),
        (HEADER, "malformed-file", "a header and no rows"),
        ("\n" + "".join(ROWS), "malformed-file", "the header, is empty"),
        ((HEADER + ROWS[0]).encode("utf-16"), "malformed-file", "not UTF-8"),
        (HEADER.encode() + b"0101901234,\xff\xfe,,\n", "malformed-file", "not UTF-8"),
        (HEADER + '0101901234,"111,,\n', "malformed-file", "not CSV"),
        (HEADER + "0101901234,\x00,,\n", "malformed-file", "line 2: a control character"),
        (HEADER + "0101901234,111\x1f222,,\n", "malformed-file", "line 2: a control character"),
        (HEADER + "0101901234, 12 ,,\n", "invalid-code", "three digits or blank"),
        (HEADER + "0101901234," + "1" * (MAX_FIELD + 1) + ",,\n", "malformed-file", "longer than"),
        (HEADER + ROWS[0] + ROWS[1] + ROWS[0], "duplicate-row", "row 3: this CPR number has a row already"),
        (HEADER + ROWS[0] + "0101901234,111\n", "malformed-row", "row 2 has 2 fields"),
        ("cpr,y_2654\n" + "0101901234,\n", "wrong-header", "no ISO week 54"),
        (HEADER + "2902214123,,,\n", "invalid-cpr", "row 1"),
    ],
)
def test_a_faulty_file_is_refused_whole_naming_the_first_fault(content: str | bytes, code: str, words: str) -> None:
    refused = refusal(content)
    assert refused.code == code and words in refused.message, refused.message
    assert "0101901234" not in refused.message


def test_a_file_over_the_limit_is_refused_before_its_rows_are_read() -> None:
    content = HEADER + "".join(ROWS)
    refused = refusal(content, max_bytes=len(content) - 1)
    assert refused.code == "too-large"
    assert check(file(content), max_bytes=len(content), today=TODAY).rows == 3

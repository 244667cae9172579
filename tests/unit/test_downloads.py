"""The files people open in a spreadsheet: CSV as Danish Excel reads it, never a formula from a text cell."""

from __future__ import annotations

from shared.downloads import csv_download


def test_a_csv_has_a_byte_order_mark_semicolons_and_its_file_name() -> None:
    answer = csv_download([["figur", "antal"], ["deltagere", 12]], "rummelig.csv", {"Link": "<next>"})
    assert bytes(answer.body).decode() == "\ufefffigur;antal\r\ndeltagere;12\r\n"
    assert answer.headers["content-disposition"] == 'attachment; filename="rummelig.csv"'
    assert (answer.headers["link"], answer.media_type) == ("<next>", "text/csv; charset=utf-8")


def test_a_text_cell_a_spreadsheet_would_run_is_kept_as_text_and_numbers_stay_numbers() -> None:
    cells = ["=HYPERLINK(1)", "+1", "-x", "@SUM(A1)", "\tx", "plain", -5, "<5"]
    body = bytes(csv_download([cells], "x.csv").body).decode().lstrip("\ufeff")
    assert body == "'=HYPERLINK(1);'+1;'-x;'@SUM(A1);'\tx;plain;-5;<5\r\n"

"""Reading an extract file: its digest, every row checked before anything is applied, then its rows in slices.

The file is read from a binary file object three times (digest, check, apply) and never copied: an upload waits in an
anonymous temporary file, which no path names and which goes with the process.
"""

from __future__ import annotations

import codecs
import csv
import hashlib
import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from typing import BinaryIO

from services.intake.register.domain import ExtractRefused, Layout, check_row, read_header

BLOCK = 1 << 20
_CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")  # every C0 control but tab and line ends, and DEL
MAX_FIELD = 64  # a DREAM field is a code, a degree or a CPR number: a longer one means a wrong file
csv.field_size_limit(MAX_FIELD * 1024)  # the csv module's own bound; longer fields are refused below


@dataclass(frozen=True)
class Checked:
    """A file whose every row is valid: its SHA-256, its data rows and its header."""

    digest: str
    rows: int
    layout: Layout


def digest(file: BinaryIO, *, max_bytes: int) -> str:
    """The file's SHA-256, refusing it once it is over the limit."""
    file.seek(0)
    sha, size = hashlib.sha256(), 0
    while block := file.read(BLOCK):
        size += len(block)
        if size > max_bytes:
            raise ExtractRefused("too-large", f"the file is larger than {max_bytes:,} bytes")
        sha.update(block)
    if size == 0:
        raise ExtractRefused("malformed-file", "the file is empty")
    return sha.hexdigest()


def check(file: BinaryIO, *, max_bytes: int, today: date) -> Checked:
    """Digest the file and check every row: a CPR number twice is refused like any invalid row."""
    sha = digest(file, max_bytes=max_bytes)
    seen: set[int] = set()  # the CPR numbers as integers, in memory for this check only
    rows = 0
    layout, reader = _open(file)
    for number, fields in _numbered(reader):
        key = int(check_row(layout, fields, number, today=today))
        if key in seen:
            raise ExtractRefused("duplicate-row", f"row {number}: this CPR number has a row already")
        seen.add(key)
        rows = number
    if rows == 0:
        raise ExtractRefused("malformed-file", "the file has a header and no rows")
    return Checked(sha, rows, layout)


Row = tuple[int, list[str]]  # a data row's number (from 1) and its fields


def slices(file: BinaryIO, *, skip: int, size: int) -> Iterator[list[Row]]:
    """The rows after the first `skip`, `size` at a time, as fields (the file was checked)."""
    _, reader = _open(file)
    batch: list[Row] = []
    for number, fields in _numbered(reader):
        if number <= skip:
            continue
        batch.append((number, fields))
        if len(batch) == size:
            yield batch
            batch = []
    if batch:
        yield batch


def _open(file: BinaryIO) -> tuple[Layout, Iterator[list[str]]]:
    file.seek(0)
    # line by line (a line ends at a newline byte, never inside a UTF-8 character), the BOM dropped if there is one
    text = _plain(codecs.iterdecode(iter(file), "utf-8-sig"))
    try:
        first = next(text, "")
    except UnicodeDecodeError:
        raise ExtractRefused("malformed-file", "the file is not UTF-8 text (a CSV file was expected)") from None
    if not first.strip():
        raise ExtractRefused("malformed-file", "the first line, the header, is empty")
    delimiter = ";" if first.count(";") > first.count(",") else ","
    header = _rows(csv.reader([first], delimiter=delimiter, strict=True), offset=0)
    layout = read_header(next(header))
    return layout, _rows(csv.reader(text, delimiter=delimiter, strict=True), offset=1)


def _plain(lines: Iterator[str]) -> Iterator[str]:
    """The lines, refusing a control character (a binary file, or a field the checks' joined match could misread)."""
    for number, line in enumerate(lines, 1):
        if _CONTROL.search(line):
            raise ExtractRefused("malformed-file", f"line {number}: a control character (a CSV file was expected)")
        yield line


def _rows(reader: Iterator[list[str]], *, offset: int) -> Iterator[list[str]]:
    line = offset
    while True:
        try:
            fields = next(reader)
        except StopIteration:
            return
        except UnicodeDecodeError:
            raise ExtractRefused("malformed-file", f"after line {line + 1}: not UTF-8 text") from None
        except csv.Error as exc:
            raise ExtractRefused("malformed-file", f"line {line + 1}: not CSV ({exc})") from None
        line += 1
        if max(map(len, fields), default=0) > MAX_FIELD:
            raise ExtractRefused("malformed-file", f"line {line}: a field longer than {MAX_FIELD} characters")
        yield fields


def _numbered(rows: Iterator[list[str]]) -> Iterator[Row]:
    number = 0
    for fields in rows:
        if not fields or (len(fields) == 1 and not fields[0].strip()):
            continue  # a blank line (the last one, usually)
        number += 1
        yield number, fields

"""Large xlsx exports in constant memory: xlsxwriter's constant_memory mode into a temporary file,
then the file streamed to the client in chunks.

The cell rules follow `core.tabular.write`: text is a typed string cell (``write_string``: formula-
looking text is stored as text and never evaluated, no apostrophe added; no string is ever turned
into a formula, a number or a link), control characters XML cannot hold are removed, integers of
16+ digits and non-finite numbers are text / empty, dates are real dates, aware datetimes in China
time. Header bold and tinted, frozen at A2, widths sized for CJK text from the first 200 rows.

Memory: xlsxwriter keeps one row at a time (constant_memory) and the caller feeds rows from the
database in chunks, so a 100,000-row export holds neither the rows nor the workbook in memory.
"""
from __future__ import annotations

import datetime as dt
import math
import os
import tempfile
from decimal import Decimal
from itertools import chain, islice
from typing import Any, Iterable, Iterator, Sequence
from urllib.parse import quote

import xlsxwriter

from core.tabular.text import EXCEL_MAX_DIGITS, LOCAL_TZ, _decimal_text
from core.tabular.write import ILLEGAL_CHARACTERS_RE, _COLUMN_FORMATS, _display_width, _plain_text, _sheet_title

_BIG = 10 ** EXCEL_MAX_DIGITS
CHUNK = 64 * 1024
_OPTIONS = {"constant_memory": True, "strings_to_formulas": False, "strings_to_numbers": False,
            "strings_to_urls": False, "nan_inf_to_errors": False}


def write_xlsx_file(path: str, headers: Sequence[str], rows: Iterable[Sequence[Any]], *,
                    sheet_name: str = "Sheet1", column_types: dict[int, str] | None = None) -> int:
    """Write one sheet to `path` (see the module docstring); returns the number of data rows.

    ``column_types`` maps a 0-based column to 'text', 'int', 'number', 'money', 'percent', 'date' or
    'datetime' (as in :func:`core.tabular.write.write_xlsx`); a 'text' column writes every value as text.
    """
    wb = xlsxwriter.Workbook(path, _OPTIONS)
    try:
        return _write_sheet(wb, sheet_name, headers, rows, column_types or {})
    finally:
        wb.close()


def _write_sheet(wb, name: str, headers: Sequence[str], rows: Iterable[Sequence[Any]],
                 column_types: dict[int, str]) -> int:
    for kind in column_types.values():
        if kind not in _COLUMN_FORMATS:
            raise ValueError(f"unknown column type {kind!r}; expected one of {sorted(_COLUMN_FORMATS)}")
    ws = wb.add_worksheet(_sheet_title(name))
    formats = {col: wb.add_format({"num_format": _COLUMN_FORMATS[kind]}) for col, kind in column_types.items()
               if kind not in ("number",)}
    date_fmt = wb.add_format({"num_format": _COLUMN_FORMATS["date"]})
    datetime_fmt = wb.add_format({"num_format": _COLUMN_FORMATS["datetime"]})
    header_fmt = wb.add_format({"bold": True, "bg_color": "#DDEBF7"})
    text_cols = {col for col, kind in column_types.items() if kind == "text"}

    it = iter(rows)
    sample = [list(r) for r in islice(it, 200)]
    _size_columns(ws, headers, sample, formats)
    ws.freeze_panes(1, 0)
    for col, h in enumerate(headers):
        ws.write_string(0, col, _clean(str(h)), header_fmt)
    n = 0
    for n, row in enumerate(chain(sample, it), start=1):
        for col, value in enumerate(row):
            _write_cell(ws, n, col, value, formats.get(col), col in text_cols, date_fmt, datetime_fmt)
    return n


def _size_columns(ws, headers, sample, formats) -> None:
    """Width = widest line (CJK counts 2) + 2, clamped to [8, 60]; the column's number format as default."""
    ncols = max([len(headers), *(len(r) for r in sample)], default=0)
    for col in range(ncols):
        texts = [str(headers[col]) if col < len(headers) else ""]
        texts += [_plain_text(r[col]) for r in sample if col < len(r)]
        width = max(_display_width(t) for t in texts)
        ws.set_column(col, col, min(max(width + 2, 8), 60), formats.get(col))


def _clean(text: str) -> str:
    return text if text.isprintable() else ILLEGAL_CHARACTERS_RE.sub("", text)


def _write_cell(ws, r: int, c: int, value: Any, fmt, as_text: bool, date_fmt, datetime_fmt) -> None:
    t = type(value)
    if value is None:
        return
    if t is str:
        if value:
            ws.write_string(r, c, _clean(value), fmt)
        return
    if as_text:
        ws.write_string(r, c, _clean(_plain_text(value)), fmt)
        return
    if t is bool:
        ws.write_boolean(r, c, value, fmt)
    elif isinstance(value, int):
        value = int(value)
        if -_BIG < value < _BIG:
            ws.write_number(r, c, value, fmt)
        else:
            ws.write_string(r, c, str(value), fmt)
    elif isinstance(value, float):
        if math.isfinite(value):
            ws.write_number(r, c, value, fmt)
    elif isinstance(value, Decimal):
        if value.is_finite():
            if abs(value) < _BIG:
                ws.write_number(r, c, float(value), fmt)
            else:
                ws.write_string(r, c, _decimal_text(value), fmt)
    elif isinstance(value, dt.datetime):
        if value.tzinfo is not None:
            value = value.astimezone(LOCAL_TZ).replace(tzinfo=None)
        ws.write_datetime(r, c, value, fmt or datetime_fmt)
    elif isinstance(value, dt.date):
        ws.write_datetime(r, c, dt.datetime.combine(value, dt.time()), fmt or date_fmt)
    else:
        ws.write_string(r, c, _clean(str(value)), fmt)


def stream_file(path: str) -> Iterator[bytes]:
    """The file's bytes in chunks; the file is removed once read (or when the client goes away)."""
    try:
        with open(path, "rb") as fh:
            while chunk := fh.read(CHUNK):
                yield chunk
    finally:
        _remove(path)


def content_disposition(filename: str) -> str:
    """An attachment header for `filename` (UTF-8 names too, RFC 6266)."""
    ascii_name = filename.encode("ascii", "replace").decode().replace('"', "")
    return f"attachment; filename=\"{ascii_name}\"; filename*=UTF-8''{quote(filename)}"


def temp_path(suffix: str = ".xlsx") -> str:
    """A new empty temporary file's path (the caller removes it, e.g. through :func:`stream_file`)."""
    fd, path = tempfile.mkstemp(prefix="yz-export-", suffix=suffix)
    os.close(fd)
    return path


def _remove(path: str) -> None:
    try:
        os.remove(path)
    except FileNotFoundError:
        pass

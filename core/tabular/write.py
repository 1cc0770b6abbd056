"""Writing: xlsx (streamed, typed cells; text always a string cell) and CSV exports (formula escaping)."""
from __future__ import annotations

import codecs
import csv
import datetime as dt
import io
import math
import re
import unicodedata
from decimal import Decimal
from itertools import chain, islice
from typing import Any, Iterable, Sequence

from functools import cache

from core.tabular.text import EXCEL_MAX_DIGITS, LOCAL_TZ, _decimal_text, _float_text

# openpyxl (which imports numpy: ~40 MB with it) is imported by the functions that write a workbook, not at
# start-up: a process that only reads CSV (`flask import`) never loads it. Its two constants the cell rules
# need are copied here (tests/core/test_tabular.py checks they still equal openpyxl's).
ILLEGAL_CHARACTERS_RE = re.compile(r"[\000-\010]|[\013-\014]|[\016-\037]")
ERROR_CODES = ("#NULL!", "#DIV/0!", "#VALUE!", "#REF!", "#NAME?", "#NUM!", "#N/A")

_FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")


def escape_formula(value: Any) -> Any:
    """Neutralise spreadsheet formula injection (OWASP "CSV injection") in CSV, where a cell has no type.

    (xlsx needs no prefix: its text is stored as typed string cells, never evaluated.)
    Rules: a ``str`` starting with '=', '+', '-', '@', tab or CR gets a leading
    single quote; every other value (including negative numbers) is returned
    unchanged.
    """
    if isinstance(value, str) and value.startswith(_FORMULA_TRIGGERS):
        return "'" + value
    return value


def unescape_formula(value: str) -> str:
    """Undo :func:`escape_formula` on text read back from one of our exports."""
    if value.startswith("'") and value[1:2] and value[1:].startswith(_FORMULA_TRIGGERS):
        return value[1:]
    return value


_BIG_INT = 10 ** EXCEL_MAX_DIGITS

_COLUMN_FORMATS = {
    "text": "@", "int": "0", "number": "General", "money": "#,##0.00", "money_yi": "#,##0.00##",
    "percent": "0.00%", "date": "yyyy-mm-dd", "datetime": "yyyy-mm-dd hh:mm:ss",
}


def write_xlsx(headers: Sequence[str], rows: Iterable[Sequence[Any]], *,
               sheet_name: str = "Sheet1",
               column_types: dict[int, str] | None = None) -> bytes:
    """Write one sheet as .xlsx bytes (openpyxl write-only, streams 100k+ rows).

    Rules: strings are stored exactly as given (only characters XML cannot hold
    are dropped) as typed string cells: text such as '=1+1' or '+cmd' is never a
    formula and carries no apostrophe; long digit strings such as credit codes
    never become numbers; ints/floats/Decimals
    are numbers, except integers of 16+ digits, which are written as text so
    Excel cannot round them; NaN/inf and None are empty; dates/datetimes are
    real dates ('yyyy-mm-dd' / 'yyyy-mm-dd hh:mm:ss'; aware datetimes are
    converted to China time).  Header bold, frozen at A2, widths sized for CJK.
    ``column_types`` maps a 0-based column to one of 'text', 'int', 'number',
    'money' (万元: two decimals), 'money_yi' (亿元: two to four decimals),
    'percent', 'date', 'datetime': the number format for that column
    (also as column default, so values typed later in a 'text' column stay text).
    """
    import openpyxl
    wb = openpyxl.Workbook(write_only=True)
    _append_sheet(wb, sheet_name, headers, rows, column_types)
    return _save(wb)


def _append_sheet(wb: Any, name: str, headers: Sequence[str], rows: Iterable[Sequence[Any]],
                  column_types: dict[int, str] | None) -> None:
    """One sheet of typed cells (text as string cells) appended to a write-only workbook."""
    formats = _column_formats(column_types)
    ws = wb.create_sheet(_sheet_title(name))
    it = iter(rows)
    sample = [list(r) for r in islice(it, 200)]
    _setup_sheet(ws, headers, sample, formats)
    ws.append(_header_cells(ws, headers))
    for row in chain(sample, it):
        ws.append(_xlsx_row(ws, row, formats))


def _column_formats(column_types: dict[int, str] | None) -> dict[int, str]:
    """Validate ``column_types`` and turn kinds into Excel number formats."""
    formats = {}
    for col, kind in (column_types or {}).items():
        if kind not in _COLUMN_FORMATS:
            raise ValueError(f"unknown column type {kind!r}; expected one of {sorted(_COLUMN_FORMATS)}")
        formats[col] = _COLUMN_FORMATS[kind]
    return formats


def _sheet_title(name: str) -> str:
    """A legal Excel sheet title: no []:*?/\\, at most 31 characters."""
    title = re.sub(r"[\[\]:*?/\\]", "_", name or "").strip("'")[:31]
    return title or "Sheet1"


def _xlsx_row(ws: Any, row: Sequence[Any], formats: dict[int, str]) -> list[Any]:
    """Convert one row of Python values to xlsx cell values (see :func:`write_xlsx`)."""
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.cell.cell import Cell
    out = [_xlsx_value(v) for v in row]
    for col, value in enumerate(out):
        if type(value) is str and _would_not_be_text(value):
            out[col] = text_cell(ws, value)
    for col, fmt in formats.items():
        if col < len(out) and out[col] is not None:
            value = out[col]
            if fmt == "@" and not isinstance(value, (str, Cell)):
                value = _xlsx_text(_plain_text(value))
            if isinstance(value, Cell):
                cell = value
            else:
                cell = text_cell(ws, value) if type(value) is str else WriteOnlyCell(ws, value=value)
            if fmt != "General":
                cell.number_format = fmt
            out[col] = cell
    return out


def _would_not_be_text(value: str) -> bool:
    """openpyxl stores every str as a string cell except '=…' (a formula) and '#N/A' etc. (errors)."""
    return value[:1] == "=" or value in ERROR_CODES


def text_cell(ws: Any, value: str) -> Any:
    """A cell holding ``value`` as a typed string, exactly (never a formula, no apostrophe)."""
    from openpyxl.cell import WriteOnlyCell
    cell = WriteOnlyCell(ws, value=_xlsx_text(value))
    cell.data_type = "s"
    return cell


def _xlsx_value(value: Any) -> Any:
    """One Python value → what openpyxl should store (str stays str)."""
    t = type(value)
    if t is str:
        return _xlsx_text(value)
    if value is None:
        return None
    if t is int:
        return value if -_BIG_INT < value < _BIG_INT else str(value)
    if t is float:
        return value if math.isfinite(value) else None
    if t is bool:
        return value
    if isinstance(value, Decimal):
        if not value.is_finite():
            return None
        return value if abs(value) < _BIG_INT else _decimal_text(value)
    if isinstance(value, dt.datetime):
        if value.tzinfo is not None:
            value = value.astimezone(LOCAL_TZ).replace(tzinfo=None)
        return value
    if isinstance(value, (dt.date, dt.time)):
        return value
    if isinstance(value, int):  # IntEnum etc.
        return _xlsx_value(int(value))
    if isinstance(value, float):
        return _xlsx_value(float(value))
    return _xlsx_text(str(value))


def _xlsx_text(value: str) -> str:
    """Remove the control characters XML cannot hold (openpyxl would raise)."""
    if not value.isprintable():
        value = ILLEGAL_CHARACTERS_RE.sub("", value)
    return value


def _plain_text(value: Any) -> str:
    """Text form of a value for CSV / text columns (numbers never scientific)."""
    if type(value) is str:
        return value
    if value is None:
        return ""
    if isinstance(value, float) and math.isfinite(value):
        return _float_text(value)
    if isinstance(value, Decimal):
        return _decimal_text(value)
    if isinstance(value, dt.datetime):
        if value.tzinfo is not None:
            value = value.astimezone(LOCAL_TZ).replace(tzinfo=None)
        return value.isoformat(sep=" ", timespec="seconds")
    if isinstance(value, (dt.date, dt.time)):
        return value.isoformat()
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    return str(value)


@cache
def _header_style() -> tuple[Any, Any]:
    """(font, fill) of header cells."""
    from openpyxl.styles import Font, PatternFill
    return Font(bold=True), PatternFill("solid", fgColor="DDEBF7")


def _header_cells(ws: Any, headers: Sequence[str]) -> list[Any]:
    """Bold, tinted header cells, typed strings."""
    cells = []
    font, fill = _header_style()
    for h in headers:
        cell = text_cell(ws, str(h))
        cell.font = font
        cell.fill = fill
        cells.append(cell)
    return cells


def _setup_sheet(ws: Any, headers: Sequence[str], sample: list[list[Any]],
                 formats: dict[int, str]) -> None:
    """Freeze the header row and size columns from the header plus a row sample.

    Rules: width = widest line in display units (CJK counts 2) + 2, clamped to
    [8, 60]; a column with a number format also gets it as column default style.
    """
    from openpyxl.utils import get_column_letter
    ws.freeze_panes = "A2"
    ncols = max([len(headers), *(len(r) for r in sample)], default=0)
    for col in range(ncols):
        texts = [headers[col] if col < len(headers) else ""]
        texts += [_plain_text(r[col]) for r in sample if col < len(r)]
        width = max(_display_width(t) for t in texts)
        dim = ws.column_dimensions[get_column_letter(col + 1)]
        dim.width = min(max(width + 2, 8), 60)
        if formats.get(col, "General") != "General":
            dim.number_format = formats[col]


def _display_width(text: str) -> int:
    """Width of the longest line, counting East Asian wide/full-width chars as 2."""
    ea = unicodedata.east_asian_width
    return max((sum(2 if ea(ch) in "WF" else 1 for ch in line)
                for line in str(text).splitlines() or [""]), default=0)


def _save(wb: Any) -> bytes:
    """Serialise a workbook to bytes."""
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def write_csv(headers: Sequence[str], rows: Iterable[Sequence[Any]]) -> bytes:
    """Write CSV bytes that Excel opens correctly: UTF-8 with BOM, CRLF.

    Rules: every cell goes through :func:`escape_formula` (strings only);
    None → ''; numbers in plain notation; datetime → 'YYYY-MM-DD HH:MM:SS'.
    Note Excel still turns long all-digit strings into numbers when *opening*
    a CSV — prefer xlsx for data with credit codes.
    """
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\r\n")
    writer.writerow([escape_formula(str(h)) for h in headers])
    for row in rows:
        writer.writerow([escape_formula(v) if isinstance(v, str) else _plain_text(v)
                         for v in row])
    return codecs.BOM_UTF8 + buf.getvalue().encode("utf-8", errors="replace")


def write_workbook(sheets: Iterable[tuple[str, Sequence[str], Sequence[Sequence[Any]], dict[int, str] | None]]
                   ) -> bytes:
    """Several sheets in one workbook, each written with :func:`write_xlsx`'s cell rules.

    ``sheets`` holds ``(name, headers, rows, column_types)`` per sheet.
    """
    import openpyxl
    wb = openpyxl.Workbook(write_only=True)
    for name, headers, rows, column_types in sheets:
        _append_sheet(wb, name, headers, rows, column_types)
    return _save(wb)

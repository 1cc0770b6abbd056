"""Spreadsheet import/export mechanics: read CSV/xlsx as text, map headers, read cells, write xlsx/CSV.

Pure functions and small dataclasses; no database.  The seams, one module each:

* ``errors``   — :class:`TableError` and its Chinese/English messages;
* ``table``    — :class:`Table` (a sheet as text) and the collector that builds it;
* ``csv_read`` / ``xlsx_read`` — the two readers; ``read`` — :func:`read_table` picks one;
* ``headers``  — :class:`Column`, :func:`map_headers`, :func:`locate_header` (title rows above the header);
* ``cells``    — the row-reading kit (:class:`Row`: text, required, date, number, amount, choice, flag)
  that collects every problem of a row with its column;
* ``write``    — :func:`write_xlsx` / :func:`write_workbook` / :func:`write_csv` with formula escaping;
* ``report``   — :func:`error_report_xlsx`.  The import
engine builds on :func:`read_table` + :func:`map_headers`; exports use
:func:`write_xlsx` / :func:`write_csv`; rejected uploads come back to the user
as :func:`error_report_xlsx`.

Reading rules (shared by every format):

* every cell is text; nothing is inferred (a credit code stays exactly as typed);
* cells are stripped of surrounding whitespace (incl. U+3000, NBSP, zero-width
  spaces and BOM remnants); embedded newlines are kept;
* blank rows are skipped, but ``Table.line_numbers`` keeps the row number the
  user sees in Excel (header = 1 when it is the first row);
* trailing empty columns are dropped; rows are padded to one common width;
* every failure is a :class:`TableError` with a Chinese message (``code`` is
  stable, :data:`EN_MESSAGES` has the English text).
"""
from core.tabular.errors import EN_MESSAGES, ZH_MESSAGES, TableError
from core.tabular.headers import Column, HeaderMap, locate_header, map_headers, normalize_header
from core.tabular.read import MAX_BYTES, read_table, stream_table
from core.tabular.report import ERROR_HEADER, error_report_xlsx
from core.tabular.table import MAX_COLUMNS, MAX_ROWS, Table
from core.tabular.text import _STRIP, _WHITESPACE, EXCEL_MAX_DIGITS, LOCAL_TZ
from core.tabular.write import escape_formula, unescape_formula, write_csv, write_workbook, write_xlsx

__all__ = [
    "Column", "EN_MESSAGES", "ERROR_HEADER", "EXCEL_MAX_DIGITS", "HeaderMap", "LOCAL_TZ", "MAX_BYTES",
    "MAX_COLUMNS", "MAX_ROWS", "Table", "TableError", "XML_HARDENED", "ZH_MESSAGES", "_STRIP", "_WHITESPACE",
    "error_report_xlsx", "escape_formula", "locate_header", "map_headers", "normalize_header", "read_table",
    "stream_table", "unescape_formula", "write_csv", "write_workbook", "write_xlsx",
]


def __getattr__(name: str):
    """``XML_HARDENED`` (see core.tabular.xlsx_read.xml_hardened): computed on first use, as it imports
    openpyxl."""
    if name == "XML_HARDENED":
        from core.tabular.xlsx_read import xml_hardened
        return xml_hardened()
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")

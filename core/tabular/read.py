"""read_table: pick the reader by extension, enforce the size limit, turn every failure into a TableError."""
from __future__ import annotations

import os
from pathlib import Path
from typing import Callable

from core.tabular.csv_read import _read_csv, stream_csv
from core.tabular.errors import TableError, mb as _mb
from core.tabular.table import MAX_ROWS, Table
from core.tabular.xlsx_read import _read_xlsx

MAX_BYTES = 50 * 1024 * 1024


def read_table(data: bytes, filename: str, *, max_rows: int = MAX_ROWS,
               max_bytes: int = MAX_BYTES, on_rows: Callable[[int], None] | None = None, narrow=None) -> Table:
    """Read an uploaded .xlsx / .csv / .txt file into a text-only :class:`Table`.

    Rules: size is checked first (``max_bytes``); the extension picks the
    reader (.xls and unknown extensions are refused); the first non-blank row is
    the header; more than ``max_rows`` data rows is an error.  Any failure,
    including unexpected parser exceptions, is raised as :class:`TableError`.
    ``on_rows(n)`` hears how many data rows were read, every thousand (a web import's progress).
    ``narrow``: see :class:`~core.tabular.table.Collector` (an import's unused columns dropped as read).
    """
    if len(data) > max_bytes:
        raise TableError("too_large", size_mb=_mb(len(data)), limit_mb=_mb(max_bytes))
    ext = _extension(filename)
    if ext == ".xls":
        raise TableError("xls_not_supported")
    if ext not in (".xlsx", ".csv", ".txt"):
        raise TableError("unsupported_format", ext=ext or filename)
    try:
        if ext == ".xlsx":
            return _read_xlsx(data, max_rows, on_rows, narrow)
        return _read_csv(data, max_rows, on_rows, narrow)
    except TableError:
        raise
    except Exception as exc:  # noqa: BLE001 - never show a traceback to the user
        code = "xlsx_corrupt" if ext == ".xlsx" else "parse_failed"
        raise TableError(code) from exc


def stream_table(path: str | os.PathLike, filename: str, *, max_rows: int = MAX_ROWS, max_bytes: int = MAX_BYTES,
                 on_rows: Callable[[int], None] | None = None, narrow=None, hold: int | None = None) -> Table:
    """:func:`read_table` of the file at `path` (`filename`: the name that picks the reader), without its
    bytes in memory: a CSV is read as a stream (see csv_read.stream_csv; with `hold`, ``Table.more`` yields
    the rows past the first `hold`, and raises TableError for a problem found on the way); an xlsx is read
    whole, as by read_table."""
    size = os.path.getsize(path)
    if size > max_bytes:
        raise TableError("too_large", size_mb=_mb(size), limit_mb=_mb(max_bytes))
    ext = _extension(filename)
    if ext in (".xlsx", ".xls") or ext not in (".csv", ".txt"):
        return read_table(Path(path).read_bytes(), filename, max_rows=max_rows, max_bytes=max_bytes,
                          on_rows=on_rows, narrow=narrow)
    try:
        return stream_csv(path, max_rows, on_rows, narrow, hold)
    except TableError:
        raise
    except Exception as exc:  # noqa: BLE001 - never show a traceback to the user
        raise TableError("parse_failed") from exc


def _extension(filename: str) -> str:
    """Lower-case extension of the last path component ('' when none)."""
    name = filename.replace("\\", "/").rsplit("/", 1)[-1].strip()
    return "." + name.rsplit(".", 1)[-1].lower() if "." in name else ""

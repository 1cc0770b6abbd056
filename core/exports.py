"""List exports: the rows a page shows, as .xlsx, in the reader's language — one mechanism for every list.

A view declares its columns once (`Col(label, value, kind)`; the label is a translated string, so headers
follow the UI language, and carries its unit, e.g. "金额（万元）"), and returns `xlsx_response(...)`. Cells go
through `core.tabular.write_xlsx` (typed cells, formula escaping). The page's "导出 Excel" button
(`templates/_export.html`) links to `export_url(endpoint)`, which carries the page's current filters, so
the file holds what the list shows.

Permissions: an export route carries the list's own `@requires(...)` and checks `<domain>.export`
through `core.permissions`, so an export is allowed exactly when the list is and exporting is granted.
"""
from __future__ import annotations

import io
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, Callable, Iterable

from flask import request, send_file, url_for

from core import dates
from core.permissions import ensure
from core.tabular import write_xlsx

XLSX_MIME = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@dataclass(frozen=True)
class Col:
    """One exported column: header (translated, with its unit), value of a record, cell kind.

    `kind` is a `write_xlsx` column type ('text', 'int', 'number', 'money', 'percent', 'date', 'datetime').
    """

    label: Any
    value: Callable[[Any], Any]
    kind: str | None = None


def rows_of(cols: tuple[Col, ...] | list[Col], records: Iterable[Any]) -> Iterable[list[Any]]:
    """Each record as a row of cell values, column by column."""
    return ([c.value(r) for c in cols] for r in records)


def xlsx_bytes(cols, records, *, sheet: Any) -> bytes:
    """The records as one sheet, headers in the current language."""
    types = {i: c.kind for i, c in enumerate(cols) if c.kind}
    return write_xlsx([str(c.label) for c in cols], rows_of(cols, records), sheet_name=str(sheet),
                      column_types=types)


def xlsx_response(cols, records, *, sheet: Any, filename: str, perm: str | None = None):
    """An attachment `<filename>-<today>.xlsx`; 403 unless the user may export (`perm`, when given)."""
    if perm:
        ensure(perm)
    return send_xlsx(xlsx_bytes(cols, records, sheet=sheet), filename)


def send_xlsx(data: bytes, filename: str):
    """Bytes of a workbook as a download named `<filename>-<today>.xlsx` (ASCII, so every browser keeps it)."""
    return xlsx_download(data, f"{filename}-{dates.today().isoformat()}.xlsx")


def xlsx_download(data: bytes, download_name: str):
    """Bytes of a workbook as an attachment named `download_name`."""
    return send_file(io.BytesIO(data), as_attachment=True, mimetype=XLSX_MIME, download_name=download_name)


def export_url(endpoint: str, **values: Any) -> str:
    """URL of `endpoint` with the current page's query (its filters), `values` added or replacing."""
    args = {k: v for k, v in request.args.to_dict(flat=False).items() if k not in values and k != "page"}
    return url_for(endpoint, **args, **{k: v for k, v in values.items() if v is not None})


def yi(wan: Any) -> Decimal | None:
    """An amount in 万元 as 亿元 (1 亿元 = 10,000 万元); None stays None."""
    return None if wan is None else Decimal(str(wan)) / Decimal(10000)

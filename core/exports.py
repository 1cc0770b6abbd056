"""List exports: the rows a page shows, as .xlsx, in the reader's language — one mechanism for every list.

A view declares its columns once (`Col(label, value, kind)`; the label is a translated string, so headers
follow the UI language, and carries its unit, e.g. "面积（平方米）"), and returns `xlsx_response(...)`.
Amounts are kept in 万元 everywhere; a money column names the unit the plan speaks of that figure in
(`Col(_l("资助金额"), value, unit="wan")`, `unit="yi"` for 亿元): the value is written as a number in that
unit (1 亿元 = 10,000 万元), the header gets the unit ("资助金额（万元）" / "Support (10k yuan)"), the cell a
number format with thousands separators (`money_header`, `in_unit` and `UNIT_KINDS` serve exports that do
not use `Col`). Cells go
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
from flask_babel import get_locale
from flask_babel import lazy_gettext as _l

from core import dates
from core.permissions import ensure
from core.tabular import write_xlsx

XLSX_MIME = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

#: The money units an export speaks in: the unit's name (translated) and the `write_xlsx` kind of its cells
#: (万元: two decimals; 亿元: two to four decimals, so 12,345 万元 reads 1.2345).
UNITS = {"wan": _l("万元"), "yi": _l("亿元")}
UNIT_KINDS = {"wan": "money", "yi": "money_yi"}


def _en() -> bool:
    return str(get_locale() or "zh") == "en"


def money_header(label: Any, unit: str) -> str:
    """A header with its money unit: "资助金额（万元）", "Support (10k yuan)"."""
    name = UNITS[unit]
    return f"{label} ({name})" if _en() else f"{label}（{name}）"


def in_unit(wan: Any, unit: str) -> Decimal | None:
    """An amount kept in 万元 as a number in `unit` ('wan' or 'yi'); None and "" stay None."""
    if wan is None or wan == "":
        return None
    amount = Decimal(str(wan))
    return amount / Decimal(10000) if unit == "yi" else amount


@dataclass(frozen=True)
class Col:
    """One exported column: header (translated), value of a record, cell kind, and for an amount its unit.

    `kind` is a `write_xlsx` column type ('text', 'int', 'number', 'money', 'money_yi', 'percent', 'date',
    'datetime'). `unit` ('wan' | 'yi') marks an amount kept in 万元: it is written in that unit, the header
    names the unit and the kind follows (`UNIT_KINDS`); the label is then given without a unit.
    """

    label: Any
    value: Callable[[Any], Any]
    kind: str | None = None
    unit: str | None = None

    def __post_init__(self):
        if self.unit is not None and self.unit not in UNITS:
            raise ValueError(f"unknown unit {self.unit!r}; expected one of {sorted(UNITS)}")

    @property
    def header(self) -> str:
        return money_header(self.label, self.unit) if self.unit else str(self.label)

    @property
    def cell_kind(self) -> str | None:
        return UNIT_KINDS[self.unit] if self.unit else self.kind

    def cell(self, record: Any) -> Any:
        value = self.value(record)
        return in_unit(value, self.unit) if self.unit else value


def rows_of(cols: tuple[Col, ...] | list[Col], records: Iterable[Any]) -> Iterable[list[Any]]:
    """Each record as a row of cell values, column by column."""
    return ([c.cell(r) for c in cols] for r in records)


def xlsx_bytes(cols, records, *, sheet: Any) -> bytes:
    """The records as one sheet, headers in the current language."""
    types = {i: c.cell_kind for i, c in enumerate(cols) if c.cell_kind}
    return write_xlsx([c.header for c in cols], rows_of(cols, records), sheet_name=str(sheet),
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
    return in_unit(wan, "yi")

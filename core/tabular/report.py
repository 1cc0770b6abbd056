"""The error report: the uploaded table back as .xlsx with a '错误' column to fix in place."""
from __future__ import annotations

from functools import cache
from typing import Any, Iterable

from core.tabular.table import Table
from core.tabular.write import _header_cells, _save, _setup_sheet, _would_not_be_text, _xlsx_text, text_cell

ERROR_HEADER = "错误"


@cache
def _styles() -> dict[str, Any]:
    """The report's fills and font (openpyxl imported when a report is written, not at start-up)."""
    from openpyxl.styles import Font, PatternFill
    return {"row": PatternFill("solid", fgColor="FFE5E5"), "cell": PatternFill("solid", fgColor="FFB3B3"),
            "font": Font(color="C00000"), "header": PatternFill("solid", fgColor="F8CBAD")}


def error_report_xlsx(table: Table, errors: Iterable[dict[str, Any]]) -> bytes:
    """The uploaded table back as .xlsx, with an extra '错误' column to fix in place.

    Each error is ``{"row": line number in the file (Table.line_numbers),
    "column": header text, 0-based index or None, "message": str}``.  All rows
    are written (clean rows too); a row's messages are joined with '；' as
    '列名：消息'; error rows are tinted and the offending cells darker.  Values
    are written verbatim as text (no quote prefix, never as formulas), so the
    fixed file re-imports unchanged.  An existing '错误' column (a re-uploaded
    report) is replaced.  Errors for rows not in the table (e.g. header
    problems) go to a second sheet '其他问题'.
    """
    keep = [i for i, h in enumerate(table.headers) if h != ERROR_HEADER]
    headers = [table.headers[i] for i in keep]
    import openpyxl
    from openpyxl.utils import get_column_letter
    by_line, cells_by_line, other = _group_errors(table, errors, keep)
    wb = openpyxl.Workbook(write_only=True)
    ws = wb.create_sheet("导入结果")
    _setup_sheet(ws, headers, [[r[i] for i in keep] for r in table.rows[:200]], {})
    ws.column_dimensions[get_column_letter(len(headers) + 1)].width = 60
    header_row = _header_cells(ws, headers) + [_header_cells(ws, [ERROR_HEADER])[0]]
    header_row[-1].fill = _styles()["header"]
    ws.append(header_row)
    for row, line in zip(table.rows, table.line_numbers):
        values = [row[i] for i in keep]
        messages = by_line.get(line)
        if messages:
            ws.append(_error_row(ws, values, messages, cells_by_line.get(line, set())))
        else:
            ws.append([_verbatim(ws, v) for v in values])
    if other:
        extra = wb.create_sheet("其他问题")
        extra.column_dimensions["A"].width = 10
        extra.column_dimensions["B"].width = 80
        extra.append(_header_cells(extra, ["行号", ERROR_HEADER]))
        for line, message in other:
            extra.append([line, _verbatim(extra, message)])
    return _save(wb)


def _group_errors(table: Table, errors: Iterable[dict[str, Any]], keep: list[int]
                  ) -> tuple[dict[int, list[str]], dict[int, set[int]], list[tuple[Any, str]]]:
    """Split errors into per-line messages, per-line error cell positions, and the rest."""
    known = set(table.line_numbers)
    position = {table.headers[i]: n for n, i in enumerate(keep)}
    by_line: dict[int, list[str]] = {}
    cells: dict[int, set[int]] = {}
    other: list[tuple[Any, str]] = []
    for err in errors:
        line, column, message = err.get("row"), err.get("column"), str(err.get("message", ""))
        pos = _column_position(column, table.headers, keep, position)
        label = table.headers[keep[pos]] if pos is not None else column
        text = f"{label}：{message}" if label not in (None, "") else message
        if line not in known:
            other.append((line, text))
            continue
        messages = by_line.setdefault(line, [])
        if text not in messages:
            messages.append(text)
        if pos is not None:
            cells.setdefault(line, set()).add(pos)
    return by_line, cells, other


def _column_position(column: Any, headers: list[str], keep: list[int],
                     position: dict[str, int]) -> int | None:
    """Output position of an error's column given as header text or 0-based index."""
    if isinstance(column, int) and not isinstance(column, bool):
        return keep.index(column) if column in keep else None
    if isinstance(column, str):
        return position.get(column)
    return None


def _error_row(ws: Any, values: list[str], messages: list[str], bad: set[int]) -> list[Any]:
    """Cells of one rejected row: tinted, offending cells darker, messages in red."""
    cells, style = [], _styles()
    for pos, value in enumerate(values):
        cell = _text_cell(ws, value)
        cell.fill = style["cell"] if pos in bad else style["row"]
        cells.append(cell)
    note = _text_cell(ws, "；".join(messages))
    note.font = style["font"]
    note.fill = style["row"]
    return cells + [note]


def _text_cell(ws: Any, value: str) -> Any:
    """A cell that stores ``value`` as a string even if it starts with '='."""
    from openpyxl.cell import WriteOnlyCell
    return text_cell(ws, value) if value else WriteOnlyCell(ws, value=None)


def _verbatim(ws: Any, value: str) -> Any:
    """Plain str when openpyxl would store it as text anyway, else a forced text cell."""
    if not value:
        return None
    if _would_not_be_text(value):
        return _text_cell(ws, value)
    return _xlsx_text(value)

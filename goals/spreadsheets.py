"""Export of the roll-up in the layout of 附件1 (主要工作目标分解表), plus the text targets."""
from datetime import date
from typing import Any, Sequence

import openpyxl

from core import tabular
from goals.periods import CLOSED_HEADER, closed_mark, reported_rows
from goals.rollup import Row, rollup_rows

STATUS_ZH = {"achieved": "已完成", "on_track": "正常", "at_risk": "预警", "behind": "滞后"}
STATUS_EN = {"achieved": "Achieved", "on_track": "On track", "at_risk": "At risk", "behind": "Behind"}

ANNEX1_HEADERS = {
    "zh": ("类别", "具体指标", "2016年实绩", "2019年目标", "责任单位", "当前值", "进度", "状态", "数据截至"),
    "en": ("Category", "Indicator", "2016 actual", "2019 target", "Responsible unit", "Current value",
           "Progress", "Status", "As of"),
}
TEXT_HEADERS = {
    "zh": ("类别", "具体指标", "单位", "目标年份", "目标值", "目标出处", "原文", "责任单位", "当前值",
           "进度", "状态", "数据截至"),
    "en": ("Category", "Indicator", "Unit", "Target year", "Target", "Source", "Plan text",
           "Responsible units", "Current value", "Progress", "Status", "As of"),
}


def write_workbook(sheets: Sequence[tuple[str, Sequence[str], list[Sequence[Any]], dict[int, str]]]) -> bytes:
    """Several sheets in one workbook, each with core.tabular's cell rules (formula escaping, types)."""
    wb = openpyxl.Workbook(write_only=True)
    for name, headers, rows, column_types in sheets:
        formats = tabular._column_formats(column_types)
        ws = wb.create_sheet(tabular._sheet_title(name))
        sample = [list(r) for r in rows[:200]]
        tabular._setup_sheet(ws, headers, sample, formats)
        ws.append(tabular._header_cells(ws, headers))
        for row in rows:
            ws.append(tabular._xlsx_row(ws, row, formats))
    return tabular._save(wb)


def _target_text(value, approximate: bool, value_max=None):
    if value is None:
        return None
    number = float(value)
    number = int(number) if number == int(number) else number
    if value_max is not None:
        top = float(value_max)
        return f"{number}-{int(top) if top == int(top) else top}"
    return f"{number}左右" if approximate else number


def _num(value):
    return None if value is None else float(value)


def _name(goal, lang):
    name = goal.name(lang)
    unit = goal.unit_en if lang == "en" else goal.unit_zh
    return f"{name}（{unit}）" if unit else name


def _units(goal, lang):
    return "、".join((u.name_en if lang == "en" else u.name_zh) for u in goal.units)


def _status(row: Row, lang):
    return (STATUS_EN if lang == "en" else STATUS_ZH).get(row.status or "", "")


def _annex1_row(row: Row, as_of: date, lang: str) -> list:
    g = row.goal
    t2019 = next((t for t in g.targets if t.year == 2019 and t.source == "附件1"), None)
    target = _target_text(t2019.value, t2019.approximate, t2019.value_max) if t2019 else None
    category = g.category_en if lang == "en" else g.category_zh
    baseline = _num(g.baseline)     # the plan's "--" stays an empty cell
    return [category, _name(g, lang), baseline, target, _units(g, lang), _num(row.actual.value),
            _num(row.progress), _status(row, lang), as_of]


def _text_rows(row: Row, as_of: date, lang: str) -> list[list]:
    g = row.goal
    out = []
    for t in g.targets:
        if t.source == "附件1":
            continue
        category = g.category_en if lang == "en" else g.category_zh
        out.append([category, g.name(lang), g.unit_en if lang == "en" else g.unit_zh, t.year,
                    _target_text(t.value, t.approximate, t.value_max), t.source,
                    t.plan_text or g.plan_text, _units(g, lang), _num(row.actual.value),
                    _num(row.progress), _status(row, lang), as_of])
    if not g.targets and g.source != "附件1":
        out.append([g.category_zh, g.name(lang), g.unit_zh, None, None, g.source, g.plan_text,
                    _units(g, lang), _num(row.actual.value), None, "", as_of])
    return out


def export_goals(as_of: date, lang: str = "zh") -> bytes:
    """The roll-up as xlsx: sheet 1 = 附件1 rows, sheet 2 = targets set in the plan's text.

    On a closed date the figures are those reported at the close, each row marked in a last column.
    """
    rows, close, _moved = reported_rows(rollup_rows(as_of), as_of)
    mark = [closed_mark(close, lang)] if close else []
    annex = [_annex1_row(r, as_of, lang) + mark for r in rows if r.goal.source == "附件1"]
    text = [line + mark for r in rows for line in _text_rows(r, as_of, lang)]
    extra = (CLOSED_HEADER[lang],) if close else ()
    a_types = {2: "number", 5: "number", 6: "percent", 8: "date"}
    t_types = {3: "int", 8: "number", 9: "percent", 11: "date"}
    return write_workbook([
        ("附件1 主要工作目标分解表" if lang == "zh" else "Annex 1 targets", ANNEX1_HEADERS[lang] + extra, annex,
         a_types),
        ("正文目标" if lang == "zh" else "Text targets", TEXT_HEADERS[lang] + extra, text, t_types),
    ])

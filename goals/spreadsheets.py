"""Export of the roll-up in the layout of 附件1 (主要工作目标分解表), plus the text targets."""
from datetime import date

from core.tabular import write_workbook
from goals import definition, pace
from goals.periods import CLOSED_HEADER, closed_mark, reported_rows
from goals.rollup import Row, rollup_rows

STATUS_ZH = {"achieved": "已完成", "on_track": "正常", "at_risk": "预警", "behind": "滞后", "no_target": "未设目标"}
STATUS_EN = {"achieved": "Achieved", "on_track": "On track", "at_risk": "At risk", "behind": "Behind",
             "no_target": "No target set"}

ANNEX1_HEADERS = {
    "zh": ("类别", "具体指标", "2016年实绩", "2019年目标", "责任单位", "当前值", "进度", "状态", "距目标还差",
           "数据截至", "统计口径"),
    "en": ("Category", "Indicator", "2016 actual", "2019 target", "Responsible unit", "Current value",
           "Progress", "Status", "Still missing", "As of", "Definition"),
}
TEXT_HEADERS = {
    "zh": ("类别", "具体指标", "单位", "目标年份", "目标值", "目标出处", "原文", "责任单位", "当前值",
           "进度", "状态", "距目标还差", "数据截至", "统计口径"),
    "en": ("Category", "Indicator", "Unit", "Target year", "Target", "Source", "Plan text",
           "Responsible units", "Current value", "Progress", "Status", "Still missing", "As of", "Definition"),
}


def _target_text(value, approximate: bool, value_max=None, lang: str = "zh"):
    if value is None:
        return None
    number = float(value)
    number = int(number) if number == int(number) else number
    if value_max is not None:
        top = float(value_max)
        return f"{number}-{int(top) if top == int(top) else top}"
    if approximate:
        return f"about {number}" if lang == "en" else f"{number}左右"
    return number


def _num(value):
    return None if value is None else float(value)


def _fig(row: Row, value):
    """A figure in the goal's unit: counts as whole numbers."""
    if value is None:
        return None
    return int(pace.whole(row.goal, value)) if pace.is_count(row.goal) else float(value)


def _definition(row: Row, lang: str) -> str:
    return definition.one_text(row.goal, row.target, lang)


def _name(goal, lang):
    return goal.with_unit(goal.name(lang), lang)


def _units(goal, lang):
    return "、".join((u.name_en if lang == "en" else u.name_zh) for u in goal.units)


def _status(row: Row, lang):
    return (STATUS_EN if lang == "en" else STATUS_ZH).get(row.status or "", "")


def _annex1_row(row: Row, as_of: date, lang: str) -> list:
    g = row.goal
    t2019 = next((t for t in g.targets if t.year == 2019 and t.source == "附件1"), None)
    target = _target_text(t2019.value, t2019.approximate, t2019.value_max, lang) if t2019 else None
    category = g.category_en if lang == "en" else g.category_zh
    baseline = _num(g.baseline)     # the plan's "--" stays an empty cell
    return [category, _name(g, lang), baseline, target, _units(g, lang), _fig(row, row.actual.value),
            _num(row.progress), _status(row, lang), _fig(row, row.gap), as_of, _definition(row, lang)]


def _text_rows(row: Row, as_of: date, lang: str) -> list[list]:
    g = row.goal
    out = []
    for t in g.targets:
        if t.source == "附件1":
            continue
        category = g.category_en if lang == "en" else g.category_zh
        out.append([category, g.name(lang), g.unit(lang), t.year,
                    _target_text(t.value, t.approximate, t.value_max, lang), t.source,
                    t.plan_text or g.plan_text, _units(g, lang), _fig(row, row.actual.value),
                    _num(row.progress), _status(row, lang), _fig(row, row.gap), as_of, _definition(row, lang)])
    if not g.targets and g.source != "附件1":
        category = g.category_en if lang == "en" else g.category_zh
        out.append([category, g.name(lang), g.unit(lang), None, None, g.source, g.plan_text,
                    _units(g, lang), _fig(row, row.actual.value), None, _status(row, lang), None, as_of,
                    _definition(row, lang)])
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
    a_types = {2: "number", 5: "number", 6: "percent", 8: "number", 9: "date"}
    t_types = {3: "int", 8: "number", 9: "percent", 11: "number", 12: "date"}
    return write_workbook([
        ("附件1 主要工作目标分解表" if lang == "zh" else "Annex 1 targets", ANNEX1_HEADERS[lang] + extra, annex,
         a_types),
        ("正文目标" if lang == "zh" else "Text targets", TEXT_HEADERS[lang] + extra, text, t_types),
    ])

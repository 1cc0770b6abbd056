"""The columns of a goal's records (the drill-down behind its figure), for the goal page and its export.

Indicator records are plain dicts (`core.indicators`); their keys are field names and some values are
keys too (a carrier type, a financing type, a stage) or ISO dates as text. Here each key gets its name
for people (never the key itself), each coded value its label, each ISO date a date, and each amount kept
in 万元 the unit of the goal it adds up to: the firms' 产值 behind a goal counted in 亿元 are written in
亿元 (so the column sums to the goal's figure), the financing events behind a goal in 万元 stay in 万元.
"""
from __future__ import annotations

from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from core.exports import Col, in_unit, money_header
from core.field_labels import field_label
from core.formatting import num

#: Amounts (万元) that records carry, by key: their name without the unit (the unit is the goal's).
MONEY = {
    "amount": _l("金额"), "support": _l("资助金额"), "output_value": _l("工业总产值"), "revenue": _l("营业收入"),
    "value_added": _l("工业增加值"), "rd_spend": _l("研发经费"), "brand_output": _l("品牌产品产值"),
    "net_profit": _l("利润总额"), "high_tech_value_added": _l("高新技术产业增加值"),
}
#: Keys whose values are codes or stored Chinese words with a translation (a type, a level, a stage).
CODED = ("kind", "board", "stage", "category", "carrier_type", "level", "plan_sector", "outcome")
#: Keys holding a date (besides every `*_on`).
DATES = ("as_of", "since", "on")
#: Labels of record keys that `core.field_labels` does not name (or names otherwise than a record means).
LABELS = {
    "uscc": _l("统一社会信用代码"), "firm_name": _l("企业名称"), "entered_on": _l("入库日期"),
    "exited_on": _l("出库日期"), "reason": _l("理由"), "year": _l("年度"), "period": _l("填报期"),
    "value": _l("数值"), "note": _l("说明"), "unit": _l("填报单位"), "carrier": _l("载体"),
    "left_on": _l("离开日期"), "category": _l("类别"), "name": _l("名称"), "carrier_name": _l("载体名称"),
    "institution_name": _l("研发机构名称"), "alliance_name": _l("联盟名称"), "members": _l("成员数"),
    "team": _l("团队名称"), "person": _l("人才编号"), "on": _l("日期"), "kind": _l("融资类型"),
}
HIDDEN = ("firm_id", "url", "carrier_id", "institution_id", "alliance_id")


def columns(records: list[dict]) -> list[str]:
    """The keys shown, in first-seen order (ids and links left out)."""
    cols: list[str] = []
    for rec in records[:200]:
        for k in rec:
            if k not in cols and k not in HIDDEN:
                cols.append(k)
    return cols


def money_unit(goal) -> str:
    """The unit the goal's amounts are spoken in: 亿元 when the goal counts in 亿元, else 万元."""
    return "yi" if goal is not None and goal.unit_zh == "亿元" else "wan"


def label(key: str, goal=None, lang: str = "zh") -> str:
    """A record key's header for people, with the unit of an amount or of the goal's value."""
    if key in MONEY:
        return money_header(MONEY[key], money_unit(goal))
    if key == "value" and goal is not None:
        return goal.with_unit(str(LABELS["value"]), lang)
    if key in LABELS:
        return str(LABELS[key])
    return field_label(key)


def labels(keys: list[str], goal=None, lang: str = "zh") -> dict[str, str]:
    return {k: label(k, goal, lang) for k in keys}


def _date(value: Any) -> Any:
    if isinstance(value, str) and len(value) == 10:
        try:
            return date.fromisoformat(value)
        except ValueError:
            return value
    return value


def _amount(value: Any, unit: str) -> Any:
    try:
        return in_unit(value, unit)
    except (InvalidOperation, ValueError):
        return value


def cell(key: str, value: Any, goal=None) -> Any:
    """A record's value as a typed cell: amounts as numbers in the goal's unit, dates as dates, codes as
    their labels, yes/no for booleans."""
    if value is None:
        return None
    if key in MONEY:
        return _amount(value, money_unit(goal))
    if key.endswith("_on") or key in DATES:
        return _date(value)
    if isinstance(value, bool):
        return _("是") if value else _("否")
    if key in CODED and isinstance(value, str) and value:
        return _(value)
    return value


def kind(key: str) -> str | None:
    if key in ("uscc", "person"):
        return "text"
    if key == "year":
        return "int"
    if key == "value":
        return "number"
    if key.endswith("_on") or key in DATES:
        return "date"
    return None


def export_columns(records: list[dict], goal, lang: str) -> list[Col]:
    """The export's columns: headers for people, amounts numeric in the goal's unit (`Col.unit`)."""
    out = []
    for k in columns(records):
        if k in MONEY:
            out.append(Col(MONEY[k], (lambda r, k=k: _amount(r.get(k), "wan")), unit=money_unit(goal)))
        else:
            out.append(Col(label(k, goal, lang), (lambda r, k=k: cell(k, r.get(k), goal)), kind(k)))
    return out


def display(key: str, value: Any, goal=None) -> Any:
    """A record's value on the goal page: as in the export, amounts with thousands separators."""
    shown = cell(key, value, goal)
    if key in MONEY and isinstance(shown, Decimal):
        return num(shown, 4 if money_unit(goal) == "yi" else 2)
    if isinstance(shown, date):
        return shown.isoformat()
    return shown

"""The row-reading kit (core.tabular.cells) and its use by every import kind."""
from datetime import date, timedelta
from decimal import Decimal

import pytest

from core import imports
from core.errors import ServiceError
from core.dates import today as today_local
from core.tabular.cells import CellError, Row, RowInvalid, parse_amount, parse_date, parse_number

SERIAL, SERIAL_DAY = "43160", date(2018, 3, 1)


@pytest.mark.parametrize("text", ["2018-03-01", "2018/3/1", "2018.3.1", "2018年3月1日", "20180301",
                                  "2018-03-01 00:00:00", "2018-3-1T08:30", SERIAL, "43160.0", "2018 年 3 月 1 日"])
def test_every_accepted_spelling_of_a_date(app, text):
    assert parse_date(text) == SERIAL_DAY


@pytest.mark.parametrize("text, words", [
    ("2018", "只有年份"), ("45", "无法识别的日期"), ("0", "无法识别的日期"), ("-5", "无法识别的日期"),
    ("2018-02-30", "不存在的日期"), ("1900-01-01", "早于 1949-01-01"), ("03/01/2018", "无法识别的日期"),
    ("2018-3", "无法识别的日期"), ("明年", "无法识别的日期")])
def test_what_is_not_a_date(app, text, words):
    with pytest.raises(CellError) as exc:
        parse_date(text)
    assert words in str(exc.value)


def test_dates_after_today_are_refused_by_default(app):
    row = Row({"on": (today_local() + timedelta(days=1)).isoformat(), "planned": "2030-01-01"})
    assert row.date("on") is None and "晚于今天" in row.problems[0][1]
    assert row.date("planned", latest=None) == date(2030, 1, 1)


@pytest.mark.parametrize("text, expected", [
    ("12.5", Decimal("12.5")), ("1,234", Decimal("1234")), ("12.5万元", Decimal("12.5")), ("12.5万", Decimal("12.5")),
    ("1.2亿", Decimal("12000")), ("3亿元", Decimal("30000")), ("50000元", Decimal("5")), ("１２", Decimal("12"))])
def test_amounts_are_in_wan_yuan(app, text, expected):
    assert parse_amount(text) == expected


@pytest.mark.parametrize("text", ["NaN", "Infinity", "-inf", "nan"])
def test_nan_and_infinity_have_their_own_message(app, text):
    for parser in (parse_number, parse_amount):
        with pytest.raises(CellError) as exc:
            parser(text)
        assert "不是数值" in str(exc.value)


def test_row_collects_every_problem_with_its_column(app):
    row = Row({"name": "", "kind": "外星", "on": "2018", "n": "-1", "amount": "abc", "flag": "也许",
               "note": "正常\u202e文本", "ok": "2018-03-01"})
    row.required("name")
    row.choice("kind", ("甲", "乙"), {"a": "甲"})
    row.date("on")
    row.number("n")
    row.amount("amount")
    row.flag("flag")
    row.text("note")
    assert row.date("ok") == SERIAL_DAY
    with pytest.raises(RowInvalid) as exc:
        row.check()
    assert [k for k, _m in exc.value.problems] == ["name", "kind", "on", "n", "amount", "flag", "note"]
    assert "U+202E" in exc.value.problems[-1][1]


def test_choice_aliases_and_placeholders(app):
    row = Row({"kind": "A", "n": "-", "amount": "—"})
    assert row.choice("kind", ("甲",), {"a": "甲"}) == "甲"
    assert row.number("n") is None and row.amount("amount") is None and not row.problems


def test_control_characters_refused_but_newlines_and_tabs_kept(app):
    row = Row({"a": "第一行\n第二行\t备注", "b": "名称\x07"})
    assert row.text("a") == "第一行\n第二行\t备注"
    assert row.text("b") == "" and row.problems[0][0] == "b"


# ------------------------------------------------------------------ every kind with a date column

def _problems(kind, values, ctx) -> list[tuple]:
    try:
        kind.parse(values, ctx)
    except RowInvalid as exc:
        return exc.problems
    except ServiceError as exc:
        return [(exc.field, exc.message)]
    return []


def _date_columns(kind, ctx) -> list[str]:
    """The columns the kind reads as dates: those where a non-date is refused as a date."""
    return [c.key for c in kind.columns
            if any(k == c.key and "无法识别的日期" in m for k, m in _problems(kind, {c.key: "不是日期"}, ctx))]


def test_excel_serial_date_passes_every_import_kind_with_a_date(app, make_user):
    """Issue 17: the same cell (an Excel date serial) must pass a firms import and a tenancy import alike;
    the list of kinds comes from the registry of kinds, so a new kind is covered without editing this test."""
    from registry import service
    ctx = imports.ImportContext(actor=make_user("rowkit_admin", role="admin"),
                                params={"pool": service.active_pools()[0].key, "year": "2020"})
    with_dates = {}
    for name, kind in imports.kinds().items():
        for key in _date_columns(kind, ctx):
            with_dates.setdefault(name, []).append(key)
            problems = _problems(kind, {key: SERIAL}, ctx)
            assert not [m for k, m in problems if k == key], (name, key, problems)
            year_only = _problems(kind, {key: "2018"}, ctx)
            assert any(k == key and "只有年份" in m for k, m in year_only), (name, key, year_only)
    assert {"firms", "pool-members", "carriers", "tenancies", "institutions", "talents", "teams",
            "ipo-candidates", "financing-events"} <= set(with_dates)

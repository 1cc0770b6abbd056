"""Counts as of a date: stage counts, the pre_ipo_pool and direct_financing metrics with records."""
from datetime import date
from decimal import Decimal

import pytest

from core import indicators
from core.db import db
from core.records import archive
from finance import service


@pytest.fixture
def pool(app, jrb, make_firm):
    """A: 入库 2023-01-01 → 辅导备案 2023-06-01 → 上市 2024-03-15.
    B: 入库 2023-03-01 → 退出 2023-12-31.  C: 入库 2024-01-01 (open)."""
    a = service.add_candidate(jrb, firm=make_firm("甲"), entered_on=date(2023, 1, 1), board="创业板")
    service.move_stage(a, stage="辅导备案", on=date(2023, 6, 1), actor=jrb)
    service.move_stage(a, stage="上市", on=date(2024, 3, 15), actor=jrb, stock_code="301001")
    b = service.add_candidate(jrb, firm=make_firm("乙"), entered_on=date(2023, 3, 1), board="北交所")
    service.move_stage(b, stage="退出", on=date(2023, 12, 31), actor=jrb, note="主动退出")
    c = service.add_candidate(jrb, firm=make_firm("丙"), entered_on=date(2024, 1, 1), board="科创板")
    db.session.commit()
    return a, b, c


@pytest.mark.parametrize("on, expected", [
    (date(2022, 12, 31), {}),
    (date(2023, 1, 1), {"入库": 1}),
    (date(2023, 6, 1), {"辅导备案": 1, "入库": 1}),
    (date(2023, 12, 31), {"辅导备案": 1, "退出": 1}),
    (date(2024, 1, 1), {"辅导备案": 1, "退出": 1, "入库": 1}),
    (date(2024, 3, 15), {"上市": 1, "退出": 1, "入库": 1}),
])
def test_stage_counts_as_of(pool, on, expected):
    counts = {stage: len(column) for stage, column in service.board_columns(on).items()}
    assert {k: v for k, v in counts.items() if v} == expected
    assert list(counts) == ["入库", "股份制改造", "辅导备案", "申报受理", "审核通过/注册", "上市", "退出"]


@pytest.mark.parametrize("on, expected", [
    (date(2022, 12, 31), 0), (date(2023, 1, 1), 1), (date(2023, 3, 1), 2),
    (date(2023, 12, 30), 2), (date(2023, 12, 31), 1),    # exited on D: no longer counted on D
    (date(2024, 1, 1), 2), (date(2024, 3, 14), 2), (date(2024, 3, 15), 1),   # listed on D
])
def test_pre_ipo_pool_metric(pool, on, expected):
    assert indicators.compute("pre_ipo_pool", on) == expected
    records = indicators.records("pre_ipo_pool", on)
    assert len(records) == expected
    assert all({"firm_id", "uscc", "firm_name", "stage", "board"} <= r.keys() for r in records)


def test_pool_records_show_stage_as_of_the_date(pool):
    (rec,) = [r for r in indicators.records("pre_ipo_pool", date(2023, 7, 1)) if r["firm_name"] == "甲"]
    assert rec["stage"] == "辅导备案"


def test_archived_candidacy_not_counted(pool, jrb):
    a, _b, c = pool
    archive(c, jrb)
    db.session.commit()
    assert indicators.compute("pre_ipo_pool", date(2024, 2, 1)) == 1
    assert service.board_columns(date(2024, 2, 1))["入库"] == []


def test_board_columns_as_of(pool):
    cols = service.board_columns(date(2023, 7, 1))
    assert [c.firm.name for c, _s in cols["辅导备案"]] == ["甲"]
    assert [c.firm.name for c, _s in cols["入库"]] == ["乙"]


def test_direct_financing_sum_in_year_up_to_date(app, jrb, make_firm):
    firm = make_firm()
    service.record_financing(jrb, firm=firm, kind="IPO", amount=Decimal("80000"), on=date(2024, 3, 15))
    service.record_financing(jrb, firm=firm, kind="公司债", amount="20000.5", on=date(2024, 9, 1))
    old = service.record_financing(jrb, firm=firm, kind="中期票据", amount=5000, on=date(2023, 12, 31))
    db.session.commit()
    assert indicators.compute("direct_financing", date(2024, 3, 14)) == 0
    assert indicators.compute("direct_financing", date(2024, 3, 15)) == Decimal("80000")
    assert indicators.compute("direct_financing", date(2024, 12, 31)) == Decimal("100000.5")
    assert indicators.compute("direct_financing", date(2023, 12, 31)) == Decimal("5000")
    recs = indicators.records("direct_financing", date(2024, 12, 31))
    assert [(r["kind"], r["amount"]) for r in recs] == [("IPO", "80000"), ("公司债", "20000.5")]
    archive(old, jrb)
    assert indicators.compute("direct_financing", date(2023, 12, 31)) == 0
    totals = service.annual_totals()
    assert list(totals) == [2024] and totals[2024]["total"] == Decimal("100000.5")


@pytest.mark.parametrize("amount", ["0", "-1", "abc", "NaN", "1e9"])
def test_financing_amount_must_be_positive_number(app, jrb, make_firm, amount):
    from core.errors import ServiceError
    with pytest.raises(ServiceError) as exc:
        service.record_financing(jrb, firm=make_firm(), kind="IPO", amount=amount, on=date(2024, 1, 1))
    assert exc.value.field == "amount"


def test_financing_type_checked(app, jrb, make_firm):
    from core.errors import ServiceError
    with pytest.raises(ServiceError) as exc:
        service.record_financing(jrb, firm=make_firm(), kind="股权众筹", amount=1, on=date(2024, 1, 1))
    assert exc.value.field == "kind"

"""Plausible ranges of the registry's numbers: the same clean refusal from the service, the form, the API
and an import, on SQLite and PostgreSQL alike (values beyond a column once crashed PostgreSQL imports
and were stored silently on SQLite)."""
import csv
import io
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from core import imports
from core.db import db
from core.errors import ServiceError
from registry import service
from registry.models import RANGES, Firm, FirmFact

FIRM_HEADER = ["企业名称", "统一社会信用代码", "注册资本"]
FACT_HEADER = ["统一社会信用代码", "企业名称", "主营业务收入（万元）", "从业人员", "有效发明专利数"]


def _csv(header, rows) -> bytes:
    out = io.StringIO()
    csv.writer(out, lineterminator="\n").writerows([header, *rows])
    return out.getvalue().encode("utf-8")


def _run(kind, data, actor, **kw):
    result = imports.run_import(kind, data, "x.csv", actor=actor, **kw)
    db.session.commit() if result.written else db.session.rollback()
    return result


def test_range_message_names_the_field_bounds_and_unit(app):
    assert RANGES["capital_amount"].message() == "注册资本应在 0 到 1,000,000,000 万元之间"
    assert RANGES["employees"].message() == "从业人员应在 0 到 1,000,000 人之间"
    assert RANGES["year"].message() == "年份应在 1949 到 2100 之间"


@pytest.mark.parametrize("capital", ["100000000000000000000万元", "1000000001万元", "-5万元"])
def test_capital_out_of_range_is_refused_by_the_service(app, editor, make_code, capital):
    with pytest.raises(ServiceError) as exc:
        service.create_firm(editor, uscc=make_code(), name="甲", capital=capital)
    assert exc.value.field == "capital" and "注册资本" in exc.value.message
    db.session.rollback()
    assert db.session.scalar(select(func.count(Firm.id))) == 0


def test_capital_at_the_bound_is_stored(app, editor, make_code):
    firm = service.create_firm(editor, uscc=make_code(), name="甲", capital="1000000000万元")
    db.session.commit()
    assert firm.capital_amount == Decimal("1000000000")


@pytest.mark.parametrize("key,value", [("employees", 10**10), ("invention_patents", 10**6), ("revenue", 10**20),
                                       ("net_profit", -(10**10)), ("revenue", "1e20"), ("employees", "NaN")])
def test_facts_out_of_range_are_refused(app, editor, make_firm, key, value):
    firm = make_firm()
    with pytest.raises(ServiceError) as exc:
        service.upsert_fact(editor, firm, 2019, **{key: value})
    assert exc.value.field == key and str(RANGES[key].label) in exc.value.message


def test_firm_import_with_huge_capital_is_a_clean_refusal_naming_row_and_column(app, editor, make_code):
    rows = [["宁波甲有限公司", make_code(), "500万元"],
            ["宁波乙有限公司", make_code(), "100000000000000000000万元"]]
    result = _run("firms", _csv(FIRM_HEADER, rows), editor)
    assert not result.written and db.session.scalar(select(func.count(Firm.id))) == 0
    (error,) = result.errors
    assert (error["row"], error["column"]) == (3, "注册资本")
    assert error["message"] == RANGES["capital_amount"].message()


def test_fact_import_with_huge_numbers_is_a_clean_refusal(app, editor, make_firm):
    firm = make_firm(name="甲")
    data = _csv(FACT_HEADER, [[firm.uscc, "甲", "1e20", "10000000000", "3"]])
    result = _run("facts", data, editor, params={"year": "2019"})
    assert not result.written and db.session.scalar(select(func.count(FirmFact.id))) == 0
    messages = {e["column"]: e["message"] for e in result.errors}
    assert messages["从业人员"] == RANGES["employees"].message()
    assert "主营业务收入" in messages["主营业务收入（万元）"]


def test_fact_form_shows_the_range(login, editor, make_firm):
    firm = make_firm()
    resp = login(editor).post(f"/registry/firms/{firm.id}/facts", data={"year": "2019", "employees": "10000000000"})
    assert resp.status_code == 200 and RANGES["employees"].message() in resp.get_data(as_text=True)
    assert service.facts_of(firm) == []


def test_api_refuses_a_huge_capital(app, editor, make_code):
    from core.auth.service import issue_token
    token = issue_token(editor)
    db.session.commit()
    resp = app.test_client().post("/api/v1/firms", json={"uscc": make_code(), "name": "甲",
                                                         "capital": "100000000000000000000万元"},
                                  headers={"Authorization": f"Bearer {token}"})
    assert resp.status_code == 422 and resp.json["errors"]["capital"] == [RANGES["capital_amount"].message()]

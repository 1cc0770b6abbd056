"""Carriers' area and capacity and makers counts within plausible ranges: the same clean refusal from
the service, the API and an import on SQLite and PostgreSQL (1e20 m² once crashed a PostgreSQL import)."""
from datetime import date

import pytest
from sqlalchemy import func, select

from core import imports
from core.auth.service import issue_token
from core.db import db
from core.errors import ServiceError
from incubation import service
from incubation.models import RANGES, Carrier, MakerCount

HEAD = ["载体名称", "载体类型", "级别", "面积（平方米）", "可容纳企业数", "启用日期"]


def _csv(rows) -> bytes:
    return ("\n".join(",".join(r) for r in [HEAD, *rows]) + "\n").encode("utf-8")


@pytest.mark.parametrize("field,value", [("area_m2", 10**20), ("area_m2", 10**15), ("area_m2", -1),
                                         ("capacity", 10**10), ("capacity", 1.5)])
def test_carrier_numbers_out_of_range_are_refused(app, kjj, field, value):
    with pytest.raises(ServiceError) as exc:
        service.create_carrier(kjj, name="甲", carrier_type="孵化器", level="区级", opened_on=date(2016, 1, 1),
                               **{field: value})
    assert exc.value.field == field and str(RANGES[field].label) in exc.value.message
    db.session.rollback()
    assert db.session.scalar(select(func.count(Carrier.id))) == 0


def test_area_message_says_the_bounds_in_square_metres(app):
    assert RANGES["area_m2"].message() == "面积应在 0 到 10,000,000 平方米之间"


def test_carrier_update_is_checked_too(app, kjj, make_carrier):
    carrier = make_carrier(area_m2=1000)
    with pytest.raises(ServiceError) as exc:
        service.update_carrier(carrier, kjj, area_m2="1e20")
    assert exc.value.field == "area_m2"


def test_maker_count_out_of_range(app, kjj, make_carrier):
    carrier = make_carrier()
    with pytest.raises(ServiceError) as exc:
        service.set_maker_count(kjj, carrier=carrier, year=2018, makers=10**10)
    assert exc.value.field == "makers" and exc.value.message == RANGES["makers"].message()
    db.session.rollback()
    assert db.session.scalar(select(func.count(MakerCount.id))) == 0


def test_carrier_import_with_huge_area_and_capacity_is_a_clean_refusal(app, kjj):
    rows = [["甲孵化器", "孵化器", "区级", "100000000000000000000", "", "2016-01-01"],
            ["乙孵化器", "孵化器", "区级", "1000", "10000000000", "2016-01-01"],
            ["丙孵化器", "孵化器", "区级", "1000", "20", "2016-01-01"]]
    result = imports.run_import("carriers", _csv(rows), "c.csv", actor=kjj)
    db.session.rollback()
    assert not result.written and db.session.scalar(select(func.count(Carrier.id))) == 0
    by_row = {e["row"]: (e["column"], e["message"]) for e in result.errors}
    assert by_row == {2: ("面积（平方米）", RANGES["area_m2"].message()),
                      3: ("可容纳企业数", RANGES["capacity"].message())}


def test_api_carrier_bounds_match_the_service(app, kjj):
    token = issue_token(kjj)
    db.session.commit()
    body = {"name": "甲", "carrier_type": "孵化器", "level": "区级", "opened_on": "2016-01-01"}
    post = app.test_client().post
    for field, value in (("area_m2", 1e20), ("capacity", 10**10)):
        resp = post("/api/v1/carriers", json={**body, field: value}, headers={"Authorization": f"Bearer {token}"})
        assert resp.status_code == 422 and resp.json["errors"][field] == [RANGES[field].message()]
    resp = post("/api/v1/carriers", json={**body, "area_m2": 10_000_000, "capacity": 100_000},
                headers={"Authorization": f"Bearer {token}"})
    assert resp.status_code == 201, resp.json

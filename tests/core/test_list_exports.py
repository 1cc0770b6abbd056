"""List exports (core.exports): each list's file opened with openpyxl — headers in the UI language, a row's
values and units, the page's filters, masked talent IDs, formula escaping — and who may export."""
import io
from datetime import date
from decimal import Decimal

import openpyxl
import pytest

from core.db import db
from registry import service as registry
from registry.models import Pool
from registry.pools import enter_pool
from registry.uscc import generate
from sqlalchemy import select

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _sheet(resp):
    assert resp.status_code == 200, resp.data[:300]
    assert resp.mimetype == XLSX
    assert resp.headers["Content-Disposition"].startswith("attachment")
    ws = openpyxl.load_workbook(io.BytesIO(resp.data)).active
    rows = [[c.value for c in row] for row in ws.iter_rows()]
    return ws, rows[0], rows[1:]


def _col(headers, rows, name):
    return [r[headers.index(name)] for r in rows]


@pytest.fixture
def kjj(make_user):
    return make_user("kjj_editor", unit="kjj", role="editor")


@pytest.fixture
def firm(admin):
    f = registry.create_firm(admin, uscc=generate(), name="宁波甬江智造有限公司")
    db.session.commit()
    return f


@pytest.fixture
def incubation_data(kjj, firm):
    from incubation import service
    carrier = service.create_carrier(kjj, name="=HYPERLINK(\"x\")众创空间", carrier_type="众创空间", level="市级",
                                     opened_on=date(2016, 1, 1), area_m2=Decimal("1234.5"), capacity=40)
    other = service.create_carrier(kjj, name="鄞州科技孵化器", carrier_type="孵化器", level="区级",
                                   opened_on=date(2015, 1, 1))
    service.register_tenancy(kjj, carrier=carrier, uscc=firm.uscc, entered_on=date(2018, 5, 2))
    gone = registry.create_firm(kjj, uscc=generate(), name="已离开企业有限公司")
    service.register_tenancy(kjj, carrier=other, uscc=gone.uscc, entered_on=date(2017, 3, 1),
                             left_on=date(2019, 3, 1), outcome="毕业")
    db.session.commit()
    return carrier


def test_carrier_export_headers_values_and_formula_escaping(app, admin, login, incubation_data):
    client = login(admin)
    ws, headers, rows = _sheet(client.get("/incubation/carriers/export.xlsx?type=众创空间"))
    assert headers[:3] == ["载体名称", "类型", "级别"] and "面积（平方米）" in headers
    assert len(rows) == 1                      # the list's type filter holds
    row = dict(zip(headers, rows[0]))
    name_cell = ws.cell(row=2, column=1)
    assert name_cell.data_type == "s" and name_cell.value.lstrip("'") == '=HYPERLINK("x")众创空间'  # text, no formula
    assert row["面积（平方米）"] == 1234.5 and row["当前在孵"] == 1 and row["可容纳企业数"] == 40
    assert row["启用日期"].date() == date(2016, 1, 1) and row["状态"] == "运营中"
    _ws, _h, every = _sheet(client.get("/incubation/carriers/export.xlsx"))
    assert len(every) == 2


def test_tenancy_export_follows_the_status_filter_and_english(app, admin, login, incubation_data, firm):
    client = login(admin)
    _ws, headers, rows = _sheet(client.get("/incubation/tenancies/export.xlsx?status=current"))
    assert _col(headers, rows, "统一社会信用代码") == [firm.uscc]
    _ws, headers, rows = _sheet(client.get("/incubation/tenancies/export.xlsx?status=left"))
    assert _col(headers, rows, "企业名称") == ["已离开企业有限公司"] and _col(headers, rows, "去向") == ["毕业"]
    client.get("/lang/en")
    _ws, headers, rows = _sheet(client.get("/incubation/tenancies/export.xlsx?status=all"))
    assert headers[0] != "企业名称" and all(h.isascii() for h in headers), headers
    assert len(rows) == 2


def test_pool_member_export(app, admin, login, firm):
    pool = db.session.scalar(select(Pool).where(Pool.key == "high_growth"))
    enter_pool(admin, firm=firm, pool=pool, entered_on=date(2018, 1, 1), reason="营收增长")
    db.session.commit()
    client = login(admin)
    _ws, headers, rows = _sheet(client.get(f"/registry/pools/{pool.id}/export.xlsx?on=2019-01-01"))
    row = dict(zip(headers, rows[0]))
    assert row["统一社会信用代码"] == firm.uscc and row["入库理由"] == "营收增长"
    assert row["入库日期"].date() == date(2018, 1, 1)
    _ws, _h, before = _sheet(client.get(f"/registry/pools/{pool.id}/export.xlsx?on=2017-12-31"))
    assert before == []
    _ws, headers, rows = _sheet(client.get("/registry/pools/export.xlsx"))
    counts = dict((r[0], r[1]) for r in rows)
    assert counts[pool.name_zh] == 1


def test_goal_records_export(app, admin, login, firm):
    pool = db.session.scalar(select(Pool).where(Pool.key == "high_growth"))
    enter_pool(admin, firm=firm, pool=pool, entered_on=date(2018, 1, 1))
    db.session.commit()
    client = login(admin)
    _ws, headers, rows = _sheet(client.get("/goals/g/high_growth_pool/export.xlsx?as_of=2019-06-30"))
    assert "统一社会信用代码" in headers and "企业名称" in headers
    assert _col(headers, rows, "统一社会信用代码") == [firm.uscc]
    assert client.get("/goals/g/no-such-goal/export.xlsx").status_code == 404


def _talent(app, admin):
    from talent import service
    from talent import resident_id
    number = resident_id.generate(region="330212", birth=date(1985, 3, 4), seq=123)
    key = service.person_key(number)
    firm = registry.create_firm(admin, uscc=generate(), name="宁波人才科技有限公司")
    service.register_talent(admin, key=key, name="张三", category="领军人才", uscc=firm.uscc,
                            recognized_on=date(2018, 6, 1), unit_code="rsj")
    service.register_team(admin, name="智能装备团队", uscc=firm.uscc, leader=key, recognized_on=date(2018, 7, 1),
                          support=Decimal("500"), unit_code="rsj")
    db.session.commit()
    return number


def test_talent_exports_mask_id_numbers(app, admin, login, make_user):
    number = _talent(app, admin)
    client = login(admin)
    resp = client.get("/talent/persons/export.xlsx?category=领军人才")
    _ws, headers, rows = _sheet(resp)
    row = dict(zip(headers, rows[0]))
    assert row["姓名"] == "张三" and row["人才类别"] == "领军人才"
    assert row["身份证号码（脱敏）"] != number and row["身份证号码（脱敏）"][:4] == number[:4]
    assert number.encode() not in resp.data and number[6:14].encode() not in resp.data
    _ws, headers, rows = _sheet(client.get("/talent/teams/export.xlsx"))
    row = dict(zip(headers, rows[0]))
    assert row["团队名称"] == "智能装备团队" and row["负责人"] == "张三" and row["资助金额（万元）"] == 500
    # a manager sees the teams list but no names: the export leaves the leader out too
    manager = login(make_user("manager", unit="ldxz", role="manager"))
    _ws, headers, rows = _sheet(manager.get("/talent/teams/export.xlsx"))
    assert "负责人" not in headers and rows[0][0] == "智能装备团队"
    assert manager.get("/talent/persons/export.xlsx").status_code == 403


def test_candidate_export_follows_filters_and_language(app, admin, login):
    from finance import service
    for name, board in (("宁波甲股份有限公司", "科创板"), ("宁波乙股份有限公司", "创业板")):
        service.add_candidate(admin, firm=registry.create_firm(admin, uscc=generate(), name=name), board=board,
                              entered_on=date(2020, 1, 1))
    db.session.commit()
    client = login(admin)
    _ws, headers, rows = _sheet(client.get("/finance/candidates/export.xlsx?show=open&board=科创板"))
    assert _col(headers, rows, "企业名称") == ["宁波甲股份有限公司"]
    page = client.get("/finance/candidates?show=open&board=科创板").get_data(as_text=True)
    assert "/finance/candidates/export.xlsx?" in page and "board=%E7%A7%91%E5%88%9B%E6%9D%BF" in page
    client.get("/lang/en")
    _ws, headers, rows = _sheet(client.get("/finance/candidates/export.xlsx"))
    assert len(rows) == 2 and all(h.isascii() for h in headers), headers


EXPORTS = [("/incubation/carriers", "/incubation/carriers/export.xlsx"),
           ("/incubation/tenancies", "/incubation/tenancies/export.xlsx"),
           ("/incubation/institutions", "/incubation/institutions/export.xlsx"),
           ("/incubation/alliances", "/incubation/alliances/export.xlsx"),
           ("/registry/pools", "/registry/pools/export.xlsx"), ("/talent/teams", "/talent/teams/export.xlsx"),
           ("/goals/g/high_growth_pool", "/goals/g/high_growth_pool/export.xlsx")]


@pytest.mark.parametrize("page,url", EXPORTS)
def test_export_allowed_exactly_with_the_list_and_the_export_grant(app, login, make_user, page, url):
    """Each export answers as its list does, plus the export grant: a viewer reads the list but exports
    nothing; an editor or a manager exports every list it reads; nobody signed in is sent to sign in."""
    assert app.test_client().get(url).status_code == 302
    viewer = login(make_user("viewer", unit="scjgj", role="viewer"))
    assert viewer.get(page).status_code == 200 and viewer.get(url).status_code == 403
    for user in (make_user("manager", unit="ldxz", role="manager"), make_user("kjj_editor", unit="kjj")):
        client = login(user)
        assert client.get(page).status_code == 200 and client.get(url).status_code == 200


def test_export_buttons_only_for_those_who_may_export(app, login, make_user):
    viewer = login(make_user("viewer", unit="scjgj", role="viewer"))
    assert "export-xlsx" not in viewer.get("/incubation/carriers").get_data(as_text=True)
    editor = login(make_user("kjj_editor", unit="kjj"))
    html = editor.get("/incubation/carriers?type=众创空间").get_data(as_text=True)
    assert 'id="export-xlsx" href="/incubation/carriers/export.xlsx?type=' in html

"""Every computed goal by town and park: the parts add up to the district figure (plus 未标注),
carriers are placed by their own town, the pages and exports, permissions."""
from datetime import date
from decimal import Decimal
from io import BytesIO

import openpyxl
import pytest

from core.db import db
from goals import towns
from registry import service as reg
from registry.uscc import generate

AS_OF = date(2019, 6, 30)
XIAYING, JIANGSHAN = "330212001", "330212110"


@pytest.fixture
def data(admin):
    """Firms in three places (下应, 姜山, none), in pools, incubated in carriers of two towns, financed."""
    from finance import service as fin
    from incubation import service as inc
    pool = reg.pool_by_key("single_champion")
    growth = reg.pool_by_key("high_growth")
    places = [("下应", "鄞州工业园区"), ("下应", None), ("姜山", "鄞州经济开发区"), (None, None), (None, "鄞州工业园区")]
    firms = []
    for i, (town, park) in enumerate(places):
        firm = reg.create_firm(admin, uscc=generate(org_prefix=f"MA2T{i}"), name=f"宁波分解测试{i}有限公司",
                               town_code=town, park=park)
        db.session.flush()
        firms.append(firm)
        reg.enter_pool(admin, firm=firm, pool=pool if i % 2 == 0 else growth, entered_on=date(2018, 1, 1))
    c1 = inc.create_carrier(admin, name="下应众创空间", carrier_type="众创空间", level="市级", opened_on=date(2017, 1, 1),
                            town_code=XIAYING, area_m2=Decimal(1200))
    c2 = inc.create_carrier(admin, name="无地址孵化器", carrier_type="孵化器", level="区级", opened_on=date(2017, 1, 1),
                            area_m2=Decimal(800))
    db.session.flush()
    for firm, carrier in ((firms[2], c1), (firms[3], c2), (firms[0], c2)):
        inc.register_tenancy(admin, carrier=carrier, uscc=firm.uscc, entered_on=date(2018, 5, 1))
    fin.record_financing(admin, firm=firms[2], kind="公司债", amount=Decimal(5000), on=date(2019, 3, 1))
    fin.record_financing(admin, firm=firms[3], kind="公司债", amount=Decimal(700), on=date(2019, 4, 1))
    db.session.commit()
    return firms


def _by_key(rows):
    return {r.goal.key: r for r in rows}


@pytest.mark.parametrize("by", ["town", "park"])
def test_parts_add_up_to_the_district_figure(app, data, by):
    rows = towns.breakdown(AS_OF, by)
    assert rows, "the plan's computed goals are seeded"
    additive = [r for r in rows if r.additive]
    assert {r.goal.key for r in additive} >= {"single_champion_pool", "high_growth_pool", "incubated_firms",
                                              "incubation_area", "direct_financing", "maker_spaces"}
    for r in additive:
        assert towns.parts_total(r) == r.total, r.goal.key
        assert set(r.values) <= {k for k, _l in towns.units(by)}


def test_values_by_town(app, data):
    rows = _by_key(towns.breakdown(AS_OF, "town"))
    champ = rows["single_champion_pool"]            # firms 0 (下应), 2 (姜山), 4 (none)
    assert champ.values == {XIAYING: 1, JIANGSHAN: 1, towns.UNMARKED: 1}
    incubated = rows["incubated_firms"]             # firm 2 (姜山) in c1, firm 3 (none) and 0 (下应) in c2
    assert incubated.values == {JIANGSHAN: 1, towns.UNMARKED: 1, XIAYING: 1}
    area = rows["incubation_area"]                  # carriers placed by their own town
    assert area.values == {XIAYING: 1200, towns.UNMARKED: 800}
    money = rows["direct_financing"]
    assert money.values == {JIANGSHAN: 5000, towns.UNMARKED: 700}


def test_values_by_park(app, data):
    champ = _by_key(towns.breakdown(AS_OF, "park"))["single_champion_pool"]
    assert champ.values == {"鄞州工业园区": 2, "鄞州经济开发区": 1}


def test_breakdown_page_and_chart_data(app, data, login, make_user):
    client = login(make_user("mgr", unit="ldxz", role="manager"))
    html = client.get(f"/goals/towns?as_of={AS_OF}").get_data(as_text=True)
    assert "未标注" in html and "下应街道" in html and "towns-chart" in html
    assert client.get(f"/goals/towns?as_of={AS_OF}&by=park").status_code == 200
    xlsx = client.get(f"/goals/towns/export.xlsx?as_of={AS_OF}")
    sheet = openpyxl.load_workbook(BytesIO(xlsx.data)).active
    header = [c.value for c in sheet[1]]
    assert header[0] == "目标" and header[-2:] == ["未标注", "全区"] and "姜山镇" in header
    row = next(r for r in sheet.iter_rows(min_row=2, values_only=True) if r[0] == "单项（隐形）冠军培育入库数"
               or "冠军" in str(r[0]))
    assert sum(v or 0 for v in row[1:-1]) == row[-1]


def test_town_page_and_export(app, data, login, make_user):
    client = login(make_user("mgr", unit="ldxz", role="manager"))
    html = client.get(f"/goals/towns/{JIANGSHAN}?as_of={AS_OF}").get_data(as_text=True)
    assert "姜山镇" in html and "宁波分解测试2有限公司" in html and "宁波分解测试0有限公司" not in html
    unmarked = client.get(f"/goals/towns/none?as_of={AS_OF}").get_data(as_text=True)
    assert "宁波分解测试3有限公司" in unmarked
    assert client.get("/goals/towns/999999999").status_code == 404
    sheet = openpyxl.load_workbook(BytesIO(client.get(f"/goals/towns/{JIANGSHAN}/export.xlsx?as_of={AS_OF}").data)).active
    names = {r[2] for r in sheet.iter_rows(min_row=2, values_only=True)}
    assert "宁波分解测试2有限公司" in names and "宁波分解测试0有限公司" not in names


def test_bad_date_falls_back_with_a_note(app, data, login, make_user):
    client = login(make_user("mgr", unit="ldxz", role="manager"))
    resp = client.get("/goals/towns?as_of=2019-13-45")
    assert resp.status_code == 200 and "日期格式应为" in resp.get_data(as_text=True)


def test_export_needs_export_permission(app, login, make_user):
    viewer = login(make_user("v", unit="jxj", role="viewer"))
    assert viewer.get("/goals/towns").status_code == 200
    assert viewer.get("/goals/towns/export.xlsx").status_code == 403
    assert viewer.get(f"/goals/towns/{XIAYING}/export.xlsx").status_code == 403

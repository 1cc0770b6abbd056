"""Every computed goal by town and park: the parts add up to the district figure (plus 未标注),
carriers are placed by their own town, the pages and exports, permissions."""
import json
from dataclasses import replace
from datetime import date
from decimal import Decimal
from io import BytesIO

import openpyxl
import pytest

from core import indicators
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
    assert header[:2] == ["指标", "单位"] and header[-2:] == ["未标注", "全区"] and "姜山镇" in header
    assert sheet.title == "按街道镇"
    row = next(r for r in sheet.iter_rows(min_row=2, values_only=True) if r[0] == "单项（隐形）冠军培育入库数"
               or "冠军" in str(r[0]))
    assert row[1] == "家" and sum(v or 0 for v in row[2:-1]) == row[-1]
    client.get("/lang/en")
    sheet = openpyxl.load_workbook(BytesIO(client.get(f"/goals/towns/export.xlsx?as_of={AS_OF}&by=park").data)).active
    header = [c.value for c in sheet[1]]
    assert sheet.title == "By park" and header[:2] == ["Indicator", "Unit"] and header[-2:] == ["Not recorded", "District"]
    assert "Other" in header and "其他" not in header


def test_town_page_and_export(app, data, login, make_user):
    client = login(make_user("mgr", unit="ldxz", role="manager"))
    html = client.get(f"/goals/towns/{JIANGSHAN}?as_of={AS_OF}").get_data(as_text=True)
    assert "姜山镇" in html and "宁波分解测试2有限公司" in html and "宁波分解测试0有限公司" not in html
    unmarked = client.get(f"/goals/towns/none?as_of={AS_OF}").get_data(as_text=True)
    assert "宁波分解测试3有限公司" in unmarked
    assert client.get("/goals/towns/999999999").status_code == 404
    sheet = openpyxl.load_workbook(BytesIO(client.get(f"/goals/towns/{JIANGSHAN}/export.xlsx?as_of={AS_OF}").data)).active
    names = {r[3] for r in sheet.iter_rows(min_row=2, values_only=True)}
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


# ----------------------------------------------------------------------------- the SQL aggregates

@pytest.fixture
def rich(app, data, admin, make_user):
    """data, plus facts of above-scale and plan-sector firms (ratios, sector outputs; 4-place money, a
    NULL), talents of two categories (one person twice), and an archived pool member."""
    from talent import service as tal
    from tests.talent.conftest import idn
    facts = [(0, True, "3411", "新型材料", "1234.5678", "234.1234", "12.3456", 3),
             (1, True, "3511", "新型材料", "98765.4321", None, "0.0001", 0),
             (2, True, "3911", "高端电子", "5555.5555", "1111.1111", "77.7777", 5),
             (3, False, None, "新型材料", "321.0009", "21.0001", None, None),
             (4, True, "4411", None, "4444.4444", "444.4444", "4.4444", 1)]
    for i, above, industry, sector, output, added, rd, patents in facts:
        reg.update_firm(data[i], admin, version=None, above_scale=above, industry_code=industry, plan_sector=sector,
                        high_tech=i % 2 == 0)
        for year, k in ((2017, Decimal(1)), (2018, Decimal("1.5"))):
            reg.upsert_fact(admin, data[i], year, output_value=Decimal(output) * k, revenue=Decimal(output) * 2,
                            value_added=Decimal(added) * k if added else None, rd_spend=Decimal(rd) if rd else None,
                            invention_patents=patents, brand_output=Decimal(output) / 3)
    rsj = make_user("rsj_towns", unit="rsj", role="editor")
    for seq, i, category, on in ((1, 0, "智造创客", date(2018, 3, 1)), (2, 2, "智造创客", date(2018, 4, 1)),
                                 (1, 2, "智造创客", date(2017, 4, 1)), (3, 3, "高技能人才", date(2018, 5, 1)),
                                 (4, 4, "经营管理人才", date(2016, 5, 1))):
        tal.register_talent(rsj, key=tal.person_key(idn(seq)), name=f"人才{seq}", category=category,
                            programme=f"项目{i}", uscc=data[i].uscc, recognized_on=on, unit_code="rsj")
    extra = reg.create_firm(admin, uscc=generate(org_prefix="MA2TX"), name="宁波已归档分解有限公司", town_code="下应")
    db.session.flush()
    reg.enter_pool(admin, firm=extra, pool=reg.pool_by_key("single_champion"), entered_on=date(2018, 1, 1))
    from core.records import archive
    archive(extra, admin)
    db.session.commit()
    return data


@pytest.mark.parametrize("by", ["town", "park"])
def test_aggregates_give_the_numbers_of_the_records(app, rich, by):
    """Every goal whose metric declares an aggregate: the same parts, to the last digit, as placing
    each record — the 未标注 part included."""
    fast, slow = towns.breakdown(AS_OF, by), towns.breakdown(AS_OF, by, aggregates=False)
    declared = {r.goal.key for r in fast if indicators.get(r.goal.metric)[0].places is not None}
    assert declared >= {"single_champion_pool", "incubated_firms", "smart_makers", "rd_intensity_above_scale_mfg",
                        "sector_output_new_materials"}
    for a, b in zip(fast, slow):
        assert (a.goal.key, a.mode, a.total, a.values) == (b.goal.key, b.mode, b.total, b.values)
    rows = _by_key(fast)
    assert rows["sector_output_new_materials"].values.get(towns.UNMARKED if by == "town" else "鄞州工业园区")
    assert rows["rd_intensity_above_scale_mfg"].mode == "ratio"
    if by == "town":
        # person 1, recognised at firm 0 (下应) and earlier at firm 2 (姜山), counts once, where first recognised
        assert (rows["smart_makers"].values, rows["smart_makers"].total) == ({JIANGSHAN: 2}, 2)


def test_aggregate_that_disagrees_falls_back_to_the_records(app, data, monkeypatch):
    from core.indicators import Parts
    ind = indicators.get("single_champion_pool")[0]
    monkeypatch.setitem(indicators._INDICATORS, "single_champion_pool",
                        replace(ind, places=lambda as_of, by: Parts("count", {XIAYING: Decimal(7)})))
    row = _by_key(towns.breakdown(AS_OF, "town"))["single_champion_pool"]
    assert row.values == {XIAYING: 1, JIANGSHAN: 1, towns.UNMARKED: 1}


# ----------------------------------------------------------------------------- API and CLI

@pytest.fixture
def api(app, make_user):
    from core.auth.service import issue_token
    from tests.api.conftest import JsonClient
    token = issue_token(make_user("mgr_api", unit="ldxz", role="manager"))
    db.session.commit()
    return JsonClient(app, token)


def test_api_breakdown_matches_the_page_data(app, data, api):
    body = api.get(f"/api/v1/towns?as_of={AS_OF}").json
    assert body["units"][-1] == {"key": "none", "label": "未标注"} and len(body["units"]) == 26
    goals = {g["key"]: g for g in body["goals"]}
    assert goals["single_champion_pool"]["values"] == {XIAYING: 1, JIANGSHAN: 1, "none": 1}
    assert goals["single_champion_pool"]["total"] == goals["single_champion_pool"]["parts_total"] == 3
    assert goals["incubation_area"]["values"] == {XIAYING: 1200, "none": 800}
    one = api.get(f"/api/v1/towns?as_of={AS_OF}&goal=direct_financing&by=park").json
    assert [g["key"] for g in one["goals"]] == ["direct_financing"] and one["by"] == "park"
    assert api.get("/api/v1/towns?goal=no_such_goal").status_code == 404
    assert api.get("/api/v1/towns?as_of=2019-13-45").status_code == 422
    assert api.get("/api/v1/towns?by=street").status_code == 422


def test_api_town_page(app, data, api):
    body = api.get(f"/api/v1/towns/{JIANGSHAN}?as_of={AS_OF}").json
    assert body["name"] == "姜山镇"
    pools = {p["key"]: [f["name"] for f in p["firms"]] for p in body["pools"]}
    assert pools["single_champion"] == ["宁波分解测试2有限公司"]
    listed = {x["label"]: [r["firm_name"] for r in x["records"]] for x in body["listed"]}
    assert listed["在孵企业（新增孵化）"] == ["宁波分解测试2有限公司"]
    figures = {g["key"]: g for g in body["goals"]}
    assert (figures["single_champion_pool"]["value"], figures["single_champion_pool"]["total"]) == (1, 3)
    unmarked = api.get(f"/api/v1/towns/none?as_of={AS_OF}").json
    assert {f["name"] for p in unmarked["pools"] for f in p["firms"]} == {"宁波分解测试3有限公司", "宁波分解测试4有限公司"}
    assert api.get("/api/v1/towns/999999999").status_code == 404
    assert api.get("/api/v1/towns/abc").status_code == 404


def test_api_needs_a_token(app):
    from tests.api.conftest import JsonClient
    assert JsonClient(app).get("/api/v1/towns").status_code == 401


def test_cli_towns_and_funnel(app, data):
    runner = app.test_cli_runner()
    out = json.loads(runner.invoke(args=["towns", "--as-of", AS_OF.isoformat()]).output)
    goals = {g["key"]: g for g in out["goals"]}
    assert goals["single_champion_pool"]["values"] == {XIAYING: 1, JIANGSHAN: 1, "none": 1}
    one = json.loads(runner.invoke(args=["towns", "--as-of", AS_OF.isoformat(), "--by", "park",
                                         "--goal", "single_champion_pool"]).output)
    assert one["goals"][0]["values"] == {"鄞州工业园区": 2, "鄞州经济开发区": 1}
    town = json.loads(runner.invoke(args=["towns", "姜山", "--as-of", AS_OF.isoformat()]).output)
    assert town["code"] == JIANGSHAN and town["name"] == "姜山镇"
    for args, message in ((["towns", "--as-of", "2019/06/30"], "日期格式"), (["towns", "火星镇"], "未知的街道/镇"),
                          (["towns", "--goal", "nope"], "目标不存在")):
        bad = runner.invoke(args=args)
        assert bad.exit_code == 1 and message in json.loads(bad.output)["error"]
    funnel = runner.invoke(args=["funnel", "2018", "--as-of", AS_OF.isoformat()])
    body = json.loads(funnel.output)
    assert funnel.exit_code == 0 and body["cohort"] == 2018 and body["size"] == 3
    assert body["stages"][0]["reached"] == 3 and sorted(body["stages"][0]["firm_ids"]) == sorted(
        f.id for f in (data[0], data[2], data[3]))
    from goals import funnel as fn
    assert body == json.loads(json.dumps(fn.funnel(2018, AS_OF, fn.Filters()).as_dict(), default=str))
    assert runner.invoke(args=["funnel", "1800"]).exit_code != 0

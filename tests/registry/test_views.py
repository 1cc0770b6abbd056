"""Registry pages: list filters, export escaping, firm page timeline, forms, pools, merge, permissions."""
from datetime import date, timedelta
from io import BytesIO

import openpyxl
import pytest

from core.db import db
from core import timeline
from core.timeline import TimelineItem, register_provider
from registry import service
from core.dates import today as cn_today


@pytest.fixture
def client(editor, login):
    return login(editor)


@pytest.fixture
def firms(make_firm):
    a = make_firm(name="宁波甬鑫精密机械有限公司", town_code="下应", industry_code="3831", park="鄞州工业园区",
                  above_scale=True)
    b = make_firm(name="宁波东海软件有限公司", town_code="首南", industry_code="6511", high_tech=True)
    c = make_firm(name="=HYPERLINK(\"http://x\")恶意公司", industry_code="1311")
    return a, b, c


def _names(resp):
    html = resp.get_data(as_text=True)
    return {n for n in ("甬鑫精密", "东海软件", "恶意公司") if n in html}


def test_list_filters(client, firms, pool, editor):
    a, b, c = firms
    assert _names(client.get("/registry/")) == {"甬鑫精密", "东海软件", "恶意公司"}
    assert _names(client.get("/registry/?q=东海")) == {"东海软件"}
    assert _names(client.get(f"/registry/?code={a.uscc[:12]}")) >= {"甬鑫精密"}
    assert _names(client.get(f"/registry/?code={b.uscc.lower()}")) == {"东海软件"}
    assert _names(client.get("/registry/?industry=C")) == {"甬鑫精密", "恶意公司"}
    assert _names(client.get("/registry/?industry=38")) == {"甬鑫精密"}
    assert _names(client.get("/registry/?industry=软件")) == {"东海软件"}
    assert _names(client.get(f"/registry/?town={b.town_code}")) == {"东海软件"}
    assert _names(client.get("/registry/?park=鄞州工业园区")) == {"甬鑫精密"}
    assert _names(client.get("/registry/?above_scale=1")) == {"甬鑫精密"}
    assert _names(client.get("/registry/?high_tech=0")) == {"甬鑫精密", "恶意公司"}
    service.enter_pool(editor, firm=c, pool=pool, entered_on=cn_today() - timedelta(days=3))
    db.session.commit()
    assert _names(client.get(f"/registry/?pool={pool.id}")) == {"恶意公司"}
    assert _names(client.get("/registry/?q=%25")) == set()        # LIKE wildcards are literal
    # junk parameters never break the page
    for qs in ("page=abc", "page=99999", "sort=drop", "pool=x", "above_scale=maybe", "dir=sideways"):
        assert client.get("/registry/?" + qs).status_code == 200


def test_list_sort_and_paginate(client, make_firm):
    for i in range(55):
        make_firm(name=f"企业{i:03d}")
    html = client.get("/registry/?sort=name&dir=desc").get_data(as_text=True)
    assert html.index("企业054") < html.index("企业053") and "企业000" not in html
    assert "企业000" in client.get("/registry/?sort=name&dir=desc&page=2").get_data(as_text=True)
    assert "共 55 家" in client.get("/registry/").get_data(as_text=True)


def test_export_keeps_formula_like_text_as_text(client, firms, make_firm):
    make_firm(name="+加号公司", address="-减号路", legal_rep="@张三")
    resp = client.get("/registry/export.xlsx")
    assert resp.status_code == 200 and resp.mimetype.endswith("spreadsheetml.sheet")
    assert int(resp.headers["Content-Length"]) == len(resp.data)
    ws = openpyxl.load_workbook(BytesIO(resp.data)).active
    values = [c.value for row in ws.iter_rows() for c in row if isinstance(c.value, str)]
    cells = [c for row in ws.iter_rows() for c in row if isinstance(c.value, str)]
    assert "=HYPERLINK(\"http://x\")恶意公司" in values          # xlsx: typed strings, exactly as entered
    assert "+加号公司" in values and "-减号路" in values and "@张三" in values
    assert not any(c.data_type == "f" for row in ws.iter_rows() for c in row)
    assert all(c.data_type == "s" for c in cells) and not any(v.startswith("'") for v in values)
    codes = [ws.cell(row=r, column=1).value for r in range(2, ws.max_row + 1)]
    assert all(isinstance(c, str) and len(c) == 18 for c in codes)
    filtered = client.get("/registry/export.xlsx?q=东海")
    ws = openpyxl.load_workbook(BytesIO(filtered.data)).active
    assert ws.max_row == 2


def test_export_of_many_firms_streams_every_row_with_its_columns(client, make_firm):
    for i in range(30):
        make_firm(name=f"导出企业{i:02d}", town_code="下应", capital="51.8000(万元人民币)")
    resp = client.get("/registry/export.xlsx?sort=name&ticket=abc123")
    assert "yz_export=abc123" in resp.headers.get("Set-Cookie", "")
    ws = openpyxl.load_workbook(BytesIO(resp.data)).active
    rows = list(ws.iter_rows(values_only=True))
    assert rows[0][:2] == ("统一社会信用代码", "企业名称") and len(rows[0]) == 20
    names = [r[1] for r in rows[1:]]
    assert names == sorted(names) and len(names) == 30
    assert rows[1][11] == "下应街道" and rows[1][7] == 51.8 and rows[1][15] in ("是", "否")


def test_viewer_cannot_export_but_can_view(make_user, login, firms):
    viewer = login(make_user("viewer1", unit="scjgj", role="viewer"))
    assert viewer.get("/registry/").status_code == 200
    assert viewer.get("/registry/export.xlsx").status_code == 403


def test_firm_page_shows_identity_region_and_timeline(client, make_firm, editor, pool, monkeypatch):
    firm = make_firm(name="宁波江东老企业", code=None, registered_on=date(2010, 5, 1), capital="13(万美元)",
                     town_code="下应")
    service.enter_pool(editor, firm=firm, pool=pool, entered_on=date(2019, 2, 1), reason="营收增长快")
    service.upsert_fact(editor, firm, 2018, revenue=1000, output_value=1200)

    def other_domain(firm_id, user):
        return [TimelineItem(on=date(2020, 7, 1), domain="incubation", title="入驻某孵化器")]
    # registered on a copy of the provider list, so later tests do not see this fake provider
    monkeypatch.setattr(timeline, "_PROVIDERS", list(timeline._PROVIDERS))
    register_provider(other_domain)
    db.session.commit()
    html = client.get(f"/registry/firms/{firm.id}").get_data(as_text=True)
    assert "13 万美元" in html and "下应街道" in html and "鄞州区" in html
    assert "进入高成长性企业培育库" in html and "营收增长快" in html and "企业成立" in html
    assert "入驻某孵化器" in html
    assert html.index("入驻某孵化器") < html.index("进入高成长性企业培育库")   # newest first
    assert "facts-chart" in html and "echarts.min.js" in html
    assert f"/records/registry.firm/{firm.id}/history" in html


def test_firm_page_region_of_former_jiangdong(client, make_firm, make_code):
    firm = make_firm(code=make_code(region="330204"), town_code="首南")
    html = client.get(f"/registry/firms/{firm.id}").get_data(as_text=True)
    assert "江东区" in html and "首南街道" in html


def test_create_and_edit_firm(client, make_code):
    code = make_code()
    resp = client.post("/registry/firms/new", data={"uscc": code, "name": "新登记公司", "capital": "508(万)",
                                                     "town_code": "", "park": "", "plan_sector": "高端电子"})
    assert resp.status_code == 302
    firm = service.find_firm(code)
    assert firm.capital_amount == 508 and firm.plan_sector == "高端电子"
    bad = client.post("/registry/firms/new", data={"uscc": "9.13302E+17", "name": "x", "town_code": "",
                                                   "park": "", "plan_sector": ""})
    assert bad.status_code == 200 and "Excel" in bad.get_data(as_text=True)
    form = client.get(f"/registry/firms/{firm.id}/edit").get_data(as_text=True)
    assert 'name="version"' in form
    data = {"name": "改名后公司", "capital": "508(万)", "town_code": "", "park": "", "plan_sector": "高端电子",
            "version": str(firm.version), "former_names": ""}
    assert client.post(f"/registry/firms/{firm.id}/edit", data=data).status_code == 302
    assert firm.name == "改名后公司" and firm.former_names == ["新登记公司"]
    stale = client.post(f"/registry/firms/{firm.id}/edit", data={**data, "name": "第三名称"})
    html = stale.get_data(as_text=True)
    assert stale.status_code == 200 and "stale-changes" in html and "已被他人修改" in html
    assert firm.name == "改名后公司"


def test_fact_form(client, make_firm):
    firm = make_firm()
    resp = client.post(f"/registry/firms/{firm.id}/facts", data={"year": "2019", "revenue": "1234.5",
                                                                 "employees": "10"})
    assert resp.status_code == 302
    assert service.facts_of(firm)[0].revenue == 1234.5
    bad = client.post(f"/registry/firms/{firm.id}/facts", data={"year": "2019", "revenue": "-3"})
    assert bad.status_code == 200 and "主营业务收入应在 0 到 1,000,000,000 万元之间" in bad.get_data(as_text=True)
    assert client.get(f"/registry/firms/{firm.id}/facts?year=2019").status_code == 200


def test_pool_pages_enter_and_exit(client, make_firm, pool):
    firm = make_firm(name="高成长甲")
    today = cn_today()
    resp = client.post(f"/registry/pools/{pool.id}/enter", data={
        "uscc": firm.uscc, "pool_id": pool.id, "entered_on": today.isoformat(), "reason": "增长快"})
    assert resp.status_code == 302
    html = client.get(f"/registry/pools/{pool.id}").get_data(as_text=True)
    assert "高成长甲" in html and 'id="pool-count">1<' in html
    earlier = client.get(f"/registry/pools/{pool.id}?on={(today - timedelta(days=1)).isoformat()}")
    assert 'id="pool-count">0<' in earlier.get_data(as_text=True)
    assert client.get(f"/registry/pools/{pool.id}?on=not-a-date").status_code == 200
    again = client.post(f"/registry/pools/{pool.id}/enter", data={
        "uscc": firm.uscc, "pool_id": pool.id, "entered_on": today.isoformat()}, follow_redirects=True)
    assert "不能重复入库" in again.get_data(as_text=True)
    unknown = client.post(f"/registry/pools/{pool.id}/enter", data={
        "uscc": "913302120000000000", "pool_id": pool.id, "entered_on": today.isoformat()}, follow_redirects=True)
    assert unknown.status_code == 200 and "校验" in unknown.get_data(as_text=True)
    m = service.memberships_of(firm)[0]
    assert client.post(f"/registry/memberships/{m.id}/exit",
                       data={"exited_on": today.isoformat(), "reason": "出库"}).status_code == 302
    assert m.exited_on == today
    listing = client.get("/registry/pools").get_data(as_text=True)
    assert "高成长性企业培育库" in listing and 'id="pool-count-high_growth">0<' in listing


@pytest.mark.parametrize("evil", ["//evil.example/x", "/\\evil.example/x", "https://evil.example/"])
def test_pool_entry_never_redirects_to_another_host(client, make_firm, pool, evil):
    firm = make_firm(name="高成长乙")
    form = {"uscc": firm.uscc, "pool_id": pool.id, "entered_on": "2020-03-01", "next": evil}
    ok = client.post(f"/registry/pools/{pool.id}/enter", data=form)
    assert ok.status_code == 302 and ok.headers["Location"] == f"/registry/pools/{pool.id}"
    refused = client.post(f"/registry/pools/{pool.id}/enter", data={**form, "entered_on": "bad"})
    assert refused.status_code == 302 and refused.headers["Location"] == f"/registry/pools/{pool.id}"
    kept = client.post(f"/registry/pools/{pool.id}/enter", data={**form, "next": f"/registry/firms/{firm.id}"})
    assert kept.headers["Location"] == f"/registry/firms/{firm.id}"


def test_pool_create_admin_only(client, admin, login):
    assert client.get("/registry/pools/new").status_code == 403
    admin_client = login(admin)
    resp = admin_client.post("/registry/pools/new", data={"key": "smart_factory", "name_zh": "智能工厂"})
    assert resp.status_code == 302 and service.pool_by_key("smart_factory")
    dup = admin_client.post("/registry/pools/new", data={"key": "smart_factory", "name_zh": "x"})
    assert "已被使用" in dup.get_data(as_text=True)


def test_merge_with_confirmation(client, make_firm):
    keep, dup = make_firm(name="保留公司"), make_firm(name="重复公司")
    step1 = client.post("/registry/merge", data={"keep_uscc": keep.uscc, "dup_uscc": dup.uscc})
    assert step1.status_code == 200 and "merge-confirm" in step1.get_data(as_text=True)
    assert dup.archived_at is None
    step2 = client.post("/registry/merge", data={"keep_uscc": keep.uscc, "dup_uscc": dup.uscc, "confirm": "yes"})
    assert step2.status_code == 302 and dup.merged_into_id == keep.id
    same = client.post("/registry/merge", data={"keep_uscc": keep.uscc, "dup_uscc": keep.uscc, "confirm": "yes"})
    assert same.status_code == 200 and "merge-confirm" not in same.get_data(as_text=True)


def test_other_units_editor_gets_403_on_writes(make_user, login, make_firm, pool):
    firm = make_firm()
    kjj = login(make_user("kjj_editor", unit="kjj", role="editor"))
    assert kjj.get(f"/registry/firms/{firm.id}").status_code == 200
    posts = [("/registry/firms/new", {"uscc": "x", "name": "x"}),
             (f"/registry/firms/{firm.id}/edit", {"name": "x"}),
             (f"/registry/firms/{firm.id}/facts", {"year": "2019"}),
             (f"/registry/pools/{pool.id}/enter", {"uscc": firm.uscc}),
             ("/registry/merge", {}), ("/registry/pools/new", {"key": "x", "name_zh": "x"})]
    for url, data in posts:
        assert kjj.post(url, data=data).status_code == 403, url
    assert kjj.get("/registry/firms/new").status_code == 403
    assert firm.name != "x"


def test_english_switch(client, firms):
    client.get("/lang/en")
    html = client.get("/registry/").get_data(as_text=True)
    assert "Firm registry" in html and "Include archived" in html
    assert "Members as of" in client.get("/registry/pools/1").get_data(as_text=True)

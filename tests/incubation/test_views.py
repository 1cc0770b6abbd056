"""Pages and forms over HTTP: the register-with-new-firm form, rule breaches on the form, actions,
the summary's as-of picker, English, and the permission matrix for every incubation endpoint."""
import re
from datetime import date

import pytest
from sqlalchemy import func, select

from core.db import db
from incubation import service
from incubation.models import Carrier, MakerCount, Tenancy
from registry import service as registry
from registry.models import Firm
from registry.uscc import generate


@pytest.fixture
def world(kjj, make_carrier, make_firm):
    """One of everything, so every endpoint has an id to work on."""
    carrier = make_carrier("鄞州创客空间", opened_on=date(2016, 1, 1), area_m2=1000, capacity=10)
    firm = make_firm("在孵甲有限公司")
    t = service.register_tenancy(kjj, carrier=carrier, uscc=firm.uscc, entered_on=date(2018, 3, 1))
    inst = service.register_institution(kjj, uscc=firm.uscc, name="甲研究院", level="市级",
                                        recognized_on=date(2018, 1, 1))
    alliance = service.create_alliance(kjj, name="测试联盟", founded_on=date(2018, 1, 1))
    db.session.commit()
    return {"carrier_id": carrier.id, "tenancy_id": t.id, "inst_id": inst.id, "alliance_id": alliance.id,
            "name": "incubated_firms", "firm": firm}


def test_register_form_creates_new_firm_in_one_save(kjj, login, make_carrier):
    carrier = make_carrier()
    client = login(kjj)
    code = generate()
    resp = client.post("/incubation/tenancies/new", data={"carrier_id": carrier.id, "uscc": code,
                                                          "firm_name": "全新科技有限公司", "entered_on": "2018-06-01"})
    assert resp.status_code == 302
    firm = registry.find_firm(code)
    assert firm.name == "全新科技有限公司"
    page = client.get(f"/incubation/carriers/{carrier.id}").get_data(as_text=True)
    assert "全新科技有限公司" in page and code in page


@pytest.mark.parametrize("data,message", [
    ({"uscc": "GEN", "firm_name": "", "entered_on": "2018-06-01"}, "请填写企业名称"),
    ({"uscc": "91330212ABCDEFGHIJ", "firm_name": "x", "entered_on": "2018-06-01"}, "统一社会信用代码"),
    ({"uscc": "GEN", "firm_name": "某公司", "entered_on": "2015-06-01"}, "不能早于载体启用日期"),
    ({"uscc": "GEN", "firm_name": "某公司", "entered_on": "2018-13-01"}, "不是有效的日期"),
    ({"uscc": "", "firm_name": "某公司", "entered_on": "2018-06-01"}, "请填写统一社会信用代码"),
    ({"uscc": "GEN", "firm_name": "某公司", "entered_on": ""}, "请填写入孵日期"),
])
def test_register_form_bad_input_is_a_message_not_a_write(kjj, login, make_carrier, data, message):
    carrier = make_carrier(opened_on=date(2016, 1, 1))
    data = {**data, "carrier_id": carrier.id}
    data["uscc"] = generate() if data["uscc"] == "GEN" else data["uscc"]
    resp = login(kjj).post("/incubation/tenancies/new", data=data)
    assert resp.status_code == 200
    html = resp.get_data(as_text=True)
    assert "invalid-feedback" in html or "alert-danger" in html
    assert message in html
    assert db.session.scalar(select(func.count(Firm.id))) == 0
    assert db.session.scalar(select(func.count(Tenancy.id))) == 0


def test_overlap_shown_on_form(kjj, login, world):
    firm = world["firm"]
    resp = login(kjj).post("/incubation/tenancies/new", data={"carrier_id": world["carrier_id"], "uscc": firm.uscc,
                                                              "entered_on": "2019-01-01"})
    assert resp.status_code == 200 and "重叠" in resp.get_data(as_text=True)


def test_unknown_carrier_id_is_a_form_error(kjj, login, world):
    resp = login(kjj).post("/incubation/tenancies/new", data={"carrier_id": 9999, "uscc": world["firm"].uscc,
                                                              "entered_on": "2019-01-01"})
    assert resp.status_code == 200 and "invalid-feedback" in resp.get_data(as_text=True)


def test_graduate_action_and_date_rule(kjj, login, world):
    client = login(kjj)
    url = f"/incubation/tenancies/{world['tenancy_id']}/end"
    assert client.get(url + "?outcome=毕业").status_code == 200
    resp = client.post(url, data={"outcome": "毕业", "left_on": "2018-01-01"})
    assert resp.status_code == 200 and "不能早于入孵日期" in resp.get_data(as_text=True)
    resp = client.post(url, data={"outcome": "毕业", "left_on": "2021-03-01"})
    assert resp.status_code == 302
    t = db.session.get(Tenancy, world["tenancy_id"])
    assert (t.outcome, t.left_on) == ("毕业", date(2021, 3, 1))
    page = client.get(f"/incubation/carriers/{world['carrier_id']}").get_data(as_text=True)
    assert 'id="past-tenants"' in page and "在孵甲有限公司" in page.split('id="past-tenants"')[1]
    resp = client.post(url, data={"outcome": "迁出", "left_on": "2021-04-01"})
    assert resp.status_code == 200 and "已于 2021-03-01 离开" in resp.get_data(as_text=True)


def test_carrier_create_edit_and_stale_form(kjj, login, world):
    client = login(kjj)
    resp = client.post("/incubation/carriers/new", data={"name": "新孵化器", "carrier_type": "孵化器", "level": "市级",
                                                         "opened_on": "2017-01-01", "area_m2": "2500",
                                                         "town_code": "330212001"})
    assert resp.status_code == 302
    carrier = db.session.scalars(select(Carrier).where(Carrier.name == "新孵化器")).one()
    assert carrier.area_m2 == 2500
    resp = client.post("/incubation/carriers/new", data={"name": "新孵化器", "carrier_type": "孵化器", "level": "市级",
                                                         "opened_on": "2017-01-01"})
    assert resp.status_code == 200 and "已有同名载体" in resp.get_data(as_text=True)
    edit = f"/incubation/carriers/{carrier.id}/edit"
    base = {"name": "新孵化器", "carrier_type": "孵化器", "level": "市级", "opened_on": "2017-01-01"}
    assert client.post(edit, data={**base, "area_m2": "3000", "version": "1"}).status_code == 302
    resp = client.post(edit, data={**base, "area_m2": "3500", "version": "1"})
    assert resp.status_code == 200 and 'id="stale-changes"' in resp.get_data(as_text=True)
    db.session.refresh(carrier)
    assert carrier.area_m2 == 3000
    resp = client.post(f"/incubation/carriers/{world['carrier_id']}/edit",
                       data={**base, "name": "鄞州创客空间", "carrier_type": "众创空间", "opened_on": "2019-01-01",
                             "version": "1"})
    assert resp.status_code == 200 and "启用日期不能晚于" in resp.get_data(as_text=True)


def test_maker_count_form(kjj, login, world):
    client = login(kjj)
    url = f"/incubation/carriers/{world['carrier_id']}/makers"
    assert client.post(url, data={"year": "2018", "makers": "-3"}).status_code == 400
    assert client.post(url, data={"year": "2018", "makers": "abc"}).status_code == 400
    assert client.post(url, data={"year": "2018", "makers": "35"}).status_code == 302
    assert db.session.scalar(select(MakerCount.makers)) == 35


def test_summary_as_of_and_records(kjj, login, world):
    client = login(kjj)
    html = client.get("/incubation/?as_of=2018-02-28").get_data(as_text=True)
    assert re.search(r'id="metric-incubated_firms".*?data-value="0"', html, re.S)
    html = client.get("/incubation/?as_of=2018-03-01").get_data(as_text=True)
    assert re.search(r'id="metric-incubated_firms".*?data-value="1"', html, re.S)
    html = client.get("/incubation/?as_of=2018-02-31").get_data(as_text=True)
    assert "YYYY-MM-DD" in html
    html = client.get("/incubation/metrics/incubated_firms?as_of=2019-01-01").get_data(as_text=True)
    assert "在孵甲有限公司" in html
    assert client.get("/incubation/metrics/nonsense").status_code == 404
    html = client.get("/incubation/?as_of=2021-03-02").get_data(as_text=True)
    assert "在孵甲有限公司" in html.split('id="due-table"')[1]


def test_pages_in_english(kjj, login, world):
    client = login(kjj)
    client.get("/lang/en")
    html = client.get("/incubation/").get_data(as_text=True)
    assert "Newly incubated" in html and "Due to graduate" in html
    html = client.get(f"/incubation/carriers/{world['carrier_id']}").get_data(as_text=True)
    assert "Current tenants" in html and "Maker space" in html


def test_timeline_provider(kjj, world, app):
    from core.timeline import items_for
    with app.test_request_context():
        items = [i for i in items_for(world["firm"].id, kjj) if i.domain == "incubation"]
    assert [i.on for i in items] == [date(2018, 3, 1)] and "鄞州创客空间" in items[0].title


# --------------------------------------------------------------------------- permission matrix

def _endpoints(app):
    return sorted((r for r in app.url_map.iter_rules() if r.endpoint.startswith("incubation.")),
                  key=lambda r: r.rule)


def _build(rule, args):
    from flask import url_for
    return url_for(rule.endpoint, **args)


@pytest.mark.parametrize("who,unit,role", [("jrb_editor", "jrb", "editor"), ("viewer", "scjgj", "viewer"),
                                           ("manager", "ldxz", "manager")])
def test_every_incubation_write_is_forbidden_to_other_units(app, make_user, login, world, who, unit, role):
    client = login(make_user(who, unit=unit, role=role))
    with app.test_request_context():
        rules = [(r, _build(r, {a: world[a] for a in r.arguments})) for r in _endpoints(app)]
    writes = 0
    for rule, url in rules:
        if "POST" in rule.methods:
            writes += 1
            assert client.post(url, data={}).status_code == 403, url
            assert client.get(url).status_code in (403, 405), url
        elif rule.rule.endswith("/export.xlsx"):      # exports: every role that reads, except the viewer
            assert client.get(url).status_code == (403 if role == "viewer" else 200), url
        else:
            assert client.get(url).status_code == 200, url
    assert writes >= 8
    for etype, rid in (("incubation.carrier", world["carrier_id"]), ("incubation.tenancy", world["tenancy_id"])):
        assert client.post(f"/records/{etype}/{rid}/archive", data={}).status_code == 403
    for kind in ("carriers", "tenancies", "makers", "institutions"):
        assert client.get(f"/imports/{kind}").status_code == 403
    assert db.session.get(Tenancy, world["tenancy_id"]).left_on is None


def test_every_incubation_page_opens_for_the_science_bureau(app, kjj, login, world):
    client = login(kjj)
    with app.test_request_context():
        urls = [_build(r, {a: world[a] for a in r.arguments}) for r in _endpoints(app)]
    for url in urls:
        resp = client.get(url)
        assert resp.status_code in (200, 405), url
    for kind in ("carriers", "tenancies", "makers", "institutions"):
        assert client.get(f"/imports/{kind}").status_code == 200


def test_anonymous_is_sent_to_login(app, world):
    client = app.test_client()
    assert client.get("/incubation/").status_code == 302
    assert client.post("/incubation/carriers/new", data={}).status_code == 302

"""Finance pages: the permission matrix (kjj editor 403 on every write; manager reads), forms, no 500s."""
from datetime import date

import pytest
from flask import url_for
from sqlalchemy import select

from core.db import db
from finance import service
from finance.models import FinancingEvent, IpoCandidate, ListingCriterion


@pytest.fixture
def records(app, jrb, make_firm):
    firm = make_firm("矩阵科技")
    cand = service.add_candidate(jrb, firm=firm, entered_on=date(2024, 1, 1), board="创业板",
                                 contact_name="李四", contact_phone="13912345678")
    event = service.record_financing(jrb, firm=firm, kind="IPO", amount=1000, on=date(2024, 2, 1))
    crit = db.session.scalars(select(ListingCriterion)).first()
    db.session.commit()
    return {"cid": cand.id, "eid": event.id, "crit_id": crit.id, "firm": firm}


def _finance_rules(app):
    return [r for r in app.url_map.iter_rules() if r.endpoint.startswith("finance.")]


def _url(app, rule, records):
    with app.test_request_context():
        return url_for(rule.endpoint, **{a: records[a] for a in rule.arguments})


def _write_perm(app, rule) -> bool:
    perm = app.view_functions[rule.endpoint].required_permission
    return perm.split(".")[1] in ("edit", "import", "admin")


def test_every_finance_route_requires_a_finance_permission(app):
    rules = _finance_rules(app)
    assert len(rules) >= 14
    for rule in rules:
        perm = app.view_functions[rule.endpoint].required_permission
        assert perm.startswith("finance."), rule.endpoint
        if "POST" in rule.methods:
            assert _write_perm(app, rule), rule.endpoint


def test_kjj_editor_gets_403_on_every_finance_write(app, make_user, login, records):
    client = login(make_user("kjj_editor", unit="kjj", role="editor"))
    checked = []
    for rule in _finance_rules(app):
        if not _write_perm(app, rule):
            continue
        url = _url(app, rule, records)
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            resp = client.open(url, method=method, data={"stage": "辅导备案", "on": "2024-03-01"})
            assert resp.status_code == 403, (rule.endpoint, method, resp.status_code)
            checked.append(rule.endpoint)
    assert {"finance.candidate_create", "finance.candidate_stage", "finance.financing_create",
            "finance.criterion_edit"} <= set(checked)
    for etype, rid in (("finance.candidate", records["cid"]), ("finance.financing", records["eid"])):
        assert client.post(f"/records/{etype}/{rid}/archive", data={}).status_code == 403
    assert db.session.get(IpoCandidate, records["cid"]).current_stage == "入库"


def test_manager_reads_everything_writes_nothing(app, make_user, login, records):
    client = login(make_user("boss", unit="ldxz", role="manager"))
    for rule in _finance_rules(app):
        url = _url(app, rule, records)
        resp = client.get(url)
        expected = 403 if _write_perm(app, rule) else 200
        assert resp.status_code == expected, (rule.endpoint, resp.status_code)
        if "POST" in rule.methods:
            assert client.post(url, data={}).status_code == 403


def test_contacts_only_for_finance_office(app, make_user, login, records, jrb):
    url = f"/finance/candidates/{records['cid']}"
    assert "13912345678" in login(jrb).get(url).get_data(as_text=True)
    manager = make_user("boss", unit="ldxz", role="manager")
    html = login(manager).get(url).get_data(as_text=True)
    assert "13912345678" not in html and "李四" not in html
    xlsx = login(manager).get("/finance/candidates/export.xlsx")
    assert xlsx.status_code == 200 and b"13912345678" not in xlsx.data


def test_editor_flow_over_http(app, login, jrb, make_firm):
    firm = make_firm("流程科技")
    db.session.commit()
    client = login(jrb)
    resp = client.post("/finance/candidates/new", data={"uscc": firm.uscc, "entered_on": "2024-01-05",
                                                        "board": "科创板", "expected_year": "2027"})
    assert resp.status_code == 302
    cid = db.session.scalars(select(IpoCandidate.id)).one()
    resp = client.post(f"/finance/candidates/{cid}/stage", data={"stage": "股份制改造", "on": "2024-02-01",
                                                                 "back": "board"})
    assert resp.status_code == 302 and resp.location.endswith("/finance/board")
    html = client.get("/finance/board").get_data(as_text=True)
    assert 'id="card-%d"' % cid in html
    assert client.get("/finance/board?as_of=2024-01-31").status_code == 200
    resp = client.post("/finance/financing/new", data={"uscc": firm.uscc, "kind": "IPO", "amount": "25000",
                                                       "on": "2024-03-01"})
    assert resp.status_code == 302
    html = client.get("/finance/financing?year=2024").get_data(as_text=True)
    assert 'id="year-total">2.5<' in html      # 25,000 万元 in 亿元
    timeline = [i.title for i in _timeline(app, firm.id, jrb)]
    assert any("股份制改造" in t for t in timeline) and any("IPO" in t for t in timeline)


def _timeline(app, firm_id, user):
    from core.timeline import items_for
    with app.test_request_context():
        return items_for(firm_id, user)


@pytest.mark.parametrize("data, field_msg", [
    ({"uscc": "", "entered_on": "2024-01-05", "board": "科创板"}, "请填写此项"),
    ({"uscc": "123", "entered_on": "2024-01-05", "board": "科创板"}, "统一社会信用代码"),
    ({"uscc": "X", "entered_on": "not-a-date", "board": "科创板"}, "日期"),
    ({"uscc": "X", "entered_on": "2024-01-05", "board": "纳斯达克"}, "选择"),
    ({"uscc": "X", "entered_on": "2024-01-05", "board": "科创板", "expected_year": "1900"}, "2000"),
    ({"uscc": "X", "entered_on": "2024-01-05", "board": "科创板", "contact_phone": "abc"}, "电话"),
])
def test_bad_candidate_forms_are_messages_not_errors(app, login, jrb, data, field_msg):
    resp = login(jrb).post("/finance/candidates/new", data=data)
    assert resp.status_code == 200
    html = resp.get_data(as_text=True)
    assert "invalid-feedback" in html and field_msg in html


def test_unknown_firm_is_refused_or_registered_with_name(app, login, jrb):
    from registry import uscc as uscc_mod
    code = uscc_mod.generate(org_body8="MA2B0001")
    client = login(jrb)
    resp = client.post("/finance/candidates/new", data={"uscc": code, "entered_on": "2024-01-05", "board": "北交所"})
    assert resp.status_code == 200 and "不在企业库中" in resp.get_data(as_text=True)
    resp = client.post("/finance/candidates/new", data={"uscc": code, "firm_name": "新登记科技有限公司",
                                                        "entered_on": "2024-01-05", "board": "北交所"})
    assert resp.status_code == 302


@pytest.mark.parametrize("data", [
    {"stage": "入库", "on": "2024-03-01"},                 # same stage
    {"stage": "辅导备案", "on": "2023-12-01"},             # before 入库
    {"stage": "退出", "on": "2024-03-01"},                 # no reason
    {"stage": "上市", "on": "2024-03-01"},                 # no stock code
    {"stage": "辅导备案", "on": "2024-02-30"},             # no such day
    {"stage": "什么", "on": "2024-03-01"},
])
def test_bad_stage_moves_show_on_form(app, login, jrb, records, data):
    resp = login(jrb).post(f"/finance/candidates/{records['cid']}/stage", data={**data, "back": "board"})
    assert resp.status_code == 200 and "invalid-feedback" in resp.get_data(as_text=True)
    assert db.session.get(IpoCandidate, records["cid"]).current_stage == "入库"


@pytest.mark.parametrize("amount", ["0", "-3", "abc", ""])
def test_bad_financing_forms(app, login, jrb, records, amount):
    resp = login(jrb).post("/finance/financing/new", data={"uscc": records["firm"].uscc, "kind": "IPO",
                                                           "amount": amount, "on": "2024-01-01"})
    assert resp.status_code == 200 and "invalid-feedback" in resp.get_data(as_text=True)
    assert db.session.scalar(select(db.func.count()).select_from(FinancingEvent)) == 1


def test_financing_edit_and_stale(app, login, jrb, records):
    client = login(jrb)
    data = {"kind": "公司债", "amount": "2000", "on": "2024-02-02", "version": "1"}
    assert client.post(f"/finance/financing/{records['eid']}/edit", data=data).status_code == 302
    stale = client.post(f"/finance/financing/{records['eid']}/edit", data={**data, "amount": "3000"})
    assert stale.status_code == 200 and "stale-changes" in stale.get_data(as_text=True)
    event = db.session.get(FinancingEvent, records["eid"])
    assert event.kind == "公司债" and event.amount == 2000


def test_english_pages(app, login, jrb, records):
    client = login(jrb)
    client.get("/lang/en")
    html = client.get("/finance/board").get_data(as_text=True)
    assert "Listing pipeline" in html and "Shareholding reform" in html
    html = client.get("/finance/financing").get_data(as_text=True)
    assert "Direct financing" in html

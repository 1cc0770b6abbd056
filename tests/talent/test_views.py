"""Talent pages: privacy (names and masked IDs only for talent units and admin), forms, exports."""
import io
import logging
from datetime import date

import openpyxl
import pytest
from sqlalchemy import func, select

from core.db import db
from talent import service
from talent.models import Person, Recognition, Team
from tests.talent.conftest import bad_check, idn

ID_A = idn(123)
ID_B = idn(245, birth=date(1990, 7, 8))


def _form(firm, **extra):
    data = {"name": "张三", "id_number": ID_A, "category": "领军人才", "programme": "甬江引才工程",
            "uscc": firm.uscc, "firm_name": "", "recognized_on": "2018-05-01", "support": "50", "unit_code": "rsj",
            "note": ""}
    data.update(extra)
    return data


def _seed(actor, firm):
    for number, name, category in ((ID_A, "张三", "领军人才"), (ID_B, "李四", "高技能人才")):
        service.register_talent(actor, key=service.person_key(number), name=name, category=category,
                                uscc=firm.uscc, recognized_on=date(2018, 5, 1), support=50, unit_code="rsj")
    service.register_team(actor, name="智能传感团队", uscc=firm.uscc, leader=service.person_key(ID_A),
                          members=[service.person_key(ID_B)], recognized_on=date(2019, 1, 1), unit_code="rsj")
    db.session.commit()


def _pages(client, person_id=None, team_id=None):
    urls = ["/talent/", "/talent/teams", "/talent/?as_of=2020-01-01", "/talent/?as_of=bad"]
    if team_id:
        urls.append(f"/talent/teams/{team_id}")
    return {u: client.get(u) for u in urls}


def test_rsj_editor_registers_talent_through_the_form(app, firm, rsj, login, caplog):
    caplog.set_level(logging.DEBUG)
    client = login(rsj)
    resp = client.post("/talent/register", data=_form(firm))
    assert resp.status_code == 302
    person = db.session.scalars(select(Person)).one()
    page = client.get(resp.headers["Location"]).get_data(as_text=True)
    assert "张三" in page and person.id_masked in page and ID_A not in page
    assert ID_A not in caplog.text


def test_rcb_editor_registering_the_same_id_adds_a_category(app, firm, rsj, rcb, login):
    login(rsj).post("/talent/register", data=_form(firm))
    resp = login(rcb).post("/talent/register", data=_form(firm, category="千人计划专家", unit_code="rcb",
                                                           programme="千人计划"))
    assert resp.status_code == 302
    assert db.session.scalar(select(func.count()).select_from(Person)) == 1
    assert db.session.scalar(select(func.count()).select_from(Recognition)) == 2


@pytest.mark.parametrize("field, value, message", [
    ("id_number", None, "校验位"), ("id_number", "12345", "18位"), ("id_number", "", "不能为空"),
    ("recognized_on", "2018-13-01", None), ("support", "-5", "资助金额应在 0 到 100,000 万元之间"), ("category", "院士", None),
    ("recognized_on", "2999-01-01", "不能晚于今天"),
])
def test_bad_talent_form_shows_a_message_and_never_echoes_the_id(app, firm, rsj, login, field, value, message):
    if field == "id_number" and value is None:
        value = bad_check(ID_A)
    resp = login(rsj).post("/talent/register", data=_form(firm, **{field: value}))
    assert resp.status_code == 200
    html = resp.get_data(as_text=True)
    assert "is-invalid" in html
    if message:
        assert message in html
    assert ID_A not in html and ID_A[:17] not in html
    assert db.session.scalar(select(func.count()).select_from(Person)) == 0


def test_unknown_firm_error_on_the_uscc_field(app, rsj, login):
    from registry import uscc as uscc_mod
    resp = login(rsj).post("/talent/register", data={**_form(type("F", (), {"uscc": uscc_mod.generate()})())})
    assert resp.status_code == 200 and "不在企业库中" in resp.get_data(as_text=True)


def test_known_id_with_other_name_is_a_form_error(app, firm, rsj, login):
    client = login(rsj)
    client.post("/talent/register", data=_form(firm))
    resp = client.post("/talent/register", data=_form(firm, name="李四", category="高技能人才"))
    assert resp.status_code == 200 and "另一姓名" in resp.get_data(as_text=True)


@pytest.mark.parametrize("who", ["kjj", "manager"])
def test_others_see_counts_but_no_names_or_masked_ids(app, firm, rsj, request, login, who):
    _seed(rsj, firm)
    user = request.getfixturevalue(who)
    client = login(user)
    team = db.session.scalars(select(Team)).one()
    pages = _pages(client, team_id=team.id)
    masked = [p.id_masked for p in db.session.scalars(select(Person))]
    for url, resp in pages.items():
        html = resp.get_data(as_text=True)
        assert resp.status_code == 200, url
        for secret in ("张三", "李四", ID_A, ID_B, *masked):
            assert secret not in html, (url, secret)
    summary = pages["/talent/?as_of=2020-01-01"].get_data(as_text=True)
    assert 'id="metric-leading_talents">1<' in summary and 'id="metric-leading_talent_teams">1<' in summary
    assert firm.name in summary
    for url in ("/talent/persons", f"/talent/persons/{team.leader_id}"):
        assert client.get(url).status_code == 403


def test_history_page_shows_no_personal_data(app, firm, rsj, kjj, login):
    _seed(rsj, firm)
    person = db.session.scalars(select(Person).where(Person.name == "张三")).one()
    html = login(kjj).get(f"/records/talent.person/{person.id}/history").get_data(as_text=True)
    assert "张三" not in html and person.id_masked not in html and ID_A not in html and "***" in html


@pytest.mark.parametrize("who", ["rsj", "rcb", "admin"])
def test_talent_units_and_admin_see_names_and_masked_ids(app, firm, rsj, request, login, who):
    _seed(rsj, firm)
    client = login(request.getfixturevalue(who))
    person = db.session.scalars(select(Person).where(Person.name == "张三")).one()
    listing = client.get("/talent/persons").get_data(as_text=True)
    assert "张三" in listing and person.id_masked in listing and ID_A not in listing
    team = db.session.scalars(select(Team)).one()
    detail = client.get(f"/talent/teams/{team.id}").get_data(as_text=True)
    assert "李四" in detail and ID_B not in detail


def test_kjj_editor_cannot_write(app, firm, rsj, kjj, login):
    _seed(rsj, firm)
    client = login(kjj)
    person = db.session.scalars(select(Person).where(Person.name == "张三")).one()
    rec = person.recognitions[0]
    team = db.session.scalars(select(Team)).one()
    for url in ("/talent/register", "/talent/teams/new", f"/talent/persons/{person.id}/edit",
                f"/talent/recognitions/{rec.id}/edit", f"/talent/teams/{team.id}/edit"):
        assert client.get(url).status_code == 403, url
        assert client.post(url, data=_form(firm, name="黑客")).status_code == 403, url
    assert client.post(f"/talent/teams/{team.id}/members/{team.members[0].id}/remove").status_code == 403
    assert client.post(f"/records/talent.person/{person.id}/archive", data={"note": "x"}).status_code == 403
    assert client.get("/imports/talents").status_code == 403
    assert db.session.scalar(select(func.count()).select_from(Person)) == 2


def test_viewer_of_talent_unit_sees_names_but_cannot_write(app, firm, rsj, make_user, login):
    _seed(rsj, firm)
    client = login(make_user("rcb_viewer", unit="rcb", role="viewer"))
    assert "张三" in client.get("/talent/persons").get_data(as_text=True)
    assert client.post("/talent/register", data=_form(firm)).status_code == 403


def _sheet(resp):
    wb = openpyxl.load_workbook(io.BytesIO(resp.data))
    return [[c for c in row] for row in wb.active.iter_rows(values_only=True)]


def test_export_is_aggregate_for_others_and_masked_for_talent_units(app, firm, rsj, manager, login):
    _seed(rsj, firm)
    masked = db.session.scalars(select(Person.id_masked)).all()
    resp = login(manager).get("/talent/export.xlsx?as_of=2020-01-01")
    assert resp.status_code == 200
    rows = _sheet(resp)
    flat = repr(rows)
    assert "张三" not in flat and ID_A not in flat and all(m not in flat for m in masked)
    assert [firm.uscc, firm.name, "领军人才", 1, 50] in [list(r) for r in rows]
    rows = _sheet(login(rsj).get("/talent/export.xlsx?as_of=2020-01-01"))
    flat = repr(rows)
    assert "张三" in flat and masked[0] in flat and ID_A not in flat and ID_B not in flat


def test_timeline_masks_for_others(app, firm, rsj, manager):
    from core.timeline import items_for
    _seed(rsj, firm)
    with app.test_request_context():
        others = items_for(firm.id, manager)
        mine = items_for(firm.id, rsj)
    talent_others = [i for i in others if i.domain == "talent"]
    assert talent_others and "张三" not in repr(talent_others) and ID_A[-4:] not in repr(talent_others)
    assert any("1人" in i.detail for i in talent_others)
    assert "张三" in repr([i for i in mine if i.domain == "talent"])
    assert ID_A not in repr(mine)


def test_team_form_and_edit(app, firm, rsj, login):
    client = login(rsj)
    client.post("/talent/register", data=_form(firm))
    client.post("/talent/register", data=_form(firm, name="李四", id_number=ID_B, category="高技能人才"))
    bad = client.post("/talent/teams/new", data={"name": "团队", "uscc": firm.uscc, "leader_id": ID_A,
                                                 "member_ids": bad_check(ID_B), "recognized_on": "2019-01-01",
                                                 "unit_code": "rsj"})
    assert bad.status_code == 200 and "第1个成员" in bad.get_data(as_text=True)
    assert ID_B[:17] not in bad.get_data(as_text=True)
    resp = client.post("/talent/teams/new", data={"name": "智能传感团队", "uscc": firm.uscc, "leader_id": ID_A,
                                                  "member_ids": ID_B, "recognized_on": "2019-01-01",
                                                  "support": "300", "unit_code": "rsj"})
    assert resp.status_code == 302
    team = db.session.scalars(select(Team)).one()
    assert [p.name for p in team.members] == ["李四"]
    edit = client.post(f"/talent/teams/{team.id}/edit", data={"name": "智能传感团队（二期）", "uscc": firm.uscc,
                                                             "leader_id": "", "member_ids": "",
                                                             "recognized_on": "2019-02-01", "version": team.version})
    assert edit.status_code == 302
    db.session.refresh(team)
    assert team.name == "智能传感团队（二期）" and team.leader.name == "张三"
    stale = client.post(f"/talent/teams/{team.id}/edit", data={"name": "x", "uscc": firm.uscc,
                                                              "recognized_on": "2019-02-01", "version": 1})
    assert stale.status_code == 200 and "stale-changes" in stale.get_data(as_text=True)
    member = team.members[0]
    assert client.post(f"/talent/teams/{team.id}/members/{member.id}/remove").status_code == 302
    db.session.refresh(team)
    assert team.members == []


def test_person_and_recognition_edit(app, firm, rsj, login):
    client = login(rsj)
    client.post("/talent/register", data=_form(firm))
    person = db.session.scalars(select(Person)).one()
    resp = client.post(f"/talent/persons/{person.id}/edit", data={"name": "张叁", "version": person.version})
    assert resp.status_code == 302
    rec = person.recognitions[0]
    resp = client.post(f"/talent/recognitions/{rec.id}/edit", data={
        "programme": "新项目", "uscc": firm.uscc, "recognized_on": "2018-06-01", "support": "80",
        "version": rec.version})
    assert resp.status_code == 302
    db.session.refresh(rec)
    assert rec.programme == "新项目" and float(rec.support) == 80
    resp = client.post(f"/talent/recognitions/{rec.id}/edit", data={
        "programme": "新项目", "uscc": "bad", "recognized_on": "2018-06-01", "version": rec.version})
    assert resp.status_code == 200 and "is-invalid" in resp.get_data(as_text=True)


def test_english_pages(app, firm, rsj, login):
    _seed(rsj, firm)
    client = login(rsj)
    client.get("/lang/en")
    html = client.get("/talent/").get_data(as_text=True)
    assert "Leading talents (supported)" in html and "High-skill talent" in html


def test_firm_page_timeline_follows_the_rule(app, firm, rsj, kjj, login):
    _seed(rsj, firm)
    masked = db.session.scalars(select(Person.id_masked)).all()
    other = login(kjj).get(f"/registry/firms/{firm.id}")
    assert other.status_code == 200
    html = other.get_data(as_text=True)
    assert "领军人才认定" in html and "智能传感团队" in html
    assert "张三" not in html and "李四" not in html and all(m not in html for m in masked)
    mine = login(rsj).get(f"/registry/firms/{firm.id}").get_data(as_text=True)
    assert "张三" in mine and masked[0] in mine and ID_A not in mine

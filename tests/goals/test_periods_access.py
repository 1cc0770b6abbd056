"""Closed periods through the CLI, the API and the pages: who may close and reopen, what each serves."""
import io
import re
from datetime import date

import openpyxl
import pytest
from sqlalchemy import select

from core import records as core_records
from core.auth.service import issue_token
from core.db import db
from goals import periods
from goals.models import Goal
from goals.period_models import PeriodClose

DAY = date(2018, 12, 31)


@pytest.fixture
def closed(app, manager, champion_firms, editor):
    """2018 closed by the manager, then the editor archives a firm that counted."""
    periods.close_period(DAY, actor=manager)
    db.session.commit()
    core_records.archive(champion_firms[0][0], editor, note="重复登记")
    db.session.commit()
    return champion_firms[0]


def _api(app, user):
    token = issue_token(user)
    db.session.commit()
    client = app.test_client()
    return lambda url: client.get(url, headers={"Authorization": f"Bearer {token}"})


# --------------------------------------------------------------------------- CLI

def test_cli_close_list_reopen(app, admin, manager, editor):
    run = app.test_cli_runner().invoke
    out = run(args=["periods", "close", "2018-12-31", "--as-user", "manager", "--note", "年度考核"])
    assert out.exit_code == 0 and "2018-12-31 已关账" in out.output
    again = run(args=["periods", "close", "2018-12-31"])
    assert again.exit_code == 1 and "不能重复关账" in again.output
    listed = run(args=["periods", "list"])
    assert listed.exit_code == 0 and "2018-12-31\tyear\tmanager" in listed.output and "已关账" in listed.output
    refused = run(args=["periods", "reopen", "2018-12-31", "--reason", "更正", "--as-user", "manager"])
    assert refused.exit_code == 1 and "无权" in refused.output
    no_reason = run(args=["periods", "reopen", "2018-12-31"])
    assert no_reason.exit_code != 0 and periods.active_close(DAY) is not None
    done = run(args=["periods", "reopen", "2018-12-31", "--reason", "年报更正", "--as-user", "admin"])
    assert done.exit_code == 0 and periods.active_close(DAY) is None
    assert "已重新开放（年报更正）" in run(args=["periods", "list"]).output


@pytest.mark.parametrize("args, message", [
    (["periods", "close", "2018-13-01"], "YYYY-MM-DD"), (["periods", "close", "2018-11-30"], "季末"),
    (["periods", "close", "2018-12-31", "--as-user", "jxj_editor"], "无权"),
    (["periods", "close", "2018-12-31", "--as-user", "nobody"], "不存在"),
    (["periods", "reopen", "2018-12-31", "--reason", "x"], "未关账")])
def test_cli_refuses_bad_input(app, editor, args, message):
    out = app.test_cli_runner().invoke(args=args)
    assert out.exit_code != 0 and message in out.output
    assert db.session.scalars(select(PeriodClose)).first() is None


# --------------------------------------------------------------------------- API

def test_api_serves_frozen_actual_live_actual_and_closed_at(app, manager, closed):
    get = _api(app, manager)
    body = {g["key"]: g for g in get("/api/v1/goals?as_of=2018-12-31").json}
    champ = body["single_champion_pool"]
    assert (champ["actual"], champ["live_actual"], champ["status"]) == (2, 1, "behind")
    assert champ["closed_at"].startswith(periods.active_close(DAY).closed_at.strftime("%Y-%m-%d"))
    open_day = {g["key"]: g for g in get("/api/v1/goals?as_of=2019-01-01").json}["single_champion_pool"]
    assert (open_day["actual"], open_day["live_actual"], open_day["closed_at"]) == (1, None, None)
    frozen = get("/api/v1/goals/single_champion_pool/records?as_of=2018-12-31").json
    live = get("/api/v1/goals/single_champion_pool/records?as_of=2019-01-01").json
    assert closed[0].name in [r["firm_name"] for r in frozen] and len(frozen) == 2
    assert closed[0].name not in [r["firm_name"] for r in live]


# --------------------------------------------------------------------------- pages and permissions

def test_editor_cannot_close_manager_cannot_reopen(app, login, editor, manager, admin):
    assert login(editor).post("/goals/periods/close", data={"day": "2018-12-31"}).status_code == 403
    mgr = login(manager)
    resp = mgr.post("/goals/periods/close", data={"day": "2018-12-31", "note": "年度考核"})
    assert resp.status_code == 302
    close = periods.active_close(DAY)
    assert mgr.post(f"/goals/periods/{close.id}/reopen", data={"reason": "x"}).status_code == 403
    page = mgr.get("/goals/periods").get_data(as_text=True)
    assert "2018-12-31" in page and "已关账" in page and "重新开放原因" not in page
    adm = login(admin, app.test_client())
    assert adm.post(f"/goals/periods/{close.id}/reopen", data={"reason": ""}).status_code == 302
    assert periods.active_close(DAY) is not None                     # no reason: nothing changed
    assert adm.post(f"/goals/periods/{close.id}/reopen", data={"reason": "更正"}).status_code == 302
    assert periods.active_close(DAY) is None


@pytest.mark.parametrize("day, message", [("", "请填写关账日期"), ("2018-02-30", "日期格式应为"), ("2018-12-30", "年末"),
                                        ("2999-12-31", "尚未过去")])
def test_close_page_bad_input(app, login, manager, day, message):
    resp = login(manager).post("/goals/periods/close", data={"day": day})
    errors = re.findall(r'invalid-feedback[^>]*>([^<]*)<', resp.get_data(as_text=True))
    assert resp.status_code == 400 and len(errors) == 1 and message in errors[0]
    assert db.session.scalars(select(PeriodClose)).first() is None


def test_close_page_same_date_twice(app, login, manager):
    mgr = login(manager)
    mgr.post("/goals/periods/close", data={"day": "2018-12-31"})
    resp = mgr.post("/goals/periods/close", data={"day": "2018-12-31"})
    assert resp.status_code == 400 and "不能重复关账" in resp.get_data(as_text=True)


def test_goal_page_shows_reported_now_and_the_firm_that_explains(app, login, manager, editor, closed):
    html = login(manager).get("/goals/g/single_champion_pool?as_of=2018-12-31").get_data(as_text=True)
    assert 'id="reported-value">2<' in html and 'id="live-value">1<' in html
    assert closed[0].name in html and "已归档" in html and "重复登记" in html and editor.label in html
    other = login(manager).get("/goals/g/single_champion_pool?as_of=2019-12-31").get_data(as_text=True)
    assert 'id="period-compare"' not in other


def test_dashboard_and_export_show_frozen_figures_marked_closed(app, login, manager, closed):
    mgr = login(manager)
    html = mgr.get("/goals/?as_of=2018-12-31").get_data(as_text=True)
    assert 'id="period-closed"' in html and "已关账" in html and 'id="period-moved"' in html
    wb = openpyxl.load_workbook(io.BytesIO(mgr.get("/goals/export.xlsx?as_of=2018-12-31").data))
    annex = wb.worksheets[0]
    rows = list(annex.iter_rows(values_only=True))
    champion = next(r for r in rows[1:] if r[1].startswith("单项（隐形）冠军"))
    assert champion[5] == 2 and "已关账" in str(champion[-1])
    open_rows = list(openpyxl.load_workbook(io.BytesIO(mgr.get("/goals/export.xlsx?as_of=2019-01-01").data))
                     .worksheets[0].iter_rows(values_only=True))
    assert next(r for r in open_rows[1:] if r[1].startswith("单项（隐形）冠军"))[5] == 1


def test_goal_page_in_english(app, login, manager, closed):
    mgr = login(manager)
    mgr.get("/lang/en")
    html = mgr.get("/goals/g/single_champion_pool?as_of=2018-12-31").get_data(as_text=True)
    assert "As reported" in html and "Counted when reported, no longer counted" in html and "报告值" not in html
    assert "This page shows the figures reported for 2018-12-31" in mgr.get("/goals/?as_of=2018-12-31").get_data(
        as_text=True)


def test_unit_page_shows_frozen_figures_on_a_closed_date(app, login, manager, closed):
    unit = db.session.scalars(select(Goal).where(Goal.key == "single_champion_pool")).one().units[0]
    mgr = login(manager)
    html = mgr.get(f"/goals/units/{unit.code}?as_of=2018-12-31").get_data(as_text=True)
    assert 'id="period-closed"' in html and 'id="period-moved"' in html
    row = re.search(r'<tr class="status-[^"]*"><td><a href="[^"]*single_champion_pool[^"]*">.*?</tr>', html, re.S)
    assert row and re.findall(r'class="num">([^<]*)<', row.group(0))[1].strip() == "2"     # as reported, not 1
    live = mgr.get(f"/goals/units/{unit.code}?as_of=2019-01-01").get_data(as_text=True)
    row = re.search(r'<tr class="status-[^"]*"><td><a href="[^"]*single_champion_pool[^"]*">.*?</tr>', live, re.S)
    assert 'id="period-closed"' not in live and re.findall(r'class="num">([^<]*)<', row.group(0))[1].strip() == "1"

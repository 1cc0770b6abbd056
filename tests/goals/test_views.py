"""Goal pages: dashboard, goal page with drill-down, export, unit page, admin pages, permissions."""
import io
from datetime import date

import openpyxl
import pytest
from sqlalchemy import select

from core.db import db
from goals import service
from goals.models import GoalTarget, StatusThreshold


@pytest.fixture
def mgr(manager, login):
    return login(manager)


def test_dashboard_groups_and_status_classes(app, mgr, champion_firms):
    html = mgr.get("/goals/?as_of=2019-02-01").get_data(as_text=True)
    for category in ("创新能力", "特色发展", "五大细分行业"):
        assert category in html
    assert 'id="goal-link-single_champion_pool"' in html and "status-behind" in html
    assert "vendor/echarts/echarts.min.js" in html
    by_unit = mgr.get("/goals/?by=unit").get_data(as_text=True)
    assert "区环保局" in by_unit and "鄞州工业园区" in by_unit


def test_dashboard_unit_filter(app, mgr):
    html = mgr.get("/goals/?unit=hbj").get_data(as_text=True)
    assert "工业固体废物综合利用率" in html and "单项（隐形）冠军" not in html


@pytest.mark.parametrize("qs", ["as_of=2019-13-45", "as_of=abc", "as_of=", "unit=nope", "by=zzz"])
def test_dashboard_bad_arguments_no_error(app, mgr, qs):
    assert mgr.get(f"/goals/?{qs}").status_code == 200


def test_goal_page_drill_down(app, mgr, champion_firms):
    html = mgr.get("/goals/g/single_champion_pool?as_of=2018-12-31").get_data(as_text=True)
    assert "甲精密机械有限公司" in html and "乙新材料股份有限公司" in html and "丙电子科技有限公司" not in html
    html = mgr.get("/goals/g/single_champion_pool?as_of=2019-03-01").get_data(as_text=True)
    assert "丙电子科技有限公司" in html and "乙新材料股份有限公司" not in html
    assert mgr.get("/goals/g/no_such_goal").status_code == 404


def test_goal_page_shows_both_nc_targets(app, mgr):
    html = mgr.get("/goals/g/nc_rate").get_data(as_text=True)
    assert "正文 四（二）" in html and 'id="conflict-note"' in html and "71" in html and "69" in html


def test_export_annex1_layout(app, mgr, champion_firms):
    resp = mgr.get("/goals/export.xlsx?as_of=2019-02-01")
    assert resp.status_code == 200
    wb = openpyxl.load_workbook(io.BytesIO(resp.data))
    annex, text = wb.worksheets
    headers = [c.value for c in annex[1]]
    assert headers[:8] == ["类别", "具体指标", "2016年实绩", "2019年目标", "责任单位", "当前值", "进度", "状态"]
    rows = {r[1]: r for r in annex.iter_rows(min_row=2, values_only=True)}
    assert len(rows) == 19
    champion = next(r for k, r in rows.items() if k.startswith("单项（隐形）冠军"))
    assert (champion[2], champion[3], champion[4], champion[5], champion[7]) == (2, 50, "区经信局", 2, "滞后")
    nc = next(r for k, r in rows.items() if k.startswith("装备数控化率") or "数控化率" in k)
    assert nc[3] == 69
    labor = next(r for k, r in rows.items() if "劳动生产率" in k)
    assert labor[3] == "8左右"
    energy = next(r for k, r in rows.items() if "能耗" in k)
    assert energy[2] is None                     # the plan's "--": empty
    text_rows = list(text.iter_rows(min_row=2, values_only=True))
    assert any(r[4] == 71 and r[5] == "正文 四（二）" for r in text_rows)
    assert any(r[1] == "新型材料产业产值" or (r[4] == 600 and r[3] == 2025) for r in text_rows)


def test_export_needs_permission(app, make_user, login):
    viewer = login(make_user("viewer", unit="scjgj", role="viewer"))
    assert viewer.get("/goals/export.xlsx").status_code == 403
    assert viewer.get("/goals/").status_code == 200


def test_unit_page_due_returned_notifications(app, goal, editor, manager, login):
    rv = service.save_report(goal("nc_rate"), period="2018", value="60", note="", actor=editor,
                             unit=editor.unit, today=date(2019, 3, 1))
    service.return_report(rv, reason="请附统计报表", actor=manager)
    db.session.commit()
    client = login(editor)
    html = client.get("/goals/units/jxj").get_data(as_text=True)
    assert "请附统计报表" in html and 'id="due-table"' in html and "机器联网率" in html
    assert client.get("/goals/units/nope").status_code == 404
    note_id = service.notifications_for(editor.unit)[0].id
    assert client.post(f"/goals/notifications/{note_id}/read").status_code == 302
    other = login(_other_editor(app), app.test_client())
    assert other.post(f"/goals/notifications/{note_id}/read").status_code == 403


def _other_editor(app):
    from core.auth.service import create_user
    user = create_user("kjj_ed", "password123", unit="kjj", role="editor")
    db.session.commit()
    return user


def test_admin_edits_target_keeping_history(app, admin, login, goal, make_user):
    target = next(t for t in goal("three_famous").targets if t.year == 2019)
    other_unit = login(make_user("kjj_ed", unit="kjj", role="editor"), app.test_client())
    assert other_unit.get(f"/goals/targets/{target.id}/edit").status_code == 403     # not its goal
    client = login(admin, app.test_client())
    assert client.get(f"/goals/targets/{target.id}/edit").status_code == 200
    resp = client.post(f"/goals/targets/{target.id}/edit", data={"value": "十二", "version": target.version})
    assert resp.status_code == 200 and "请输入数字" in resp.get_data(as_text=True)
    resp = client.post(f"/goals/targets/{target.id}/edit", data={"value": "12", "note": "调高", "version": target.version})
    assert resp.status_code == 302
    resp = client.post(f"/goals/targets/{target.id}/edit", data={"value": "13", "version": "1"})
    assert resp.status_code == 200 and "stale-changes" in resp.get_data(as_text=True)
    db.session.expire_all()
    target = db.session.get(GoalTarget, target.id)
    assert target.value == 12 and [(r.old_value, r.new_value) for r in target.revisions] == [(10, 12)]
    html = client.get("/goals/g/three_famous").get_data(as_text=True)
    assert "target-revision" in html and "调高" in html


def test_range_target_needs_upper_bound(app, admin, goal):
    from core.errors import ServiceError
    target = next(t for t in goal("urban_industrial_parks").targets if t.year == 2019)
    with pytest.raises(ServiceError) as exc:
        service.revise_target(target, value="3", value_max="2", actor=admin)
    assert exc.value.field == "value_max"


def test_threshold_page(app, admin, login, mgr):
    assert mgr.get("/goals/admin/thresholds").status_code == 403
    client = login(admin, app.test_client())
    assert "已完成" in client.get("/goals/admin/thresholds").get_data(as_text=True)
    rule = db.session.scalars(select(StatusThreshold).where(StatusThreshold.key == "at_risk")).one()
    resp = client.post(f"/goals/admin/thresholds/{rule.id}", data={f"t{rule.id}-min_ratio": "abc"},
                       follow_redirects=True)
    assert "请输入数字" in resp.get_data(as_text=True)
    client.post(f"/goals/admin/thresholds/{rule.id}", data={f"t{rule.id}-min_ratio": "0.7"})
    db.session.expire_all()
    assert float(db.session.get(StatusThreshold, rule.id).min_ratio) == 0.7


def test_job_and_quality_pages(app, admin, login, mgr):
    assert mgr.get("/goals/admin/jobs").status_code == 403
    client = login(admin, app.test_client())
    assert "goals.snapshot" in client.get("/goals/admin/jobs").get_data(as_text=True)
    resp = client.post("/goals/admin/jobs/goals.data_quality/run", follow_redirects=True)
    assert resp.status_code == 200 and "任务已运行" in resp.get_data(as_text=True)
    html = client.get("/goals/admin/jobs").get_data(as_text=True)
    assert "bg-success" in html
    assert client.post("/goals/admin/jobs/nope/run").status_code == 404
    assert client.get("/goals/admin/quality").status_code == 200


def test_reviews_page(app, goal, editor, manager, login):
    service.save_report(goal("nc_rate"), period="2018", value="60", note="", actor=editor, unit=editor.unit)
    db.session.commit()
    html = login(manager).get("/goals/reviews").get_data(as_text=True)
    assert "2018" in html and "approve-btn" in html
    assert login(editor, app.test_client()).get("/goals/reviews").status_code == 403


def test_english_dashboard(app, mgr):
    mgr.get("/lang/en")
    html = mgr.get("/goals/").get_data(as_text=True)
    assert "Innovation capability" in html and "progress toward the goals" in html and "As of" in html

"""Reported values: submit → approve (locked) or return with a reason; admin reopens; HTTP rules."""
import io
from datetime import date
from decimal import Decimal

import pytest
from sqlalchemy import select

from core.audit.models import AuditEntry
from core.db import db
from core.errors import ServiceError
from goals import rollup as ru
from goals import service
from goals.models import Notification, ReportedValue

TODAY = date(2020, 3, 1)


def _submit(goal, editor, period="2019", value="70.5", **kw):
    rv = service.save_report(goal, period=period, value=value, note="统计年报", actor=editor,
                             unit=editor.unit, today=TODAY, **kw)
    db.session.commit()
    return rv


def test_approve_locks_the_period(app, goal, editor, manager, admin):
    g = goal("nc_rate")
    rv = _submit(g, editor)
    assert rv.status == "submitted" and rv.submitted_by_id == editor.id and not rv.locked
    with pytest.raises(ServiceError, match="等待审核"):
        service.save_report(g, period="2019", value="71", note="", actor=editor, unit=editor.unit, today=TODAY)
    service.approve_report(rv, actor=manager)
    db.session.commit()
    assert rv.status == "approved" and rv.locked and rv.decided_by_id == manager.id
    with pytest.raises(ServiceError, match="锁定"):
        service.save_report(g, period="2019", value="72", note="", actor=editor, unit=editor.unit, today=TODAY)
    db.session.rollback()
    assert db.session.get(ReportedValue, rv.id).value == Decimal("70.5")
    with pytest.raises(ServiceError):
        service.approve_report(rv, actor=manager)
    # the admin reopens (audited), the unit corrects, the manager approves again
    service.reopen_report(rv, reason="统计局更正", actor=admin)
    db.session.commit()
    assert not rv.locked and rv.status == "returned"
    _submit(g, editor, value="70.8")
    service.approve_report(rv, actor=manager)
    db.session.commit()
    actions = list(db.session.scalars(select(AuditEntry.action).where(
        AuditEntry.entity_type == "goals.report", AuditEntry.entity_id == str(rv.id)).order_by(AuditEntry.seq)))
    assert actions == ["goals.report.submit", "goals.report.approve", "goals.report.reopen",
                       "goals.report.submit", "goals.report.approve"]


def test_reopen_needs_reason_and_lock(app, goal, editor, manager, admin):
    rv = _submit(goal("nc_rate"), editor)
    with pytest.raises(ServiceError):
        service.reopen_report(rv, reason="x", actor=admin)      # not locked
    service.approve_report(rv, actor=manager)
    with pytest.raises(ServiceError) as exc:
        service.reopen_report(rv, reason="  ", actor=admin)
    assert exc.value.field == "reason"


def test_returned_submission(app, goal, editor, manager):
    g = goal("nc_rate")
    rv = _submit(g, editor)
    with pytest.raises(ServiceError) as exc:
        service.return_report(rv, reason="", actor=manager)
    assert exc.value.field == "reason"
    service.return_report(rv, reason="缺少佐证材料", actor=manager)
    db.session.commit()
    assert rv.status == "returned" and rv.return_reason == "缺少佐证材料" and not rv.locked
    notes = list(db.session.scalars(select(Notification).where(Notification.unit_id == editor.unit_id)))
    assert len(notes) == 1 and "缺少佐证材料" in notes[0].message
    with pytest.raises(ServiceError):
        service.approve_report(rv, actor=manager)             # returned, not submitted
    assert ru.row_for(g, date(2020, 1, 1)).actual.value is None   # returned values do not count
    _submit(g, editor, value="69.5")
    assert rv.status == "submitted" and rv.value == Decimal("69.5")


def test_reported_actual_as_of(app, goal, editor, manager):
    g = goal("nc_rate")
    for period, value in (("2018", "66"), ("2019-Q2", "68")):
        rv = _submit(g, editor, period=period, value=value)
        service.approve_report(rv, actor=manager)
    db.session.commit()
    assert ru.row_for(g, date(2018, 12, 30)).actual.value is None
    assert ru.row_for(g, date(2018, 12, 31)).actual.value == 66
    row = ru.row_for(g, date(2019, 7, 1))
    assert (row.actual.value, row.actual.period) == (68, "2019-Q2")
    assert row.progress == Decimal(68) / Decimal(69)


@pytest.mark.parametrize("period, value, field", [
    ("2019-Q5", "1", "period"), ("19", "1", "period"), ("", "1", "period"), ("2021", "1", "period"),
    ("2019", "abc", "value"), ("2019", "1e20", "value"), ("2019", "NaN", "value"),
])
def test_bad_input(app, goal, editor, period, value, field):
    with pytest.raises(ServiceError) as exc:
        service.save_report(goal("nc_rate"), period=period, value=value, note="", actor=editor,
                            unit=editor.unit, today=TODAY)
    assert exc.value.field == field


def test_computed_goal_cannot_be_reported(app, goal, editor):
    with pytest.raises(ServiceError):
        service.save_report(goal("single_champion_pool"), period="2019", value="3", note="", actor=editor,
                            unit=editor.unit, today=TODAY)


def test_evidence_kept_with_original_name(app, goal, editor):
    rv = _submit(goal("nc_rate"), editor, evidence=("2019年数控化率统计.xlsx", b"PK\x03\x04data"))
    assert rv.evidence_name == "2019年数控化率统计.xlsx"
    stored = service.uploads_dir() / rv.evidence_path
    assert stored.read_bytes() == b"PK\x03\x04data" and "instance" in str(stored)
    with pytest.raises(ServiceError) as exc:
        service.store_evidence("virus.exe", b"MZ")
    assert exc.value.field == "evidence"


# --------------------------------------------------------------------------- over HTTP

def test_report_over_http(app, goal, editor, manager, login):
    client = login(editor)
    resp = client.post("/goals/g/nc_rate/report", data={
        "period": "2019", "value": "70", "note": "年报",
        "evidence": (io.BytesIO(b"%PDF-1.4"), "证明.pdf")}, content_type="multipart/form-data")
    assert resp.status_code == 302
    rv = service.find_report(goal("nc_rate"), "2019")
    assert rv.status == "submitted" and rv.evidence_name == "证明.pdf"
    assert client.get(f"/goals/reports/{rv.id}/evidence").data == b"%PDF-1.4"
    assert client.post(f"/goals/reports/{rv.id}/approve").status_code == 403   # editors don't approve
    mgr = login(manager)
    approved = mgr.post(f"/goals/reports/{rv.id}/approve", data={"next": "//evil.example/"})
    assert approved.status_code == 302 and approved.headers["Location"] == "/goals/g/nc_rate"
    db.session.expire_all()
    assert db.session.get(ReportedValue, rv.id).locked
    resp = client.post("/goals/g/nc_rate/report", data={"period": "2019", "value": "71"})
    assert resp.status_code == 200 and "锁定" in resp.get_data(as_text=True)


def test_report_form_errors_are_messages(app, editor, login):
    client = login(editor)
    for data, text in (({"period": "2019", "value": "七十"}, "请输入数字"),
                       ({"period": "2019-Q9", "value": "1"}, "填报期格式"),
                       ({"period": "", "value": ""}, "请填写填报期"),
                       ({"period": "2099", "value": "1"}, "尚未开始")):
        resp = client.post("/goals/g/nc_rate/report", data=data)
        assert resp.status_code == 200 and text in resp.get_data(as_text=True), data


def test_report_scope(app, make_user, login):
    other = login(make_user("kjj_editor", unit="kjj", role="editor"))
    assert other.get("/goals/g/nc_rate/report").status_code == 403          # 区经信局's goal
    assert other.post("/goals/g/nc_rate/report", data={"period": "2019", "value": "1"}).status_code == 403
    assert other.get("/goals/g/rd_to_gdp/report").status_code == 200        # 区科技局's goal
    viewer = login(make_user("viewer", unit="scjgj", role="viewer"), app.test_client())
    assert viewer.get("/goals/g/quality_competitiveness_index/report").status_code == 403


def test_return_over_http_needs_reason(app, goal, editor, manager, login):
    rv = _submit(goal("nc_rate"), editor)
    mgr = login(manager)
    resp = mgr.post(f"/goals/reports/{rv.id}/return", data={"reason": ""}, follow_redirects=True)
    assert resp.status_code == 200 and "退回时必须填写原因" in resp.get_data(as_text=True)
    mgr.post(f"/goals/reports/{rv.id}/return", data={"reason": "数据口径不对"})
    page = login(editor, app.test_client()).get("/goals/units/jxj").get_data(as_text=True)
    assert "数据口径不对" in page


def test_reopen_admin_only(app, goal, editor, manager, admin, login):
    rv = _submit(goal("nc_rate"), editor)
    service.approve_report(rv, actor=manager)
    db.session.commit()
    assert login(manager).post(f"/goals/reports/{rv.id}/reopen", data={"reason": "x"}).status_code == 403
    assert login(admin, app.test_client()).post(f"/goals/reports/{rv.id}/reopen",
                                                data={"reason": "更正"}).status_code == 302
    db.session.expire_all()
    assert not db.session.get(ReportedValue, rv.id).locked


@pytest.mark.parametrize("key, value, message", [
    ("nc_rate", "950", "不能超过 100%"),                          # a share of 950 %
    ("nc_rate", "-3", "不能为负数"),
    ("labor_productivity_growth_above_scale_mfg", "5000", "-100% 到 1000%"),   # a growth rate
])
def test_values_that_cannot_be_real_are_refused(app, goal, editor, login, key, value, message):
    """A reported value is checked against the goal's unit and nature as a target is (issue 13)."""
    with pytest.raises(ServiceError) as exc:
        service.save_report(goal(key), period="2019", value=value, note="", actor=editor, unit=editor.unit,
                            today=TODAY)
    assert exc.value.field == "value" and message in exc.value.message
    page = login(editor).post(f"/goals/g/{key}/report", data={"period": "2019", "value": value})
    assert page.status_code == 200 and message in page.get_data(as_text=True)
    assert service.find_report(goal(key), "2019") is None

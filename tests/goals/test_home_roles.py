"""Issue 15, the daily workspace by role: the admin's home (manager summary and the admins' to-dos,
scoped to every unit) and its badge; who reads the comments (分析与建议) — goals.comment_read through
core.permissions — and who writes them; the reporting deadline as a setting."""
import functools
import io
import re
import zipfile
from datetime import date, datetime, timedelta, timezone

import pytest
from sqlalchemy import select

from core import dates
from core.db import db, utcnow
from goals import reporting
from goals import rollup as ru
from goals import service
from goals.models import GoalComment

TODAY = date(2020, 1, 15)
TEXT = "研发投入增长放缓，建议加大加计扣除宣传（仅限科技局与领导小组）"


@pytest.fixture(autouse=True)
def _today(monkeypatch):
    monkeypatch.setattr(dates, "today", lambda: TODAY)


@pytest.fixture
def kjj(make_user):
    return make_user("kjj_editor", unit="kjj", role="editor")


@pytest.fixture
def jrb(make_user):
    return make_user("jrb_editor", unit="jrb", role="editor")


def _text(html: str, element_id: str) -> str:
    m = re.search(rf'id="{element_id}"[^>]*>(.*?)<', html, re.S)
    assert m, element_id
    return m.group(1).strip()


def _comment(client, key, text, period="2019-Q4", **extra):
    return client.post(f"/goals/g/{key}/comment", data={"period": period, "text": text, "version": "", **extra})


# --------------------------------------------------------------------------- comments: who reads, who writes

@pytest.fixture
def kjj_comment(kjj, login):
    assert "kjj" in ru.get_goal("rd_to_gdp").owner_unit_codes()
    assert "jrb" not in ru.get_goal("rd_to_gdp").owner_unit_codes()
    assert _comment(login(kjj), "rd_to_gdp", TEXT).status_code == 302
    return db.session.scalars(select(GoalComment)).one()


def test_comment_readers_by_role(app, kjj, jrb, manager, admin, make_user, login, kjj_comment):
    kjj_viewer = make_user("kjj_viewer", unit="kjj", role="viewer")
    other_viewer = make_user("scjgj_viewer", unit="scjgj", role="viewer")
    readers = {"manager": manager, "admin": admin, "kjj_editor": kjj, "kjj_viewer": kjj_viewer}
    others = {"jrb_editor": jrb, "scjgj_viewer": other_viewer}
    # alternate readers and others so that a cached dashboard of one can never serve the other
    for name, user in [x for pair in zip(readers.items(), others.items()) for x in pair] + list(readers.items())[2:]:
        client = login(user)
        sees = name in readers
        page = client.get("/goals/g/rd_to_gdp").get_data(as_text=True)
        assert (TEXT in page) is sees and ('id="goal-comments"' in page) is sees, name
        dashboard = client.get("/goals/?as_of=2020-01-15").get_data(as_text=True)
        assert (TEXT[:20] in dashboard) is sees, name
        assert TEXT[:20] not in client.get("/goals/briefing?as_of=2020-01-15").get_data(as_text=True)


def test_comment_on_the_managers_home_follows_the_scope(app, manager, admin, kjj_comment, login):
    from core.permissions import ALL_UNITS
    from goals import comments
    for user in (manager, admin):
        assert TEXT in login(user).get("/").get_data(as_text=True)
    assert [c["text"] for c in comments.recent(5, "zh", ALL_UNITS)] == [TEXT]
    assert [c["text"] for c in comments.recent(5, "zh", "kjj")] == [TEXT]
    assert comments.recent(5, "zh", "jrb") == [] and comments.recent(5, "zh", None) == []


def test_comment_is_in_no_export_or_api_for_another_unit(app, jrb, kjj_comment, login):
    from core.auth.service import issue_token
    from tests.api.conftest import JsonClient
    client = login(jrb)
    data = client.get("/goals/export.xlsx?as_of=2020-01-15").data
    with zipfile.ZipFile(io.BytesIO(data)) as z:
        assert not any(TEXT[:10] in z.read(n).decode("utf-8", "ignore") for n in z.namelist())
    token = issue_token(jrb)
    db.session.commit()
    api = JsonClient(app, token)
    for url in ("/api/v1/goals", "/api/v1/goals/rd_to_gdp/records"):
        resp = api.get(url)
        assert resp.status_code == 200 and TEXT[:10] not in resp.get_data(as_text=True), url


def test_comment_writes_refused_outside_the_owning_unit(app, jrb, manager, make_user, login, kjj_comment):
    for user in (jrb, manager, make_user("kjj_viewer", unit="kjj", role="viewer")):
        client = login(user)
        assert client.get("/goals/g/rd_to_gdp/comment").status_code == 403
        assert _comment(client, "rd_to_gdp", "越权").status_code == 403
    assert db.session.scalars(select(GoalComment.text)).all() == [TEXT]


def test_admin_writes_for_a_responsible_unit(app, admin, login):
    goal = next(g for g in (r.goal for r in ru.rollup_rows(TODAY)) if len(g.owner_unit_codes()) > 1)
    codes = [link.unit.code for link in sorted(goal.unit_links, key=lambda link: link.position)]
    client = login(admin)
    form = client.get(f"/goals/g/{goal.key}/comment").get_data(as_text=True)
    assert all(f'value="{c}"' in form for c in codes)                      # the admin picks the unit
    assert _comment(client, goal.key, "管理员代为填写", unit=codes[1]).status_code == 302
    assert _comment(client, goal.key, "不是责任单位", unit="scjgj" if "scjgj" not in codes else "rcb").status_code == 200
    comment = db.session.scalars(select(GoalComment)).one()
    assert (comment.unit.code, comment.text, comment.author_id) == (codes[1], "管理员代为填写", admin.id)


def test_comment_read_permission_is_scoped_in_core_permissions(app, kjj, jrb, manager, admin):
    from core.permissions import ALL_UNITS, can, unit_scope
    goal = ru.get_goal("rd_to_gdp")
    assert can("goals.comment_read", goal, user=kjj) and not can("goals.comment_read", goal, user=jrb)
    assert can("goals.comment_read", goal, user=manager) and can("goals.comment_read", goal, user=admin)
    assert (unit_scope("goals.comment_read", manager), unit_scope("goals.comment_read", admin),
            unit_scope("goals.comment_read", kjj)) == (ALL_UNITS, ALL_UNITS, "kjj")
    assert unit_scope("goals.approve", kjj) is None


# --------------------------------------------------------------------------- the admin's home

@pytest.fixture
def admin_things(app, admin, kjj, make_user):
    """A failed import of kjj's, a failed scheduled job, a locked-out user, a user who must change password."""
    from core.auth.models import LoginThrottle
    from core.import_jobs import ImportJob
    from core.scheduler import JobRun
    db.session.add(ImportJob(owner_id=kjj.id, kind="tenancies", action="preview", filename="科技局坏文件.csv",
                             token="t1", state="failed", error="boom"))
    db.session.add(JobRun(job="goals.snapshot", period="2020-01-14", status="failed", summary="OperationalError: x",
                          attempts=3))
    locked = make_user("locked_user", unit="jrb", role="editor")
    db.session.add(LoginThrottle(key="user:locked_user|1.2.3.4", username="locked_user", failures=5,
                                 locked_until=utcnow() + timedelta(minutes=10)))
    fresh = make_user("fresh_user", unit="rsj", role="viewer")
    fresh.must_change_password = True
    db.session.commit()
    return locked, fresh


def test_admin_sees_manager_summary_and_admin_to_dos(app, admin, kjj, login, admin_things):
    html = login(admin).get("/").get_data(as_text=True)
    assert 'id="home-manager"' in html and 'id="home-editor"' in html and 'id="home-admin"' in html
    assert html.index('id="home-manager"') < html.index('id="home-editor"')
    assert 'id="todo-reports"' not in html                   # an admin sends no reports of its own
    imports = html[html.index('id="todo-imports"'):html.index('id="recent-imports"')]
    assert "科技局坏文件.csv" in imports and "(kjj_editor)" in imports
    assert "/imports/tenancies/jobs/" not in imports          # another user's job page stays theirs
    assert 'data-job="goals.snapshot"' in html
    assert 'data-user="locked_user"' in html and 'data-user="fresh_user"' in html
    # the badge: reviews waiting + everybody's failed imports + failed jobs + accounts
    assert _text(html, "nav-awaiting-count") == str(service.pending_reports().__len__() + 1 + 1 + 2)
    # the editor sees only its own failed import, and no admin panel
    kjj_html = login(kjj).get("/").get_data(as_text=True)
    assert "科技局坏文件.csv" in kjj_html and 'id="home-admin"' not in kjj_html and 'id="home-manager"' not in kjj_html


def test_admin_sees_findings_in_all_data_and_reconcile_to_dos(app, admin, kjj, editor, login):
    from goals.jobs import scan
    from incubation import service as inc
    from registry import reconcile_todos, service as reg
    from registry.uscc import generate
    carrier = inc.create_carrier(kjj, name="鄞创众创空间", carrier_type="众创空间", level="区级",
                                 opened_on=date(2016, 1, 1))
    db.session.flush()
    tenancy = inc.register_tenancy(kjj, carrier=carrier, uscc=generate(), firm_name="久孵科技有限公司",
                                   entered_on=date(2016, 6, 1))
    reconcile_todos.record_todo(admin, pool=reg.pool_by_key("single_champion"), row={"line": 3, "name": "查无此企业"},
                                list_name="2019 单项冠军名单", as_of=date(2019, 12, 31), batch_id=None)
    scan(TODAY)
    db.session.commit()
    html = login(admin).get("/").get_data(as_text=True)
    quality = html[html.index('id="todo-quality"'):]
    assert 'data-kind="long_tenancy"' in quality and tenancy.firm.name in html       # incubation's data too
    assert _text(html, "todo-reconcile-count") == "1"
    # the registry's editors see the reconcile to-do and count it; kjj's do not
    jxj = login(editor).get("/").get_data(as_text=True)
    assert _text(jxj, "todo-reconcile-count") == "1"
    assert int(_text(jxj, "nav-awaiting-count")) == len(reporting.to_do("jxj", TODAY)) + 1
    assert 'id="todo-reconcile"' not in login(kjj).get("/").get_data(as_text=True)


def test_a_manager_type_editor_sees_both_panels(app, make_user, login, monkeypatch):
    from core import permissions
    grants = dict(permissions.ROLE_GRANTS)
    grants["editor"] = grants["editor"] | {"goals.approve"}
    monkeypatch.setattr(permissions, "ROLE_GRANTS", grants)
    # role_holds caches the (constant) grant table per process: a fresh cache over the patched table
    monkeypatch.setattr(permissions, "role_holds", functools.lru_cache(maxsize=None)(permissions.role_holds.__wrapped__))
    user = make_user("kjj_lead", unit="kjj", role="editor")
    html = login(user).get("/").get_data(as_text=True)
    assert 'id="home-manager"' in html and 'id="todo-reports"' in html
    todo = reporting.to_do("kjj", TODAY)
    assert _text(html, "nav-awaiting-count") == str(len(service.pending_reports()) + len(todo))


# --------------------------------------------------------------------------- the reporting deadline setting

@pytest.fixture
def late_report(kjj):
    rv = service.save_report(ru.get_goal("rd_to_gdp"), period="2018", value="2.6", note="", actor=kjj,
                             unit=kjj.unit, today=TODAY)
    rv.submitted_at = datetime(2019, 3, 1, 2, tzinfo=timezone.utc)     # 59 days after the period
    db.session.commit()
    return rv


def _slot(today, key="rd_to_gdp", period="2018"):
    return next(s for s in reporting.slots(today) if s.goal_key == key and s.period == period)


def test_the_deadline_is_a_setting(app, late_report):
    assert reporting.due_rule() == {"year": 31, "quarter": 31}
    assert _slot(TODAY).state == "late" and _slot(TODAY).deadline == date(2019, 1, 31)
    assert _slot(TODAY, period="2019").state == "open"                       # due 2020-01-31
    app.config["REPORTING_DUE_DAYS"] = 90
    assert _slot(TODAY).state == "on_time" and _slot(TODAY).deadline == date(2019, 3, 31)
    app.config["REPORTING_DUE_DAYS"] = 10
    assert _slot(TODAY).state == "late" and _slot(TODAY, period="2019").state == "overdue"   # due 2020-01-10
    app.config["REPORTING_DUE_DAYS_YEAR"] = 60                               # annual goals: their own rule
    assert reporting.due_rule() == {"year": 60, "quarter": 10}
    assert _slot(TODAY).state == "on_time" and _slot(TODAY, period="2019").state == "open"


def test_the_completeness_table_states_the_rule(app, manager, login, late_report):
    client = login(manager)
    assert _text(client.get("/goals/").get_data(as_text=True), "reporting-rule") == "截止：期末后 31 天"
    app.config["REPORTING_DUE_DAYS"] = 45
    html = client.get("/goals/").get_data(as_text=True)
    assert _text(html, "reporting-rule") == "截止：期末后 45 天"
    kjj = html[html.index('id="reporting-table"'):]
    kjj = kjj[kjj.index('data-unit="kjj"'):]
    assert re.search(r'class="num late">(\d+)<', kjj).group(1) == "1"
    app.config["REPORTING_DUE_DAYS_QUARTER"] = 20
    assert _text(client.get("/goals/").get_data(as_text=True), "reporting-rule") == "截止：年度填报期末后 45 天，季度填报期末后 20 天"
    client.get("/lang/en")
    app.config["REPORTING_DUE_DAYS_QUARTER"] = None
    assert _text(client.get("/goals/").get_data(as_text=True), "reporting-rule") == "Due 45 days after the period ends"

"""The home page by role, the navigation badge, reporting completeness, comments (分析与建议) and
the dashboard's additions (year over year, trends from the records, charts' data)."""
import json
import re
from datetime import date, datetime, timezone
from decimal import Decimal

import pytest
from sqlalchemy import select

from core import dates
from core.audit.models import AuditEntry
from core.db import db
from goals import reporting
from goals import rollup as ru
from goals import service
from goals.models import GoalComment

TODAY = date(2020, 1, 15)       # 2017 and 2018 reports are overdue, 2019's is due by 2020-01-31


@pytest.fixture(autouse=True)
def _today(monkeypatch):
    monkeypatch.setattr(dates, "today", lambda: TODAY)


@pytest.fixture
def kjj(make_user):
    return make_user("kjj_editor", unit="kjj", role="editor")


def _report(goal_key, user, period, value, *, submitted_at=None):
    rv = service.save_report(ru.get_goal(goal_key), period=period, value=value, note="", actor=user,
                             unit=user.unit, today=TODAY)
    if submitted_at is not None:
        rv.submitted_at = submitted_at
    db.session.commit()
    return rv


@pytest.fixture
def kjj_reports(kjj, manager):
    """rd_to_gdp 2017 approved on time, rd_to_gdp 2018 submitted late, sci_tech 2018 returned."""
    on_time = _report("rd_to_gdp", kjj, "2017", "2.5", submitted_at=datetime(2018, 1, 10, 2, tzinfo=timezone.utc))
    service.approve_report(on_time, actor=manager)
    late = _report("rd_to_gdp", kjj, "2018", "2.6", submitted_at=datetime(2019, 3, 1, 2, tzinfo=timezone.utc))
    returned = _report("sci_tech_platform_output", kjj, "2018", "100")
    service.return_report(returned, reason="口径与统计局不一致", actor=manager)
    db.session.commit()
    return on_time, late, returned


def _text(html: str, element_id: str) -> str:
    m = re.search(rf'id="{element_id}"[^>]*>(.*?)<', html, re.S)
    assert m, element_id
    return m.group(1).strip()


# --------------------------------------------------------------------------- reporting completeness

def test_completeness_counts_due_submitted_approved_late(app, kjj_reports):
    rates, total = reporting.completeness(TODAY)
    kjj = next(r for r in rates if r.unit_code == "kjj")
    # kjj reports 4 goals for 2017-2019: 12 slots; 2017/2018 deadlines have passed, 2019's has not
    assert (kjj.due, kjj.submitted, kjj.approved) == (12, 2, 1)
    assert (kjj.on_time, kjj.late, kjj.overdue, kjj.open) == (1, 1, 6, 4)
    assert kjj.rate == Decimal(2) / Decimal(12)
    # a goal shared by several units counts for each of them, but once in the district total
    assert total.due == len(reporting.slots(TODAY)) < sum(r.due for r in rates)
    assert total.submitted == 2 and total.approved == 1
    late = reporting.late_units(TODAY)
    assert [r.overdue for r in late] == sorted((r.overdue for r in late), reverse=True)
    assert "kjj" in [r.unit_code for r in late]


def test_returned_report_is_a_to_do_with_its_reason(app, kjj_reports):
    todo = reporting.to_do("kjj", TODAY)
    returned = [s for s in todo if s.status == "returned"]
    assert [(s.goal_key, s.period, s.return_reason) for s in returned] == [
        ("sci_tech_platform_output", "2018", "口径与统计局不一致")]
    assert not any(s.goal_key == "rd_to_gdp" and s.period in ("2017", "2018") for s in todo)


# --------------------------------------------------------------------------- manager home

def test_manager_home_shows_pipelines_counts_and_late_units(app, manager, login, champion_firms, kjj_reports):
    html = login(manager).get("/").get_data(as_text=True)
    rows = ru.rollup_rows(TODAY)
    champion = next(r for r in rows if r.goal.key == "single_champion_pool")
    card = html[html.index('id="card-single_champion_pool"'):]
    assert re.search(r'class="actual card-actual">(\d+)<', card).group(1) == str(int(champion.actual.value)) == "2"
    assert re.search(r'class="card-target">([\d,]+)<', card).group(1) == "50"
    assert f'data-status="{champion.status}"' in card[:200]
    for key in ("high_growth_pool", "maker_spaces", "incubated_firms", "pre_ipo_pool", "direct_financing",
                "leading_talents"):
        assert f'id="card-{key}"' in html
    counts: dict = {}
    for r in rows:
        counts[r.status or "none"] = counts.get(r.status or "none", 0) + 1
    for key, n in counts.items():
        assert re.search(rf'data-status="{key}">\s*<div class="n">{n}</div>', html), key
    assert _text(html, "home-goal-total") == str(len(rows))
    late = html[html.index('id="late-units"'):]
    for rate in reporting.late_units(TODAY):
        assert re.search(rf'data-unit="{rate.unit_code}">.*?<td class="num text-danger">{rate.overdue}</td>', late, re.S)
    assert "home-editor" not in html
    # the trend of a card is recomputed from the dated records: no snapshot was ever taken
    src = re.search(r'id="pipeline-cards" data-trends-src="([^"]+)"', html).group(1)
    points = login(manager).get(src).json["single_champion_pool"]        # fetched after the page
    assert len(points) >= 2 and points[-1] == [TODAY.isoformat(), 2.0]


def test_manager_badge_counts_reports_waiting_for_review(app, manager, kjj, login, kjj_reports):
    client = login(manager)
    assert _text(client.get("/").get_data(as_text=True), "nav-awaiting-count") == "1"     # rd_to_gdp 2018
    _report("rd_to_gdp", kjj, "2019", "2.7")
    html = client.get("/goals/").get_data(as_text=True)                                 # the badge is on every page
    assert _text(html, "nav-awaiting-count") == str(len(service.pending_reports())) == "2"


# --------------------------------------------------------------------------- editor home

def test_editor_home_lists_to_dos(app, kjj, login, kjj_reports, make_carrier_and_tenant):
    from core.import_batches import ImportBatch
    from goals.jobs import scan
    tenancy = make_carrier_and_tenant
    scan(TODAY)
    db.session.add(ImportBatch(kind="tenancies", filename="在孵企业.xlsx", actor_id=kjj.id, actor_name=kjj.username,
                               total_rows=10, created=8, rejected=2))
    db.session.commit()
    html = login(kjj).get("/").get_data(as_text=True)
    todo = reporting.to_do("kjj", TODAY)
    assert _text(html, "todo-reports-count") == str(len(todo))
    assert "口径与统计局不一致" in html
    assert _text(html, "todo-overdue-count") == f"逾期 {sum(1 for s in todo if s.state == 'overdue')} 项"
    assert _text(html, "nav-awaiting-count") == str(len(todo))
    graduates = html[html.index('id="todo-graduates"'):]
    assert tenancy.firm.name in graduates
    quality = html[html.index('id="todo-quality"'):]
    assert 'data-kind="long_tenancy"' in quality and tenancy.firm.name in quality
    assert "在孵企业.xlsx" in html and "2 行被拒绝" in html
    assert "home-manager" not in html


def test_editor_home_lists_failed_import_jobs_and_links_every_recent_one(app, kjj, editor, login):
    from core.import_jobs import ImportJob
    failed = ImportJob(owner_id=kjj.id, kind="tenancies", action="preview", filename="坏文件.csv", token="t1",
                       state="failed", error="boom")
    refused = ImportJob(owner_id=kjj.id, kind="tenancies", action="preview", filename="有错误.xlsx", token="t2",
                        state="done", result={"errors": 3})
    fine = ImportJob(owner_id=kjj.id, kind="tenancies", action="commit", filename="好文件.xlsx", token="t3",
                     state="done", result={"written": True, "errors": 0})
    running = ImportJob(owner_id=kjj.id, kind="tenancies", action="preview", filename="进行中.csv", token="t4",
                        state="running")
    others = ImportJob(owner_id=editor.id, kind="firms", action="preview", filename="别人的.csv", token="t5",
                       state="failed")
    db.session.add_all([failed, refused, fine, running, others])
    db.session.commit()
    html = login(kjj).get("/").get_data(as_text=True)
    todo = html[html.index('id="todo-imports"'):html.index('id="recent-imports"')]
    assert "坏文件.csv" in todo and "导入任务失败" in todo and "有错误.xlsx" in todo and "校验发现 3 处错误" in todo
    assert "好文件.xlsx" not in todo and "进行中.csv" not in todo and "别人的.csv" not in html
    recent = html[html.index('id="recent-imports"'):]
    for job in (failed, refused, fine, running):
        assert f'/imports/tenancies/jobs/{job.id}"' in recent
    assert "进行中" in recent


def test_editor_sees_only_findings_in_own_data(app, make_user, login, make_carrier_and_tenant):
    from goals.jobs import scan
    from goals.models import DataQualityIssue
    scan(TODAY)
    db.session.commit()
    kinds = {(i.kind, i.domain) for i in db.session.scalars(select(DataQualityIssue))}
    assert ("long_tenancy", "incubation") in kinds
    html = login(make_user("jxj_editor2", unit="jxj", role="editor")).get("/").get_data(as_text=True)
    assert 'data-kind="long_tenancy"' not in html
    assert 'id="todo-graduates"' not in html


def test_viewer_home_has_no_panels_and_no_badge(app, make_user, login):
    html = login(make_user("v1", unit="scjgj", role="viewer")).get("/").get_data(as_text=True)
    assert "home-manager" not in html and "home-editor" not in html and "nav-awaiting-count" not in html
    assert 'id="home-links"' in html


@pytest.fixture
def make_carrier_and_tenant(kjj):
    """A tenant in a maker space since 2016-06-01: past three years on TODAY."""
    from incubation import service as inc
    from registry.uscc import generate
    carrier = inc.create_carrier(kjj, name="鄞创众创空间", carrier_type="众创空间", level="区级",
                                 opened_on=date(2016, 1, 1))
    db.session.flush()
    tenancy = inc.register_tenancy(kjj, carrier=carrier, uscc=generate(), firm_name="久孵科技有限公司",
                                   entered_on=date(2016, 6, 1))
    db.session.commit()
    return tenancy


# --------------------------------------------------------------------------- comments

def _post_comment(client, key, period, text, version=""):
    return client.post(f"/goals/g/{key}/comment", data={"period": period, "text": text, "version": version})


def test_owning_unit_writes_comment_others_cannot(app, kjj, manager, make_user, login):
    client = login(kjj)
    assert client.get("/goals/g/rd_to_gdp/comment").status_code == 200
    resp = _post_comment(client, "rd_to_gdp", "2019-Q4", "研发投入增长放缓，建议加大企业研发费用加计扣除宣传。")
    assert resp.status_code == 302
    comment = db.session.scalars(select(GoalComment)).one()
    assert (comment.period, comment.unit.code, comment.author_id) == ("2019-Q4", "kjj", kjj.id)
    assert db.session.scalars(select(AuditEntry.action).where(AuditEntry.entity_type == "goals.comment")).all() == [
        "goals.comment.create"]
    # the same unit edits it (one comment per goal, period and unit), audited
    assert _post_comment(client, "rd_to_gdp", "2019-Q4", "修订后的分析", str(comment.version)).status_code == 302
    db.session.expire_all()
    assert db.session.scalars(select(GoalComment.text)).all() == ["修订后的分析"]
    # not responsible for the goal / a manager / a viewer: refused, nothing written
    assert _post_comment(login(make_user("jrb_ed", unit="jrb", role="editor")), "rd_to_gdp", "2019-Q4", "x").status_code == 403
    assert _post_comment(login(manager), "rd_to_gdp", "2019-Q4", "x").status_code == 403
    assert _post_comment(login(make_user("v2", unit="kjj", role="viewer")), "rd_to_gdp", "2019-Q4", "x").status_code == 403
    assert db.session.scalars(select(GoalComment.text)).all() == ["修订后的分析"]
    # managers read it on the dashboard and on the goal page
    mc = login(manager)
    assert "修订后的分析" in mc.get("/goals/?as_of=2020-01-15").get_data(as_text=True)
    assert "修订后的分析" in mc.get("/goals/g/rd_to_gdp").get_data(as_text=True)


def test_comment_bad_input_is_a_message(app, kjj, login):
    client = login(kjj)
    for period, text, message in (("2019", "  ", "请填写分析与建议"), ("2031", "未来", "填报期尚未开始"),
                                  ("19年", "x", "填报期格式")):
        resp = _post_comment(client, "rd_to_gdp", period, text)
        assert resp.status_code == 200 and message in resp.get_data(as_text=True)
    resp = _post_comment(client, "rd_to_gdp", "2019", "y" * 4001)
    assert resp.status_code == 200
    assert db.session.scalars(select(GoalComment)).all() == []


def test_stale_comment_edit_is_refused(app, kjj, login):
    client = login(kjj)
    _post_comment(client, "rd_to_gdp", "2019", "第一版")
    resp = _post_comment(client, "rd_to_gdp", "2019", "旧页面上的修改", "99")
    assert resp.status_code == 200 and "已被他人修改" in resp.get_data(as_text=True)
    assert db.session.scalars(select(GoalComment.text)).all() == ["第一版"]


# --------------------------------------------------------------------------- dashboard

def test_dashboard_year_over_year_trends_and_reporting(app, manager, editor, login, champion_firms, kjj_reports):
    html = login(manager).get("/goals/?as_of=2020-01-15").get_data(as_text=True)
    goal = ru.get_goal("single_champion_pool")
    prev = ru.row_for(goal, date(2019, 1, 15)).actual.value
    now = ru.row_for(goal, TODAY).actual.value
    row = html[html.index('data-key="single_champion_pool"'):]
    row = row[:row.index("</tr>")]
    assert re.search(r'class="num yoy"[^>]*>\s*<span[^>]*>([-+\d]+)</span>', row).group(1) == f"{int(now - prev):+d}"
    assert "actual-link" in row and "/goals/g/single_champion_pool?as_of=2020-01-15#records-count" in row
    src = re.search(r'id="spark-data" data-src="([^"]+)"', html).group(1).replace("&amp;", "&")
    sparks = login(manager).get(src).json                   # fetched after the page, never in its way
    assert len(sparks[str(goal.id)]) >= 2                    # from the records, without any snapshot
    charts = json.loads(re.search(r'id="dashboard-chart-data">(.*?)</script>', html, re.S).group(1))
    assert sum(s["value"] for s in charts["status"]) == len(ru.rollup_rows(TODAY))
    assert any(g["key"] == "single_champion_pool" for c in charts["categories"] for g in c["goals"])
    assert 'data-bs-toggle="collapse" href="#group-1"' in html
    table = html[html.index('id="reporting-table"'):]
    kjj = next(r for r in reporting.completeness(TODAY)[0] if r.unit_code == "kjj")
    kjj_row = table[table.index('data-unit="kjj"'):]
    assert re.search(r'class="num due">(\d+)<', kjj_row).group(1) == str(kjj.due)
    assert re.search(r'class="num late">(\d+)<', kjj_row).group(1) == str(kjj.late)
    # editors see the dashboard without the completeness table
    assert 'id="reporting-table"' not in login(editor).get("/goals/").get_data(as_text=True)


def test_dashboard_reporting_panel_follows_a_new_report_and_the_day(app, manager, kjj, login, kjj_reports,
                                                                   monkeypatch):
    """The completeness panel is cached (its HTML): a committed report, or the next day, shows at once."""
    def kjj_cells(html: str) -> tuple[str, str]:
        row = html[html.index('id="reporting-table"'):]
        row = row[row.index('data-unit="kjj"'):]
        return (re.search(r'class="num submitted">(\d+)<', row).group(1),
                re.search(r'class="num overdue[^"]*">(\d+)<', row).group(1))
    client = login(manager)
    before = kjj_cells(client.get("/goals/").get_data(as_text=True))
    assert before == kjj_cells(client.get("/goals/").get_data(as_text=True))
    _report("sci_tech_platform_output", kjj, "2017", "90")
    after = kjj_cells(client.get("/goals/").get_data(as_text=True))
    assert (int(after[0]), int(after[1])) == (int(before[0]) + 1, int(before[1]) - 1)     # submitted, no longer overdue
    monkeypatch.setattr(dates, "today", lambda: date(TODAY.year, 6, 30))     # 2019's reports are now overdue
    assert int(kjj_cells(client.get("/goals/").get_data(as_text=True))[1]) > int(after[1])


def test_dashboard_trend_ends_with_the_frozen_figure_on_a_closed_date(app, manager, admin, login, champion_firms):
    from goals import periods
    from registry import service as reg
    periods.close_period(date(2019, 12, 31), actor=admin)
    db.session.commit()
    firms, members = champion_firms
    reg.exit_pool(admin, members[0], exited_on=date(2019, 6, 1), reason="更正")      # a later correction
    db.session.commit()
    html = login(manager).get("/goals/?as_of=2019-12-31").get_data(as_text=True)
    goal = ru.get_goal("single_champion_pool")
    src = re.search(r'id="spark-data" data-src="([^"]+)"', html).group(1).replace("&amp;", "&")
    assert "as_of=2019-12-31" in src
    sparks = login(manager).get(src).json
    assert sparks[str(goal.id)][-1] == ["2019-12-31", 2.0]          # as reported, not today's 1


def test_home_pages_in_english(app, manager, kjj, login, kjj_reports):
    for user, words in ((manager, ("Headline pipelines", "Units late with their reports", "To do")),
                        (kjj, ("Goal figures to report", "Returned: 口径与统计局不一致", "Imports that failed"))):
        client = login(user)
        client.get("/lang/en")
        html = client.get("/").get_data(as_text=True)
        for word in words:
            assert word in html, word
        assert "重点指标" not in html and "待填报的目标数据" not in html
    html = client.get("/goals/").get_data(as_text=True)
    assert "Year on year" in html and "Progress charts" in html

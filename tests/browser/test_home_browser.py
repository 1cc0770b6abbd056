"""Browser: each role's home page and the dashboard's charts, at 1366×768 (a district office's screen).

Checks that the pages raise no JavaScript error, that ECharts draws (its canvases have painted
pixels), that a category of the dashboard's table collapses and opens again, and saves screenshots
of the manager's home, the editor's home and the dashboard into the artifacts folder
(TEST_ARTIFACTS, default tests/browser/artifacts/, git-ignored).
"""
import os
import pathlib
from datetime import date, datetime, timezone

import pytest
from sqlalchemy import select

from core.db import db

pytestmark = pytest.mark.browser

ARTIFACTS = pathlib.Path(os.environ.get("TEST_ARTIFACTS") or pathlib.Path(__file__).parent / "artifacts")
PAINTED = """sel => Array.from(document.querySelectorAll(sel)).map(c => {
  const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
  let n = 0; for (let i = 3; i < d.length; i += 4) { if (d[i]) { n++; } } return n; })"""


@pytest.fixture
def office(_playwright):
    context = _playwright.new_context(locale="zh-CN", viewport={"width": 1366, "height": 768})
    context.set_default_timeout(20000)
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)
    yield page, errors
    context.close()


@pytest.fixture
def district_data(server):
    """Pools, a maker space with tenants (one past three years), reports of 区科技局 (one returned)."""
    from core.auth.models import User
    from goals import service as goals
    from goals.rollup import get_goal
    from incubation import service as inc
    from registry import service as reg
    from registry.uscc import generate
    with server["app"].app_context():
        users = {u.username: u for u in db.session.scalars(select(User))}
        admin, kjj, manager = users["admin"], users["kjj_editor"], users["manager"]
        for key, n, first in (("single_champion", 6, 2017), ("high_growth", 24, 2017)):
            pool = reg.pool_by_key(key)
            for i in range(n):
                firm = reg.create_firm(admin, uscc=generate(), name=f"{'甲乙丙丁戊己庚辛'[i % 8]}{key[:4]}{i}制造有限公司")
                db.session.flush()
                reg.enter_pool(admin, firm=firm, pool=pool, entered_on=date(first + i % 4, 1 + i % 12, 1),
                               reason="培育")
        for c in range(3):
            carrier = inc.create_carrier(kjj, name=f"鄞州创客空间{c + 1}号", carrier_type="众创空间", level="区级",
                                         opened_on=date(2016, 3, 1))
            db.session.flush()
            for t in range(12):
                inc.register_tenancy(kjj, carrier=carrier, uscc=generate(), firm_name=f"创新{c}{t}科技有限公司",
                                     entered_on=date(2017 + t % 9, 1 + t % 12, 10))
        for period, value in (("2017", "2.5"), ("2018", "2.6")):
            rv = goals.save_report(get_goal("rd_to_gdp"), period=period, value=value, note="", actor=kjj,
                                   unit=kjj.unit)
            rv.submitted_at = datetime(int(period) + 1, 1, 20, tzinfo=timezone.utc)
            goals.approve_report(rv, actor=manager)
        rv = goals.save_report(get_goal("sci_tech_platform_output"), period="2018", value="100", note="",
                               actor=kjj, unit=kjj.unit)
        goals.return_report(rv, reason="请附统计局年报截图", actor=manager)
        from goals.comments import save_comment
        save_comment(get_goal("rd_to_gdp"), period="2019", unit=kjj.unit, actor=kjj,
                     text="全区研发投入保持增长，但规上企业研发机构覆盖率偏低，建议加大研发费用加计扣除政策宣传。")
        from goals.jobs import scan
        from core import dates
        scan(dates.today())
        db.session.commit()
        db.session.remove()


def _sign_in(page, server, username):
    page.goto(server["url"] + "/login")
    page.fill("#username", username)
    page.fill("#password", server["users"][username])
    page.click("#login-form button[type=submit]")
    page.wait_for_selector("#whoami")


def _shot(page, name):
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"))
    page.screenshot(path=str(ARTIFACTS / f"{name}-full.png"), full_page=True)


def test_manager_home(server, office, district_data):
    page, errors = office
    _sign_in(page, server, "manager")
    page.goto(server["url"] + "/")
    page.wait_for_selector("#pipeline-cards")
    assert page.locator("#pipeline-cards .pipeline-card").count() == 8
    assert page.inner_text("#card-single_champion_pool .card-actual") == "6"
    assert page.locator("#late-units tbody tr[data-unit=kjj]").count() == 1
    assert "研发费用加计扣除" in page.inner_text("#home-comments")
    page.wait_for_selector("#card-single_champion_pool .card-spark canvas")
    assert all(n > 0 for n in page.evaluate(PAINTED, "#card-single_champion_pool .card-spark canvas"))
    _shot(page, "home-manager")
    assert errors == []


def test_editor_home(server, office, district_data):
    page, errors = office
    _sign_in(page, server, "kjj_editor")
    page.goto(server["url"] + "/")
    page.wait_for_selector("#home-editor")
    assert "请附统计局年报截图" in page.inner_text("#todo-reports")
    assert int(page.inner_text("#nav-awaiting-count")) == int(page.inner_text("#todo-reports-count")) > 0
    assert page.locator("#todo-graduates li").count() > 0
    assert "在孵超过 3 年" in page.inner_text("#todo-quality")
    _shot(page, "home-editor")
    assert errors == []


def test_dashboard_charts_and_collapse(server, office, district_data):
    page, errors = office
    _sign_in(page, server, "manager")
    page.goto(server["url"] + "/goals/")
    page.wait_for_selector("#status-chart canvas")
    page.wait_for_selector(".progress-chart canvas")
    charts = page.locator(".progress-chart").count()
    assert charts > 3
    painted = page.evaluate(PAINTED, "#dashboard-charts canvas")
    assert len(painted) == charts + 1 and all(n > 0 for n in painted)
    _shot(page, "dashboard")
    group = page.locator("#group-1")
    assert group.is_visible()
    page.click("a.group-toggle[href='#group-1']")
    page.wait_for_selector("#group-1", state="hidden")
    page.click("a.group-toggle[href='#group-1']")
    page.wait_for_selector("#group-1", state="visible")
    page.locator("#reporting-table").scroll_into_view_if_needed()
    assert page.locator("#reporting-table tbody tr[data-unit=kjj]").count() == 1
    page.click("tr.goal-row[data-key=single_champion_pool] a.actual-link")
    page.wait_for_selector("#records-table")
    assert errors == []

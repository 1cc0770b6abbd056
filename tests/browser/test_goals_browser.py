"""Browser: a manager reads the dashboard as of a past date and drills into a goal's firms;
the 区经信局 editor submits a value that the manager approves."""
from datetime import date

import pytest
from sqlalchemy import select

from core.db import db

pytestmark = pytest.mark.browser


@pytest.fixture
def pool_firms(server):
    """Two firms in the 单项冠军 pool (2018-03-01 and 2019-01-15), entered through the registry."""
    from core.auth.models import User
    from registry import service as reg
    from registry.uscc import generate
    with server["app"].app_context():
        admin = db.session.scalars(select(User).where(User.username == "admin")).one()
        pool = reg.pool_by_key("single_champion")
        for i, (name, entered) in enumerate((("甲精密机械有限公司", date(2018, 3, 1)),
                                             ("丙电子科技有限公司", date(2019, 1, 15)))):
            firm = reg.create_firm(admin, uscc=generate(org_prefix=f"MA2B{i}"), name=name)
            db.session.flush()
            reg.enter_pool(admin, firm=firm, pool=pool, entered_on=entered, reason="browser test")
        db.session.commit()
        db.session.remove()


def _sign_out(page):
    page.click("#logout")
    page.wait_for_selector("#username")


def test_manager_drills_down_as_of_a_past_date(server, page, sign_in, pool_firms):
    sign_in(page, "manager")
    page.goto(server["url"] + "/goals/")
    page.wait_for_selector("#goals-title")
    page.fill("#as-of", "2018-12-31")
    page.click("#apply-filter")
    page.wait_for_url("**as_of=2018-12-31**")
    row = page.locator("tr.goal-row[data-key=single_champion_pool]")
    assert "status-behind" in row.get_attribute("class")
    assert row.locator("td.actual").inner_text().strip() == "1"
    page.click("#goal-link-single_champion_pool")
    page.wait_for_selector("#records-table")
    table = page.inner_text("#records-table")
    assert "甲精密机械有限公司" in table and "丙电子科技有限公司" not in table
    assert page.inner_text("#records-count") == "1"
    page.fill("#as-of", "2019-02-01")
    page.click("#apply-as-of")
    page.wait_for_url("**as_of=2019-02-01**")
    assert "丙电子科技有限公司" in page.inner_text("#records-table")


def test_unit_editor_submits_manager_approves(server, page, sign_in):
    sign_in(page, "jxj_editor")
    page.goto(server["url"] + "/goals/g/nc_rate")
    page.click("#report-link")
    page.fill("#period", "2019")
    page.fill("#value", "abc")
    page.click("#report-submit")
    assert "请输入数字" in page.inner_text("#report-form")
    page.fill("#value", "70.5")
    page.fill("#note", "2019年统计年报")
    page.click("#report-submit")
    page.wait_for_selector("#reports-table")
    assert page.get_attribute("#reports-table tbody tr", "data-status") == "submitted"
    _sign_out(page)

    sign_in(page, "manager")
    page.goto(server["url"] + "/goals/reviews")
    assert "2019" in page.inner_text("#reviews-table")
    page.click("#reviews-table .approve-btn")
    page.wait_for_selector("text=已审核通过")
    page.goto(server["url"] + "/goals/g/nc_rate?as_of=2020-01-01")
    assert page.get_attribute("#reports-table tbody tr", "data-status") == "approved"
    assert page.inner_text("#goal-actual").strip() == "70.5"
    page.goto(server["url"] + "/goals/?as_of=2020-01-01")
    actual = page.locator("tr.goal-row[data-key=nc_rate] td.actual").inner_text()
    assert actual.startswith("70.5")


def test_incubated_firms_page_shows_definition_and_gap(server, page, sign_in):
    """The manager opens 新孵化培育企业: one firm through two carriers counts once; the page says
    what is counted and how much is still missing."""
    from core.auth.models import User
    from incubation import service as inc
    from registry import service as reg
    from registry.uscc import generate
    with server["app"].app_context():
        admin = db.session.scalars(select(User).where(User.username == "admin")).one()
        firm = reg.create_firm(admin, uscc=generate(org_prefix="MA2C0"), name="丁创新科技有限公司")
        for name, kind, entered in (("浏览器众创空间", "众创空间", date(2017, 5, 1)),
                                    ("浏览器孵化器", "孵化器", date(2018, 2, 1))):
            carrier = inc.create_carrier(admin, name=name, carrier_type=kind, level="区级", opened_on=date(2016, 1, 1))
            inc.register_tenancy(admin, carrier=carrier, uscc=firm.uscc, entered_on=entered)
        db.session.commit()
        db.session.remove()
    sign_in(page, "manager")
    page.goto(server["url"] + "/goals/g/incubated_firms?as_of=2018-06-30")
    page.wait_for_selector("#goal-definition")
    assert "每家企业只计一次" in page.inner_text("#goal-definition")
    assert "2017-01-01" in page.inner_text("#goal-definition")
    assert page.inner_text("#goal-actual").strip() == "1"
    gap = page.inner_text("#goal-gap")
    assert "距目标还差 1,999 家" in gap and "每季度需完成" in gap

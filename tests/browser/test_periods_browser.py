"""Browser: a manager closes 2018, the 区经信局 editor archives a firm that counted, and the manager
sees the figure as reported, the figure now and the firm that explains the difference."""
from datetime import date

import pytest
from flask import url_for
from sqlalchemy import select

from core.db import db

pytestmark = pytest.mark.browser

FIRMS = (("甲精密机械有限公司", date(2018, 3, 1)), ("乙新材料股份有限公司", date(2018, 6, 1)))


@pytest.fixture
def counted_firm_url(server):
    """Two firms in the 单项冠军 pool during 2018; the history page (archive button) of the first."""
    from core.auth.models import User
    from registry import service as reg
    from registry.uscc import generate
    app = server["app"]
    with app.app_context():
        admin = db.session.scalars(select(User).where(User.username == "admin")).one()
        pool = reg.pool_by_key("single_champion")
        firms = []
        for i, (name, entered) in enumerate(FIRMS):
            firm = reg.create_firm(admin, uscc=generate(org_prefix=f"MA2P{i}"), name=name)
            db.session.flush()
            reg.enter_pool(admin, firm=firm, pool=pool, entered_on=entered, reason="browser test")
            firms.append(firm)
        db.session.commit()
        with app.test_request_context():
            url = url_for("core.record_history", etype="registry.firm", rid=firms[0].id)
        db.session.remove()
    return server["url"] + url


def test_manager_closes_2018_and_sees_why_the_figure_moved(server, page, sign_in, sign_out, counted_firm_url):
    sign_in(page, "manager")
    page.goto(server["url"] + "/goals/")
    page.click("#periods-link")
    page.fill("#day", "2018-12-30")
    page.click("#close-submit")
    assert "只能在年末" in page.inner_text("#close-form")
    page.fill("#day", "2018-12-31")
    page.fill("#note", "2018年度考核")
    page.click("#close-submit")
    page.wait_for_selector("tr.period-close[data-day='2018-12-31']")
    assert "已关账" in page.inner_text("#closes-table")
    sign_out(page)

    sign_in(page, "jxj_editor")
    page.goto(counted_firm_url)
    page.fill("input[name=note]", "重复登记，已注销")
    page.click("#archive-toggle")
    page.wait_for_selector("text=已归档")
    sign_out(page)

    sign_in(page, "manager")
    page.goto(server["url"] + "/goals/?as_of=2018-12-31")
    banner = page.inner_text("#period-closed")
    assert "已关账" in banner and "报告值 2" in banner.replace("\u00a0", " ") and "现值 1" in banner
    assert page.locator("tr.goal-row[data-key=single_champion_pool] td.actual").inner_text().strip() == "2"
    page.click("#goal-link-single_champion_pool")
    page.wait_for_selector("#period-compare")
    assert page.inner_text("#reported-value").strip() == "2"
    assert page.inner_text("#live-value").strip() == "1"
    diff = page.locator("#period-differences tr.period-difference")
    assert diff.count() == 1
    text = diff.inner_text()
    assert FIRMS[0][0] in text and "已归档" in text and "区经信局编辑" in text and "重复登记，已注销" in text
    assert FIRMS[0][0] in page.inner_text("#records-table")       # the records as reported

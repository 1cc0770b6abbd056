"""Browser: a manager reads the 2018 cohort's funnel (chart drawn, no script errors), drills into the
firms that graduated, and sees a carrier's own funnel on the carrier page."""
from datetime import date

import pytest
from sqlalchemy import select

from core.db import db

pytestmark = pytest.mark.browser


@pytest.fixture
def cohort(server):
    from core.auth.models import User
    from incubation import service as inc
    from registry import service as reg
    from registry.uscc import generate
    with server["app"].app_context():
        admin = db.session.scalars(select(User).where(User.username == "admin")).one()
        carrier = inc.create_carrier(admin, name="鄞州科创孵化器", carrier_type="孵化器", level="区级",
                                     opened_on=date(2016, 1, 1))
        for i, (name, left) in enumerate((("宁波甲智能科技有限公司", date(2019, 6, 30)),
                                          ("宁波乙新材料有限公司", None))):
            firm = reg.create_firm(admin, uscc=generate(org_prefix=f"MA2F{i}"), name=name)
            db.session.flush()
            inc.register_tenancy(admin, carrier=carrier, uscc=firm.uscc, entered_on=date(2018, 4, 1 + i),
                                 left_on=left, outcome="毕业" if left else None)
        db.session.commit()
        cid = carrier.id
        db.session.remove()
    return cid


def test_manager_reads_the_funnel_and_drills_down(server, page, sign_in, cohort):
    errors = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.on("response", lambda r: errors.append(f"{r.status} {r.url}")
            if r.status >= 400 and not r.url.endswith("/favicon.ico") else None)
    sign_in(page, "manager")
    page.click("#nav-goals")                               # the 目标 dropdown of the menu
    page.click("#nav-goals-menu >> text=孵化漏斗")
    page.wait_for_selector("#funnel-title")
    page.select_option("#f-cohort", "2018")
    page.fill("#f-asof", "2024-01-01")
    page.click("#funnel-filters button[type=submit]")
    page.wait_for_url("**cohort=2018**")
    page.wait_for_selector("#funnel-chart[data-rendered='1'] canvas")
    assert page.inner_text("#cohort-size") == "2"
    page.click("#funnel-table tr[data-stage=graduated] a")
    page.wait_for_selector("#drill-table")
    table = page.inner_text("#drill-table")
    assert "宁波甲智能科技有限公司" in table and "宁波乙新材料有限公司" not in table
    page.goto(server["url"] + f"/incubation/carriers/{cohort}")
    page.wait_for_selector("#carrier-funnel-box[data-loaded='1'] #carrier-funnel")
    assert "2018" in page.inner_text("#carrier-funnel")
    assert errors == []

"""Browser: a talent-unit editor registers a talent and a team; a manager sees counts, no names."""
import re
from datetime import date

import pytest

from core.db import db
from talent import resident_id

pytestmark = pytest.mark.browser

ID_LEADER = resident_id.generate(region="330212", birth=date(1980, 2, 3), seq=151)


@pytest.fixture
def firm(server):
    from core.auth.models import User
    from registry import service as registry
    from registry import uscc as uscc_mod
    from sqlalchemy import select
    with server["app"].app_context():
        admin = db.session.scalars(select(User).where(User.username == "admin")).one()
        firm = registry.create_firm(admin, uscc=uscc_mod.generate(), name="宁波甬芯智能科技有限公司")
        db.session.commit()
        return {"uscc": firm.uscc, "name": firm.name}


def test_rsj_registers_talent_and_team_manager_sees_counts_only(server, page, sign_in, firm):
    sign_in(page, "rsj_editor")
    page.goto(server["url"] + "/talent/register")
    page.fill("#talent-form #name", "赵领军")
    page.fill("#talent-form #id_number", ID_LEADER)
    page.select_option("#talent-form #category", "领军人才")
    page.fill("#talent-form #programme", "甬江引才工程")
    page.fill("#talent-form #uscc", firm["uscc"])
    page.fill("#talent-form #recognized_on", "2018-05-01")
    page.fill("#talent-form #support", "100")
    page.click("#talent-form button[type=submit]")
    page.wait_for_selector("#person-name")
    assert page.inner_text("#person-name") == "赵领军"
    masked = page.inner_text("#person-id-masked")
    assert masked == ID_LEADER[:4] + "*" * 10 + ID_LEADER[-4:]
    assert ID_LEADER not in page.content()

    page.goto(server["url"] + "/talent/teams/new")
    page.fill("#team-form #name", "智能传感领军团队")
    page.fill("#team-form #uscc", firm["uscc"])
    page.fill("#team-form #leader_id", ID_LEADER)
    page.fill("#team-form #recognized_on", "2019-01-01")
    page.click("#team-form button[type=submit]")
    page.wait_for_selector("#team-name")
    assert page.inner_text("#team-name") == "智能传感领军团队"
    assert "赵领军" in page.inner_text("#team-leader")
    page.click("#logout")

    sign_in(page, "manager")
    page.goto(server["url"] + "/talent/?as_of=2020-01-01")
    assert page.inner_text("#metric-leading_talents") == "1"
    assert page.inner_text("#metric-leading_talent_teams") == "1"
    assert firm["name"] in page.inner_text("#aggregates")
    assert page.locator("#nav-persons").count() == 0
    page.goto(server["url"] + "/talent/teams")
    assert "智能传感领军团队" in page.inner_text("#team-list")
    for url in ("/talent/?as_of=2020-01-01", "/talent/teams"):
        page.goto(server["url"] + url)
        html = page.content()
        assert "赵领军" not in html and masked not in html and ID_LEADER not in html
    resp = page.goto(server["url"] + "/talent/persons")
    assert resp.status == 403
    assert re.search("没有权限", page.content())

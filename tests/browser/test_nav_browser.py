"""Browser: the navigation bar stays on one row at 1366×768 for every demo role, in Chinese and in
English (the longer labels), and its dropdowns open. Screenshots of each role's bar go to the
artifacts folder (TEST_ARTIFACTS, default tests/browser/artifacts/, git-ignored)."""
import os
import pathlib

import pytest

from core.seed import DEMO_USERS

pytestmark = pytest.mark.browser

ARTIFACTS = pathlib.Path(os.environ.get("TEST_ARTIFACTS") or pathlib.Path(__file__).parent / "artifacts")
# every top-level entry of the bar (brand, links, dropdown toggles, the language switch, the user menu)
TOPS = """() => Array.from(document.querySelectorAll(
  '#mainnav > .navbar-nav > .nav-item, nav.navbar > .container-fluid > .navbar-brand'))
  .filter(e => e.offsetParent !== null)
  .map(e => { const r = e.getBoundingClientRect(); return {text: e.innerText.trim(), top: Math.round(r.top),
                                                             bottom: Math.round(r.bottom)}; })"""


@pytest.fixture
def office(_playwright):
    context = _playwright.new_context(locale="zh-CN", viewport={"width": 1366, "height": 768})
    context.set_default_timeout(20000)
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    yield page, errors
    context.close()


def _one_row(page) -> list[dict]:
    items = page.evaluate(TOPS)
    assert len(items) >= 4
    tops = {i["top"] for i in items}
    # one row: every top-level entry starts on the same line (±2 px for the brand's larger font)
    assert max(tops) - min(tops) <= 8, items
    height = page.evaluate("() => document.querySelector('nav.navbar').getBoundingClientRect().height")
    assert height < 70, height          # one row of links (~56 px); two rows would be ~95 px
    return items


def test_navbar_is_one_row_at_1366_for_every_role(server, office, sign_in):
    page, errors = office
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    for username, _unit, _role, _name in DEMO_USERS:
        sign_in(page, username)
        for lang in ("zh", "en"):
            page.goto(server["url"] + f"/lang/{lang}")
            page.goto(server["url"] + "/")
            page.wait_for_selector("#whoami")
            assert page.is_visible("#mainnav")             # expanded, not collapsed behind the toggler
            _one_row(page)
            page.screenshot(path=str(ARTIFACTS / f"nav-{username}-{lang}-1366.png"),
                            clip={"x": 0, "y": 0, "width": 1366, "height": 200})
        page.goto(server["url"] + "/lang/zh")
        page.click("#logout")
        page.wait_for_selector("#username")
    assert errors == []


def test_admin_menu_and_user_menu_open(server, office, sign_in):
    page, errors = office
    sign_in(page, "admin")
    page.goto(server["url"] + "/lang/en")
    page.goto(server["url"] + "/")
    page.set_viewport_size({"width": 1280, "height": 720})      # a smaller office screen: still one row
    _one_row(page)
    page.set_viewport_size({"width": 1366, "height": 768})
    page.click("#nav-admin")
    page.wait_for_selector("#nav-admin-menu a[href='/admin/users']", state="visible")
    page.screenshot(path=str(ARTIFACTS / "nav-admin-en-menu-1366.png"))
    page.click("#whoami")
    page.wait_for_selector("#user-menu a[href='/password']", state="visible")
    assert page.is_visible("#logout")
    assert errors == []


def test_admin_home_at_1366(server, office, sign_in):
    """The admin's home: the manager summary, then the admins' to-dos (a screenshot for people to look at)."""
    page, errors = office
    from sqlalchemy import select
    from core.auth.models import User
    from core.db import db
    from core.scheduler import JobRun
    with server["app"].app_context():
        owner = db.session.scalars(select(User).where(User.username == "kjj_editor")).one()
        from core.import_jobs import ImportJob
        db.session.add(ImportJob(owner_id=owner.id, kind="tenancies", action="preview", filename="科技局坏文件.csv",
                                 token="t1", state="failed", error="boom"))
        db.session.add(JobRun(job="goals.snapshot", period="2026-11-28", status="failed",
                              summary="OperationalError: database is locked", attempts=3))
        db.session.commit()
        db.session.remove()
    sign_in(page, "admin")
    for lang in ("zh", "en"):
        page.goto(server["url"] + f"/lang/{lang}")
        page.goto(server["url"] + "/")
        page.wait_for_selector("#home-admin")
        assert page.is_visible("#home-manager") and page.is_visible("#home-editor")
        assert int(page.inner_text("#nav-awaiting-count")) >= 2
        _one_row(page)
        page.screenshot(path=str(ARTIFACTS / f"home-admin-{lang}-1366-full.png"), full_page=True)
    assert errors == []

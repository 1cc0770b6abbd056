"""Each demo user signs in, sees the home page in Chinese, switches to English, signs out."""
import pytest

from core.seed import DEMO_USERS


@pytest.mark.parametrize("username", [u[0] for u in DEMO_USERS])
def test_demo_user_round_trip(server, page, sign_in, username):
    sign_in(page, username)
    assert page.locator("#home-title").inner_text() == "工作台"
    assert page.locator("html").get_attribute("lang") == "zh-CN"
    page.click("#lang-switch")
    page.wait_for_selector("#home-title")
    assert page.locator("#home-title").inner_text() == "Dashboard"
    assert page.locator("#logout").inner_text() == "Sign out"
    page.click("#logout")
    page.wait_for_selector("#login-form")
    assert page.url.endswith("/login")
    page.goto(server["url"] + "/")
    assert "/login" in page.url


def test_wrong_password_shows_chinese_message(server, page):
    page.goto(server["url"] + "/login")
    page.fill("#username", "manager")
    page.fill("#password", "not-the-password")
    page.click("#login-form button[type=submit]")
    assert "用户名或密码错误" in page.locator("#login-form").inner_text()

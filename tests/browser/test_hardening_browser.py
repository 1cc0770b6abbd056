"""In a real browser: a signed-out cookie stays dead, an administrator's password reset, and pages that
keep working under the Content-Security-Policy (no CSP violation, charts drawn, filters and confirms)."""
import re
from urllib.parse import unquote


def _watch(page):
    """Collect console errors, page errors (CSP violations are reported to the console) and failed loads
    (the browser's own favicon request aside)."""
    problems = []

    def console(msg):
        if msg.type == "error" and not msg.text.startswith("Failed to load resource"):
            problems.append(msg.text)

    def response(resp):
        if resp.status >= 400 and not resp.url.endswith("/favicon.ico"):
            problems.append(f"{resp.status} {resp.url}")
    page.on("console", console)
    page.on("pageerror", lambda exc: problems.append(str(exc)))
    page.on("response", response)
    return problems


def test_a_replayed_cookie_is_refused_after_logout(server, page, sign_in, _playwright):
    sign_in(page, "kjj_editor")
    cookies = page.context.cookies()
    page.click("#logout")
    page.wait_for_selector("#login-form")
    replay = _playwright.new_context(locale="zh-CN")
    replay.add_cookies(cookies)
    other = replay.new_page()
    other.goto(server["url"] + "/")
    assert "/login" in other.url
    replay.close()


def test_admin_resets_a_password_and_the_user_must_change_it(server, page, sign_in, _playwright):
    problems = _watch(page)
    sign_in(page, "admin")
    page.goto(server["url"] + "/admin/users")
    row = page.locator("#users tr", has_text="rsj_editor")
    row.locator("form.reset-password button").click()
    page.wait_for_selector("#one-time-password")
    password = page.locator("#one-time-password strong").inner_text().strip()
    assert re.fullmatch(r"[A-Za-z0-9]{12}", password)
    user_ctx = _playwright.new_context(locale="zh-CN")
    user = user_ctx.new_page()
    user.goto(server["url"] + "/login")
    user.fill("#username", "rsj_editor")
    user.fill("#password", password)
    user.click("#login-form button[type=submit]")
    user.wait_for_selector("#new_password")
    assert user.url.endswith("/password") and "请先设置新密码" in user.content()
    user.goto(server["url"] + "/")                     # nothing else until the password is changed
    assert user.url.endswith("/password")
    user.fill("#old_password", password)
    user.fill("#new_password", "rsj-new-pass-1")
    user.fill("#confirm", "rsj-new-pass-1")
    user.locator("form button[type=submit]").last.click()
    user.wait_for_selector("#home-title")
    assert "密码已修改" in user.content()
    user_ctx.close()
    assert [p for p in problems if "Content Security Policy" in p] == []


PAGES = ["/", "/goals/", "/registry/", "/registry/pools", "/incubation/carriers", "/incubation/institutions",
         "/finance/financing", "/finance/board", "/talent/", "/admin/users", "/admin/jobs", "/admin/audit",
         "/goals/admin/jobs"]


def test_pages_work_under_the_csp(server, page, sign_in):
    problems = _watch(page)
    sign_in(page, "admin")
    for path in PAGES:
        resp = page.goto(server["url"] + path)
        assert resp.status < 400, path
        assert "Content-Security-Policy" in resp.headers or "content-security-policy" in resp.headers
        page.wait_for_load_state("load")
    pools = page.goto(server["url"] + "/registry/pools")
    assert pools.status == 200
    first_pool = page.locator("table a[href*='/registry/pools/']:not([href$='/new'])").first
    if first_pool.count():
        first_pool.click()
        page.wait_for_load_state("load")
        assert page.locator("#pool-chart-monthly canvas, #pool-chart-monthly svg").count() >= 1
    assert [p for p in problems if "Content Security Policy" in p or "Refused" in p] == [], problems
    assert problems == []


def test_filter_selects_still_submit_without_inline_handlers(server, page, sign_in):
    sign_in(page, "kjj_editor")
    page.goto(server["url"] + "/incubation/carriers")
    select = page.locator("#type-filter")
    values = [v for v in select.locator("option").evaluate_all("os => os.map(o => o.value)") if v]
    select.select_option(values[0])
    page.wait_for_url(re.compile(r"type="))
    assert f"type={values[0]}" in unquote(page.url)

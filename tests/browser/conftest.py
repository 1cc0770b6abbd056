"""Browser tests: the real app served on a free localhost port, driven by Playwright in Debian chromium.

Fixtures: `server` (base URL; file-backed SQLite, or TEST_DATABASE_URL), `browser_users`
(username -> password for the demo users), `page`, and `sign_in(page, username)`.
"""
import os
import threading

import pytest
from werkzeug.serving import make_server

from core.db import db
from tests.conftest import TEST_DB, _truncate_all, make_app

CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]

pytestmark = pytest.mark.browser


@pytest.fixture
def server(tmp_path):
    extra = {"WTF_CSRF_ENABLED": True, "TESTING": False}
    if not TEST_DB:
        extra["SQLALCHEMY_DATABASE_URI"] = f"sqlite:///{tmp_path / 'browser.db'}"
    app = make_app(tmp_path, **extra)
    with app.app_context():
        db.create_all()
        from core.seed import run_seeders, seed_demo_users, seed_units
        seed_units()
        run_seeders()
        created = seed_demo_users()
        db.session.commit()
    srv = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=srv.serve_forever, daemon=True)
    thread.start()
    base = f"http://127.0.0.1:{srv.server_port}"
    server_info = {"url": base, "app": app, "users": {u: p for u, p, _unit, _role in created}}
    yield server_info
    srv.shutdown()
    from core import import_runner
    import_runner.stop(app)           # the import jobs' threads of this app
    with app.app_context():
        if TEST_DB:
            _truncate_all()
        db.session.remove()
        db.engine.dispose()


@pytest.fixture(scope="session")
def _playwright():
    if not os.path.exists(CHROMIUM):
        pytest.fail(f"browser tests need Debian chromium at {CHROMIUM} (apt-get install chromium)")
    from playwright.sync_api import sync_playwright
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def page(_playwright):
    context = _playwright.new_context(locale="zh-CN", viewport={"width": 1400, "height": 900})
    context.set_default_timeout(15000)
    page = context.new_page()
    yield page
    context.close()


@pytest.fixture
def sign_in(server):
    def do(page, username):
        page.goto(server["url"] + "/login")
        page.fill("#username", username)
        page.fill("#password", server["users"][username])
        page.click("#login-form button[type=submit]")
        page.wait_for_selector("#whoami")
        return page
    return do


@pytest.fixture
def sign_out():
    def do(page):
        page.click("#logout")
        page.wait_for_selector("#username")
    return do

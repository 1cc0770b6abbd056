"""Two web processes on one database (issue 16, "beyond one machine"): a write through one is visible at
once in the other's roll-up, session and permissions.

Two gunicorn processes (one worker each, separate instance folders, the same SECRET_KEY as two hosts behind
a proxy would have) serve one database: TEST_DATABASE_URL's PostgreSQL server (a database of this test's
own, made new), or a SQLite file without it. The test signs in through both over HTTP, CSRF on, and:
- roll-up: a firm entered into a pool through A's form counts at once in B's /api/v1/goals and dashboard;
- permissions: an editor signed in on B loses the editor's pages on B the moment their role changes in the
  database (the change committed by a third connection, as `flask users`/an admin script would);
- session: an administrator disables that user through A's admin page; B refuses the session and the token.
"""
from __future__ import annotations

import http.cookiejar
import json
import os
import re
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import text

ROOT = Path(__file__).resolve().parents[2]
SECRET = "two-hosts-shared-secret"
PASSWORD = "password123"
CSRF = re.compile(r'name="csrf_token" (?:type="hidden" )?value="([^"]+)"')


def _database(tmp_path: Path) -> str:
    base = os.environ.get("TEST_DATABASE_URL", "")
    if not base.startswith("postgres"):
        return f"sqlite:///{tmp_path / 'shared.db'}"
    import psycopg
    head, _sep, name = base.replace("postgresql+psycopg://", "postgresql://").rpartition("/")
    name = name.partition("?")[0] + "_twoproc"
    with psycopg.connect(f"{head}/postgres", autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')
    return "postgresql+psycopg://" + head.split("://", 1)[1] + "/" + name


def _seed(url: str, instance: Path) -> dict:
    from composition import create_app
    from core.auth.service import create_user, issue_token
    from core.db import db
    from core.seed import run_seeders, seed_units
    from registry import service, uscc
    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "INSTANCE_PATH": str(instance), "SECRET_KEY": SECRET,
                      "PII_HASH_KEY": "two-hosts-pii", "LOG_LEVEL": "WARNING"})
    with app.app_context():
        db.create_all()
        seed_units()
        run_seeders()
        admin = create_user("host_admin", PASSWORD, unit="jxj", role="admin")
        editor = create_user("host_editor", PASSWORD, unit="jxj", role="editor")
        db.session.flush()
        firm = service.create_firm(admin, uscc=uscc.generate(rng=__import__("random").Random(16)),
                                   name="宁波两地测试科技有限公司")
        db.session.commit()
        out = {"uscc": firm.uscc, "pool_id": service.pool_by_key("high_growth").id, "editor_id": editor.id,
               "token": issue_token(editor)}
        db.session.commit()
        db.engine.dispose()
    return out


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


class Browser:
    """One signed-in browser on one host: cookies kept, redirects not followed."""

    def __init__(self, base: str):
        self.base = base
        self.opener = urllib.request.build_opener(
            urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()), _NoRedirect())

    def get(self, path: str, headers: dict | None = None) -> tuple[int, str, dict]:
        return self._open(urllib.request.Request(self.base + path, headers=headers or {}))

    def post(self, path: str, form_page: str, data: dict) -> tuple[int, str, dict]:
        status, page, _headers = self.get(form_page)
        assert status == 200, (form_page, status)
        data = {**data, "csrf_token": CSRF.search(page).group(1)}
        body = urllib.parse.urlencode(data).encode()
        return self._open(urllib.request.Request(self.base + path, data=body, method="POST"))

    def _open(self, req) -> tuple[int, str, dict]:
        try:
            with self.opener.open(req, timeout=30) as resp:
                return resp.status, resp.read().decode("utf-8", "replace"), dict(resp.headers)
        except urllib.error.HTTPError as err:
            return err.code, err.read().decode("utf-8", "replace"), dict(err.headers)

    def login(self, username: str) -> "Browser":
        status, _body, headers = self.post("/login", "/login", {"username": username, "password": PASSWORD})
        assert status == 302 and "/login" not in headers.get("Location", ""), (status, headers)
        return self


@pytest.fixture
def hosts(tmp_path):
    url = _database(tmp_path)
    seeded = _seed(url, tmp_path / "seed")
    procs, bases = [], []
    try:
        for name in ("a", "b"):
            port = _free_port()
            env = dict(os.environ, DATABASE_URL=url, SECRET_KEY=SECRET, PII_HASH_KEY="two-hosts-pii",
                       INSTANCE_PATH=str(tmp_path / f"host-{name}"), LOG_LEVEL="WARNING", PYTHONPATH=str(ROOT))
            log = (tmp_path / f"host-{name}.log").open("w")
            procs.append(subprocess.Popen([sys.executable, "-m", "gunicorn", "--workers", "1", "--bind",
                                           f"127.0.0.1:{port}", "wsgi:app"], cwd=ROOT, env=env, stdout=log,
                                          stderr=subprocess.STDOUT))
            bases.append(f"http://127.0.0.1:{port}")
        for base, proc in zip(bases, procs):
            _wait(base, proc, tmp_path)
        yield {"a": bases[0], "b": bases[1], "url": url, **seeded}
    finally:
        for proc in procs:
            proc.terminate()
        for proc in procs:
            try:
                proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                proc.kill()
        _drop(url)


def _drop(url: str) -> None:
    if url.startswith("postgresql"):
        import psycopg
        head, _sep, name = url.replace("postgresql+psycopg://", "postgresql://").rpartition("/")
        with psycopg.connect(f"{head}/postgres", autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def _wait(base: str, proc, tmp_path) -> None:
    end = time.monotonic() + 90
    while time.monotonic() < end:
        if proc.poll() is not None:
            logs = "".join(p.read_text() for p in tmp_path.glob("host-*.log"))
            raise AssertionError(f"a web process exited: {logs[-3000:]}")
        try:
            with urllib.request.urlopen(base + "/health", timeout=2) as resp:
                if resp.status == 200:
                    return
        except OSError:
            time.sleep(0.3)
    raise AssertionError(f"{base} did not answer")


def _pool_figure(browser: Browser) -> float:
    status, body, _h = browser.get("/api/v1/goals")
    assert status == 200, body[:300]
    return next(g["actual"] for g in json.loads(body) if g["key"] == "high_growth_pool")


def _dashboard_figure(browser: Browser) -> str:
    status, body, _h = browser.get("/goals/")
    assert status == 200
    row = re.search(r'data-key="high_growth_pool".*?class="num actual"[^>]*>(?:<a [^>]*>)?([^<]*)<', body, re.S)
    return row.group(1).strip()


def test_a_write_through_one_process_is_seen_at_once_by_the_other(hosts):
    a_admin, b_admin = Browser(hosts["a"]).login("host_admin"), Browser(hosts["b"]).login("host_admin")
    b_editor = Browser(hosts["b"]).login("host_editor")

    # roll-up: B computes (and caches) the figure, A writes, B shows the new figure on its next request
    before, dash_before = _pool_figure(b_admin), _dashboard_figure(b_admin)
    pool = hosts["pool_id"]
    status, _body, _h = a_admin.post(f"/registry/pools/{pool}/enter", f"/registry/pools/{pool}",
                                     {"pool_id": pool, "uscc": hosts["uscc"], "reason": "两地测试",
                                      "entered_on": date(2018, 6, 1).isoformat()})
    assert status == 302
    assert _pool_figure(b_admin) == (before or 0) + 1
    assert _dashboard_figure(b_admin) != dash_before

    # permissions: the editor's pages on B follow the role in the database at once
    assert b_editor.get("/registry/firms/new")[0] == 200
    _set_role(hosts["url"], hosts["editor_id"], "viewer")
    assert b_editor.get("/registry/firms/new")[0] == 403
    assert b_editor.get("/registry/")[0] == 200            # still signed in, as a viewer now
    _set_role(hosts["url"], hosts["editor_id"], "editor")
    assert b_editor.get("/registry/firms/new")[0] == 200

    # session: disabled through A's admin page; B refuses the session cookie and the API token at once
    bearer = {"Authorization": f"Bearer {hosts['token']}"}
    assert Browser(hosts["b"]).get("/api/v1/goals", bearer)[0] == 200
    status, _body, _h = a_admin.post(f"/admin/users/{hosts['editor_id']}/toggle", "/admin/users", {})
    assert status == 302
    status, _body, headers = b_editor.get("/registry/")
    assert status == 302 and "/login" in headers["Location"]
    assert Browser(hosts["b"]).get("/api/v1/goals", bearer)[0] == 401


def _set_role(url: str, user_id: int, role: str) -> None:
    """A role change committed by another connection (an administrator's script or CLI)."""
    from sqlalchemy import create_engine
    engine = create_engine(url)
    try:
        with engine.begin() as conn:
            conn.execute(text("UPDATE core_users SET role = :r WHERE id = :i"), {"r": role, "i": user_id})
    finally:
        engine.dispose()

from datetime import timedelta

from sqlalchemy import select

from core.auth.models import ApiToken, User
from core.db import db, utcnow


def _post_login(client, username, password):
    return client.post("/login", data={"username": username, "password": password})


def test_login_logout_and_home_in_chinese(app, make_user):
    make_user("kjj1", unit="kjj", role="editor")
    client = app.test_client()
    assert client.get("/").status_code == 302
    resp = _post_login(client, "kjj1", "password123")
    assert resp.status_code == 302
    home = client.get("/")
    assert home.status_code == 200 and "工作台" in home.get_data(as_text=True)
    assert client.post("/logout").status_code == 302
    assert client.get("/").status_code == 302


def test_wrong_password_message_does_not_reveal_user(app, make_user):
    make_user("kjj1", unit="kjj")
    client = app.test_client()
    known = _post_login(client, "kjj1", "nope").get_data(as_text=True)
    unknown = _post_login(client, "ghost", "nope").get_data(as_text=True)
    assert "用户名或密码错误" in known and "用户名或密码错误" in unknown


def test_lockout_after_five_failures_even_with_right_password(app, make_user):
    user = make_user("kjj1", unit="kjj")
    client = app.test_client()
    for _ in range(5):
        assert _post_login(client, "kjj1", "wrong").status_code == 200
    resp = _post_login(client, "kjj1", "password123")
    assert resp.status_code == 200 and "已锁定" in resp.get_data(as_text=True)
    # the lock is in the database: another client (another worker) sees it too
    other = app.test_client()
    assert "已锁定" in _post_login(other, "kjj1", "password123").get_data(as_text=True)
    db.session.refresh(user)
    assert user.locked_until is not None
    remaining = user.locked_until.replace(tzinfo=None) - utcnow().replace(tzinfo=None)
    assert timedelta(minutes=14) < remaining <= timedelta(minutes=15)


def test_lock_expires_after_fifteen_minutes(app, make_user):
    user = make_user("kjj1", unit="kjj")
    user.locked_until = utcnow() - timedelta(seconds=1)
    db.session.commit()
    assert _post_login(app.test_client(), "kjj1", "password123").status_code == 302


def test_four_failures_then_success_resets_counter(app, make_user):
    user = make_user("kjj1", unit="kjj")
    client = app.test_client()
    for _ in range(4):
        _post_login(client, "kjj1", "wrong")
    assert _post_login(client, "kjj1", "password123").status_code == 302
    db.session.refresh(user)
    assert user.failed_logins == 0 and user.locked_until is None


def test_change_password(app, make_user, login):
    user = make_user("kjj1", unit="kjj")
    client = login(user)
    bad = client.post("/password", data={"old_password": "wrong", "new_password": "newpass123", "confirm": "newpass123"})
    assert "当前密码不正确" in bad.get_data(as_text=True)
    mismatch = client.post("/password", data={"old_password": "password123", "new_password": "newpass123", "confirm": "other1234"})
    assert "两次输入的新密码不一致" in mismatch.get_data(as_text=True)
    ok = client.post("/password", data={"old_password": "password123", "new_password": "newpass123", "confirm": "newpass123"})
    assert ok.status_code == 302
    client.post("/logout")
    assert _post_login(app.test_client(), "kjj1", "newpass123").status_code == 302


def test_session_cookie_flags(app, make_user):
    make_user("kjj1", unit="kjj")
    resp = _post_login(app.test_client(), "kjj1", "password123")
    cookie = resp.headers.get("Set-Cookie", "")
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie


def test_open_redirect_refused(app, make_user):
    make_user("kjj1", unit="kjj")
    resp = app.test_client().post("/login?next=https://evil.example/", data={"username": "kjj1", "password": "password123"})
    assert resp.headers["Location"] == "/"
    again = app.test_client().post("/login?next=//evil.example/", data={"username": "kjj1", "password": "password123"})
    assert again.headers["Location"] == "/"


def test_password_is_hashed(app, make_user):
    user = make_user("kjj1", unit="kjj")
    assert user.password_hash.startswith("scrypt:") and "password123" not in user.password_hash


def test_cli_users_create_and_token(app):
    runner = app.test_cli_runner()
    res = runner.invoke(args=["users", "create", "li", "--unit", "区科技局", "--role", "editor", "--password-stdin"],
                        input="secretpass1\n")
    assert res.exit_code == 0, res.output
    user = db.session.scalars(select(User).where(User.username == "li")).one()
    assert user.unit.code == "kjj" and user.role == "editor"
    res = runner.invoke(args=["users", "token", "li"])
    token = res.output.strip()
    assert res.exit_code == 0 and token.startswith("yz_")
    stored = db.session.scalars(select(ApiToken)).one()
    assert stored.token_hash != token and len(stored.token_hash) == 64
    client = app.test_client()
    assert client.get("/", headers={"Authorization": f"Bearer {token}"}).status_code == 200
    assert client.get("/", headers={"Authorization": "Bearer yz_wrong"}).status_code == 302


def test_cli_unknown_unit_or_role_exits_2(app):
    runner = app.test_cli_runner()
    res = runner.invoke(args=["users", "create", "x", "--unit", "区火星局", "--role", "editor", "--password-stdin"], input="secretpass1\n")
    assert res.exit_code == 2 and "unknown unit" in res.output
    res = runner.invoke(args=["users", "create", "x", "--unit", "kjj", "--role", "boss", "--password-stdin"], input="secretpass1\n")
    assert res.exit_code == 2 and "unknown role" in res.output
    res = runner.invoke(args=["users", "create", "x", "--unit", "kjj", "--role", "viewer", "--password-stdin"], input="short\n")
    assert res.exit_code == 2


def test_csrf_refused_without_token(csrf_app):
    from core.auth.service import create_user
    create_user("kjj1", "password123", unit="kjj", role="editor")
    db.session.commit()
    client = csrf_app.test_client()
    resp = client.post("/login", data={"username": "kjj1", "password": "password123"})
    assert resp.status_code in (200, 400)
    assert client.get("/").status_code == 302  # not signed in
    page = client.get("/login").data
    from tests.conftest import csrf_token_from
    resp = client.post("/login", data={"username": "kjj1", "password": "password123", "csrf_token": csrf_token_from(page)})
    assert resp.status_code == 302
    # a signed-in POST without the token is refused too
    assert client.post("/logout").status_code == 400


def test_bearer_token_wins_over_a_session_cookie(app, make_user, login):
    from core.auth.service import issue_token
    kjj = make_user("kjj1", unit="kjj")
    jxj = make_user("jxj1", unit="jxj")
    token = issue_token(jxj)
    db.session.commit()
    client = login(kjj)                      # a browser session as kjj1 …
    html = client.get("/", headers={"Authorization": f"Bearer {token}"}).get_data(as_text=True)
    assert "jxj1" in html                    # … but the token's user is the one acting
    bad = client.get("/", headers={"Authorization": "Bearer yz_nope"})
    assert bad.status_code == 302            # a wrong token is refused, not silently the cookie user

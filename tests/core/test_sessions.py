"""Sessions that end (logout, password change or reset, deactivation), lockout that cannot be turned
against someone else, and the accounts an administrator manages."""
from sqlalchemy import select

from core.audit import service as audit
from core.auth import service as auth
from core.auth.models import User
from core.db import db


def _client(app, address="10.0.0.1"):
    client = app.test_client()
    client.environ_base["REMOTE_ADDR"] = address
    return client


def _login(app, username, password="password123", address="10.0.0.1"):
    client = _client(app, address)
    resp = client.post("/login", data={"username": username, "password": password})
    return client, resp


def _signed_in(client) -> bool:
    return client.get("/").status_code == 200


def _replay(app, cookie: str):
    client = _client(app)
    client.set_cookie("session", cookie)
    return client


def test_a_replayed_cookie_is_refused_after_logout(app, make_user):
    make_user("kjj1", unit="kjj")
    client, _ = _login(app, "kjj1")
    cookie = client.get_cookie("session").value
    assert _signed_in(_replay(app, cookie))          # the cookie works before logout …
    client.post("/logout")
    assert not _signed_in(client)
    assert not _signed_in(_replay(app, cookie))      # … and never after it


def test_logout_ends_every_session_of_the_user(app, make_user):
    make_user("kjj1", unit="kjj")
    office, _ = _login(app, "kjj1")
    laptop, _ = _login(app, "kjj1", address="10.0.0.2")
    assert _signed_in(office) and _signed_in(laptop)
    office.post("/logout")
    assert not _signed_in(laptop)


def test_changing_the_password_ends_the_other_sessions_only(app, make_user):
    make_user("kjj1", unit="kjj")
    current, _ = _login(app, "kjj1")
    other, _ = _login(app, "kjj1", address="10.0.0.2")
    old_cookie = current.get_cookie("session").value
    resp = current.post("/password", data={"old_password": "password123", "new_password": "newpass123",
                                           "confirm": "newpass123"})
    assert resp.status_code == 302
    assert _signed_in(current) and not _signed_in(other)
    assert not _signed_in(_replay(app, old_cookie))


def test_disabling_a_user_ends_the_sessions_and_is_audited(app, admin, make_user, login):
    user = make_user("kjj1", unit="kjj")
    session, _ = _login(app, "kjj1")
    cookie = session.get_cookie("session").value
    login(admin).post(f"/admin/users/{user.id}/toggle")
    assert not _signed_in(session)
    db.session.refresh(user)
    assert user.active is False
    login(admin).post(f"/admin/users/{user.id}/toggle")     # enabled again: the old cookie stays dead
    assert not _signed_in(_replay(app, cookie))
    actions = [e.action for e in audit.history("core.user", user.id)]
    assert actions == ["core.user.disable", "core.user.enable"]


def test_an_admin_cannot_disable_themselves(app, admin, login):
    client = login(admin)
    resp = client.post(f"/admin/users/{admin.id}/toggle", follow_redirects=True)
    assert "不能停用自己的账号" in resp.get_data(as_text=True)
    db.session.refresh(admin)
    assert admin.active is True


def test_admin_reset_gives_a_one_time_password_to_change_at_next_login(app, admin, make_user, login):
    user = make_user("kjj1", unit="kjj")
    session, _ = _login(app, "kjj1")
    resp = login(admin).post(f"/admin/users/{user.id}/reset-password")
    assert resp.status_code == 200 and resp.headers["Cache-Control"] == "no-store"
    html = resp.get_data(as_text=True)
    assert "只显示这一次" in html
    password = html.split('<strong>')[1].split('</strong>')[0]
    assert len(password) == 12
    assert not _signed_in(session)                                   # the user's sessions ended
    assert _login(app, "kjj1")[1].status_code == 200                  # the old password is gone
    client, resp = _login(app, "kjj1", password)
    assert resp.status_code == 302
    home = client.get("/")
    assert home.status_code == 302 and home.headers["Location"].endswith("/password")
    assert client.get("/api/v1/units", headers={}).status_code in (403, 404)
    resp = client.post("/password", data={"old_password": password, "new_password": "mynewpass1",
                                          "confirm": "mynewpass1"})
    assert resp.status_code == 302 and _signed_in(client)
    entries = audit.history("core.user", user.id)
    assert [e.action for e in entries] == ["core.user.password_reset", "core.user.password_change"]
    assert entries[0].changes["password_hash"] == ["***", "***"] and entries[0].actor_name == "admin"
    assert password not in str(entries[0].changes)


def test_reset_needs_admin_rights(app, make_user, login):
    user = make_user("kjj1", unit="kjj")
    manager = login(make_user("boss", unit="ldxz", role="manager"))
    assert manager.post(f"/admin/users/{user.id}/reset-password").status_code == 403


def test_failures_from_elsewhere_do_not_lock_the_owner_out(app, make_user):
    make_user("kjj1", unit="kjj")
    for _ in range(6):
        _login(app, "kjj1", "guess", address="203.0.113.9")
    attacker, resp = _login(app, "kjj1", address="203.0.113.9")
    assert "已锁定" in resp.get_data(as_text=True)                      # the guessing address is locked …
    owner, resp = _login(app, "kjj1", address="10.0.0.1")
    assert resp.status_code == 302 and _signed_in(owner)                # … the owner's is not


def test_one_address_trying_many_names_is_paused(app, make_user):
    app.config["LOCKOUT_ADDRESS_ATTEMPTS"] = 8
    make_user("kjj1", unit="kjj")
    for i in range(8):
        _login(app, f"name{i}", "guess", address="203.0.113.9")
    resp = _login(app, "kjj1", address="203.0.113.9")[1]
    assert resp.status_code == 200 and "该地址登录失败次数过多" in resp.get_data(as_text=True)
    assert _login(app, "kjj1", address="10.0.0.1")[1].status_code == 302


def test_unknown_names_are_checked_against_a_hash_too(app, make_user, monkeypatch):
    """Unknown and known names cost the same scrypt check (the same time), and answer alike."""
    make_user("kjj1", unit="kjj")
    checked = []
    real = auth.check_password_hash
    monkeypatch.setattr(auth, "check_password_hash", lambda h, p: checked.append(h.split(":")[0]) or real(h, p))
    known = _login(app, "kjj1", "wrong")[1].get_data(as_text=True)
    unknown = _login(app, "ghost", "wrong")[1].get_data(as_text=True)
    assert checked == ["scrypt", "scrypt"]
    assert "用户名或密码错误" in known and "用户名或密码错误" in unknown


def test_cli_set_password(app, make_user):
    user = make_user("kjj1", unit="kjj")
    runner = app.test_cli_runner()
    res = runner.invoke(args=["users", "set-password", "kjj1", "--password-stdin", "--must-change"],
                        input="brandnew99\n")
    assert res.exit_code == 0, res.output
    db.session.refresh(user)
    assert user.must_change_password is True
    assert _login(app, "kjj1", "brandnew99")[1].status_code == 302
    entry = audit.history("core.user", user.id)[-1]
    assert entry.action == "core.user.password_set" and entry.actor_name == "system"
    res = runner.invoke(args=["users", "set-password", "kjj1", "--password-stdin"], input="short\n")
    assert res.exit_code == 2 and "8" in res.output
    res = runner.invoke(args=["users", "set-password", "nobody", "--password-stdin"], input="brandnew99\n")
    assert res.exit_code == 2 and "unknown user" in res.output
    assert db.session.scalars(select(User).where(User.username == "nobody")).first() is None

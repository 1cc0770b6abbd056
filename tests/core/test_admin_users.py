from sqlalchemy import select

from core.audit import service as audit
from core.auth.models import User
from core.auth.service import locked_until
from core.db import db


def test_admin_creates_unlocks_and_deactivates_users(app, admin, login):
    client = login(admin)
    resp = client.post("/admin/users", data={"username": "wang", "display_name": "王", "unit": "kjj",
                                             "role": "editor", "password": "password123"})
    assert resp.status_code == 302
    user = db.session.scalars(select(User).where(User.username == "wang")).one()
    assert user.unit.code == "kjj"
    dup = client.post("/admin/users", data={"username": "wang", "unit": "kjj", "role": "editor", "password": "password123"})
    assert "用户名已存在" in dup.get_data(as_text=True)
    for _ in range(5):
        app.test_client().post("/login", data={"username": "wang", "password": "wrong"})
    assert locked_until(user) is not None
    assert "已锁定" in client.get("/admin/users").get_data(as_text=True)
    client.post(f"/admin/users/{user.id}/unlock")
    assert locked_until(user) is None
    assert [e.action for e in audit.history("core.user", user.id)] == ["core.user.unlock"]
    client.post(f"/admin/users/{user.id}/toggle")
    db.session.refresh(user)
    assert user.active is False
    anon = app.test_client()
    assert anon.post("/login", data={"username": "wang", "password": "password123"}).status_code == 200


def test_non_admins_cannot_manage_users(app, make_user, login):
    manager = login(make_user("boss", unit="ldxz", role="manager"))
    assert manager.get("/admin/users").status_code == 403
    assert manager.post("/admin/users", data={}).status_code == 403

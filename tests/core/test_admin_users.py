from datetime import timedelta

from sqlalchemy import select

from core.auth.models import User
from core.db import db, utcnow


def test_admin_creates_unlocks_and_deactivates_users(app, admin, login):
    client = login(admin)
    resp = client.post("/admin/users", data={"username": "wang", "display_name": "王", "unit": "kjj",
                                             "role": "editor", "password": "password123"})
    assert resp.status_code == 302
    user = db.session.scalars(select(User).where(User.username == "wang")).one()
    assert user.unit.code == "kjj"
    dup = client.post("/admin/users", data={"username": "wang", "unit": "kjj", "role": "editor", "password": "password123"})
    assert "用户名已存在" in dup.get_data(as_text=True)
    user.locked_until = utcnow() + timedelta(minutes=10)
    db.session.commit()
    client.post(f"/admin/users/{user.id}/unlock")
    db.session.refresh(user)
    assert user.locked_until is None
    client.post(f"/admin/users/{user.id}/toggle")
    db.session.refresh(user)
    assert user.active is False
    anon = app.test_client()
    assert anon.post("/login", data={"username": "wang", "password": "password123"}).status_code == 200


def test_non_admins_cannot_manage_users(app, make_user, login):
    manager = login(make_user("boss", unit="ldxz", role="manager"))
    assert manager.get("/admin/users").status_code == 403
    assert manager.post("/admin/users", data={}).status_code == 403

"""What a request costs in SQL (issue 16): a read request writes nothing (no session touch, no
last-seen stamp — a write would also bump the data version and empty every cached figure), the firm
page reads each thing once, a bearer-token request loads its token and user in one statement; and the
menu, drawn once per role, unit, language and page, stays right for each of them."""
from datetime import date

import pytest
from sqlalchemy import event

from core import dataversion
from core.db import db

WRITE = ("INSERT", "UPDATE", "DELETE")
SHARED_KEEP = (f"INSERT INTO {dataversion.SHARED} ", f"DELETE FROM {dataversion.SHARED} ")   # kept, old ones pruned


@pytest.fixture
def statements(app):
    seen: list[str] = []

    def note(_conn, _cursor, statement, *_args):
        seen.append(" ".join(statement.split()))
    event.listen(db.engine, "before_cursor_execute", note)
    yield seen
    event.remove(db.engine, "before_cursor_execute", note)


@pytest.fixture
def firm_id(app):
    from registry import service
    from registry.models import Firm, FirmFact, PoolMembership
    firm = Firm(uscc="91330212MA2CJ1K90U", name="宁波瑞博测试有限公司", registered_on=date(2015, 3, 1))
    db.session.add(firm)
    db.session.flush()
    for key in ("high_growth", "single_champion"):
        db.session.add(PoolMembership(pool_id=service.pool_by_key(key).id, firm_id=firm.id,
                                      entered_on=date(2020, 1, 1), reason="测试"))
    db.session.add(FirmFact(firm_id=firm.id, year=2023))
    db.session.commit()
    return firm.id


def test_read_requests_write_nothing(app, make_user, login, firm_id, statements):
    from core.auth.service import issue_token
    editor = make_user("jxj_editor")
    token = issue_token(editor)
    db.session.commit()
    client = login(editor)
    client.get("/")                                   # the first page after signing in, out of the count
    before = dataversion.current()
    statements.clear()
    for url in ("/", "/registry/", "/registry/?q=%E7%91%9E%E5%8D%9A", f"/registry/firms/{firm_id}",
                f"/registry/firms/{firm_id}/facts?year=2024", "/goals/", "/registry/pools"):
        assert client.get(url).status_code == 200, url
    for url in (f"/api/v1/firms/{firm_id}", "/api/v1/firms?q=%E7%91%9E%E5%8D%9A", "/api/v1/goals"):
        assert client.get(url, headers={"Authorization": f"Bearer {token}"}).status_code == 200, url
    # keeping a computed page part for the other processes (core_shared_values, on a connection of its own,
    # bumping no version) is the one write a read may make: on a database other processes share
    writes = [s for s in statements if s.upper().startswith(WRITE) and not s.startswith(SHARED_KEEP)]
    assert writes == []
    db.session.rollback()
    assert dataversion.current() == before


def test_firm_page_reads_each_thing_once(app, make_user, login, firm_id, statements):
    viewer = make_user("jxj_viewer", role="viewer")
    client = login(viewer)
    assert client.get(f"/registry/firms/{firm_id}").status_code == 200
    db.session.expunge_all()
    statements.clear()
    page = client.get(f"/registry/firms/{firm_id}").get_data(as_text=True)
    assert "高成长性企业培育库" in page and "单项（隐形）冠军培育库" in page    # the pool table and the timeline
    memberships = [s for s in statements if "FROM registry_pool_memberships" in s]
    assert len(memberships) == 1, memberships           # one read shared by the table and the timeline
    assert "registry_pools" in memberships[0]            # the pools with it, not one lazy load each
    # a viewer gets no form to enter a pool, so the pools are not listed for it
    assert not [s for s in statements if s.startswith("SELECT") and "FROM registry_pools" in s]
    assert 'id="firm-pool-enter"' not in page


def test_editor_firm_page_offers_the_active_pools(app, make_user, login, firm_id):
    client = login(make_user("jxj_editor"))
    page = client.get(f"/registry/firms/{firm_id}").get_data(as_text=True)
    assert 'id="firm-pool-enter"' in page
    assert page.count('<option value="') >= 4         # the seeded pools


def test_bearer_request_loads_token_and_user_in_one_statement(app, make_user, firm_id, statements):
    from core.auth.service import issue_token
    token = issue_token(make_user("jxj_editor"))
    db.session.commit()
    db.session.expunge_all()
    statements.clear()
    resp = app.test_client().get(f"/api/v1/firms/{firm_id}", headers={"Authorization": f"Bearer {token}"})
    assert resp.status_code == 200 and resp.get_json()["id"] == firm_id
    assert len([s for s in statements if "core_users" in s]) == 1
    assert len(statements) == 2, statements              # the token with its user, then the firm


def test_menu_per_role_and_page(app, make_user, login):
    viewer = login(make_user("jxj_viewer", role="viewer"))
    editor = login(make_user("jxj_editor"))
    admin = login(make_user("admin", role="admin"))
    for _ in range(2):                                   # drawn, then served as drawn
        on_list = viewer.get("/registry/").get_data(as_text=True)
        assert 'class="dropdown-item active" href="/registry/"' in on_list     # in the 企业 dropdown
        assert "/registry/reconcile" not in on_list      # 名单核对 needs registry.edit
        on_pools = viewer.get("/registry/pools").get_data(as_text=True)
        assert 'class="dropdown-item active" href="/registry/pools"' in on_pools
        assert 'class="dropdown-item active" href="/registry/"' not in on_pools
        editor_page = editor.get("/registry/").get_data(as_text=True)
        assert "/registry/reconcile" in editor_page and "用户管理" not in editor_page
        assert "用户管理" in admin.get("/registry/").get_data(as_text=True)

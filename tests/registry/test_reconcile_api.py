"""The reconciliation API: the CLI's summary, dry run by default, applying only certain rows (or the
caller's explicit decisions), clear errors; the to-dos left by an applied list (service, page, API)."""
import json
from datetime import date
from io import BytesIO

import pytest
from sqlalchemy import func, select

from core.audit.models import AuditEntry
from core.db import db
from core.imports import ImportBatch
from registry import reconcile_todos, service
from registry.models import Firm, PoolMembership, ReconcileTodo
from tests.api.conftest import JsonClient, assert_envelope

ON = "2026-03-31"
DAY = date(2026, 3, 31)
NOISY = ["1、 宁波 东海软件有限公司※", "甬鑫精密机械（宁波）有限责任公司注1", "宁波华X电子科技有限公司",
         "鄞州未登记贸易有限公司", "宁波东海软件有限公司"]


@pytest.fixture
def firms(make_firm):
    return {"dh": make_firm(name="宁波东海软件有限公司"), "hx": make_firm(name="宁波华星电子科技有限公司"),
            "hs": make_firm(name="宁波华晟电子科技有限公司"), "yx": make_firm(name="宁波甬鑫精密机械有限公司")}


@pytest.fixture
def api_as(app, make_user):
    """api_as(unit, role) -> a JsonClient with a bearer token of a new user of that unit and role."""
    from core.auth.service import issue_token
    users = {}

    def make(unit="jxj", role="editor"):
        name = f"api_{unit}_{role}"
        if name not in users:
            users[name] = make_user(name, unit=unit, role=role)
        token = issue_token(users[name])
        db.session.commit()
        return JsonClient(app, token)
    return make


@pytest.fixture
def api(api_as):
    return api_as("jxj", "editor")


def _count(model):
    return db.session.scalar(select(func.count()).select_from(model))


def _post(api, names=NOISY, **extra):
    return api.post("/api/v1/reconcile", json={"pool": "high_growth", "as_of": ON, "list_name": "2026年市高成长企业",
                                               "names": names, **extra})


def test_dry_run_answers_like_the_cli_and_writes_nothing(app, api, firms, pool, tmp_path):
    resp = _post(api)
    assert resp.status_code == 200, resp.json
    body = resp.json
    assert (body["matched"], body["new"], body["missing"], body["conflicting"]) == (0, 3, 0, 1)
    assert (body["uncertain"], body["duplicates"]) == (1, 1)
    rows = {r["line"]: r for r in body["rows"]}
    assert (rows[1]["method"], rows[1]["firm"]["id"]) == ("exact", firms["dh"].id)
    assert (rows[2]["method"], rows[2]["firm"]["id"]) == ("normalised", firms["yx"].id)
    assert rows[3]["group"] == "conflicting" and rows[3]["certain"] is False
    assert rows[4]["firm"] is None and rows[4]["group"] == "new"
    assert rows[5]["duplicate_of"] == 1 and "applied" not in body
    assert _count(PoolMembership) == 0 and _count(ImportBatch) == 0
    path = tmp_path / "名单.txt"
    path.write_text("\n".join(NOISY), encoding="utf-8")
    cli = json.loads(app.test_cli_runner().invoke(args=["reconcile", "high_growth", str(path), "--as-of", ON,
                                                        "--name", "2026年市高成长企业"]).output)
    assert {k: cli[k] for k in ("matched", "new", "missing", "conflicting", "uncertain", "duplicates")} == \
        {k: body[k] for k in ("matched", "new", "missing", "conflicting", "uncertain", "duplicates")}
    assert [(r["line"], r["group"], r["method"]) for r in cli["rows"]] == \
        [(r["line"], r["group"], r["method"]) for r in body["rows"]]


def test_apply_writes_certain_rows_only_and_keeps_the_todo(api, firms, pool):
    body = _post(api, apply=True).json
    applied = body["applied"]
    assert (applied["entered"], applied["created"], applied["skipped"]) == (2, 0, [3])   # row 3 uncertain
    assert [t["line"] for t in applied["todo"]] == [4]
    assert service.current_membership(firms["dh"], pool, DAY) is not None
    assert service.current_membership(firms["yx"], pool, DAY) is not None
    assert service.current_membership(firms["hx"], pool, DAY) is None
    assert service.current_membership(firms["hs"], pool, DAY) is None
    todo = db.session.get(ReconcileTodo, applied["todo"][0]["id"])
    assert (todo.name, todo.status, todo.as_of) == ("鄞州未登记贸易有限公司", "open", DAY)
    batch = db.session.get(ImportBatch, applied["batch_id"])
    assert batch.kind == "reconcile" and batch.params["list_name"] == "2026年市高成长企业"


def test_explicit_decisions_and_exits(api, firms, pool, editor):
    old = service.enter_pool(editor, firm=firms["yx"], pool=pool, entered_on=date(2024, 1, 1))
    db.session.commit()
    dry = _post(api, names=["宁波东海软件有限公司"]).json
    missing = [r for r in dry["rows"] if r["group"] == "missing"]
    assert [m["membership_id"] for m in missing] == [old.id]
    resp = _post(api, names=["宁波东海软件有限公司", "宁波华X电子科技有限公司"], apply=True,
                 decisions={"2": f"firm:{firms['hs'].id}"}, exits=[old.id])
    assert resp.status_code == 200, resp.json
    applied = resp.json["applied"]
    assert (applied["entered"], applied["exited"], applied["skipped"]) == (2, 1, [])
    assert service.current_membership(firms["hs"], pool, DAY) is not None
    db.session.refresh(old)
    assert (old.exited_on, old.exit_reason) == (DAY, "未列入2026年市高成长企业名单")


def test_a_refused_decision_writes_nothing(api, firms, pool):
    resp = _post(api, names=["宁波东海软件有限公司", "宁波华X电子科技有限公司"], apply=True,
                 decisions={"2": f"firm:{firms['yx'].id}"})                 # not a candidate of row 2
    body = assert_envelope(resp, 422)
    assert "第 2 行" in body["message"]
    assert _count(PoolMembership) == 0 and _count(ImportBatch) == 0 and _count(ReconcileTodo) == 0


@pytest.mark.parametrize("payload,field,message", [
    ({"names": []}, "names", "名单为空"),
    ({"names": ["", "  ", "※"]}, "names", "名单为空"),
    ({"names": ["宁波某某有限公司"] * 20_001}, "names", "名单超过 20000 行"),
    ({"names": ["宁波东海软件有限公司"], "pool": "no_such_pool"}, "pool", "未知或已停用的培育库"),
    ({"names": ["宁波东海软件有限公司"], "as_of": "31/03/2026"}, "as_of", "日期格式"),
    ({"names": ["宁波东海软件有限公司"], "decisions": {"1": "guess"}}, "decisions.1.value", ""),
    ({"pool": "high_growth"}, "names", "必填项"),
])
def test_bad_input_is_a_clear_422_and_writes_nothing(api, pool, payload, field, message):
    body = {"pool": "high_growth", "as_of": ON, "list_name": "名单", "apply": True, **payload}
    resp = api.post("/api/v1/reconcile", json=body)
    env = assert_envelope(resp, 422)
    found = [k for k in env["errors"] if k.startswith(field.split(".")[0])]
    assert found, env
    assert message in env["message"] + " ".join(m for k in found for m in env["errors"][k])
    assert _count(ImportBatch) == 0 and _count(PoolMembership) == 0


def test_not_json_and_not_an_object(api, pool):
    assert_envelope(api.post("/api/v1/reconcile", data="names=x", headers={"Content-Type": "text/plain"}), 415)
    assert_envelope(api.post("/api/v1/reconcile", json=["宁波东海软件有限公司"]), 422)


def test_ten_thousand_names_work(api, firms, pool):
    names = [f"宁波测试{i:05d}号贸易有限公司" for i in range(10_000)]
    body = _post(api, names=names).json
    assert body["new"] == 10_000 and len(body["rows"]) == 10_000


def test_multipart_file_and_pasted(api, firms, pool):
    from core.tabular import write_xlsx
    data = write_xlsx(("序号", "企业名称", "统一社会信用代码"), [(1, "宁波东海软件有限公司※", ""),
                                                              (2, "  宁波（甬鑫）精密机械有限公司 ", firms["yx"].uscc)])
    resp = api.client.post("/api/v1/reconcile", headers=api.headers, content_type="multipart/form-data",
                           data={"pool": "high_growth", "as_of": ON, "file": (BytesIO(data), "名单.xlsx")})
    assert resp.status_code == 200, resp.json
    assert resp.json["list_name"] == "名单.xlsx" and resp.json["new"] == 2
    assert [r["method"] for r in resp.json["rows"]] == ["exact", "code"]
    pasted = api.client.post("/api/v1/reconcile", headers=api.headers, content_type="multipart/form-data",
                             data={"pool": "high_growth", "as_of": ON, "list_name": "粘贴", "pasted": "宁波东海软件有限公司\n",
                                   "apply": "true"})
    assert pasted.json["applied"]["entered"] == 1
    empty = api.client.post("/api/v1/reconcile", headers=api.headers, content_type="multipart/form-data",
                            data={"pool": "high_growth", "as_of": ON, "file": (BytesIO(b"\xef\xbb\xbf\n"), "a.csv")})
    assert "file" in assert_envelope(empty, 422)["errors"]


def test_permissions(app, api_as, pool):
    body = {"pool": "high_growth", "as_of": ON, "names": ["宁波东海软件有限公司"]}
    assert_envelope(JsonClient(app).post("/api/v1/reconcile", json=body), 401)
    for unit, role in (("kjj", "editor"), ("jxj", "viewer"), ("ldxz", "manager")):
        assert_envelope(api_as(unit, role).post("/api/v1/reconcile", json=body), 403)
        assert_envelope(api_as(unit, role).get("/api/v1/reconcile/todos"), 403)


# ----------------------------------------------------------------------------- to-dos

@pytest.fixture
def todo(api, firms, pool):
    applied = _post(api, names=["鄞州未登记贸易有限公司", "宁波另一家无代码有限公司"], apply=True).json["applied"]
    return db.session.get(ReconcileTodo, applied["todo"][0]["id"])


def test_resolve_registers_the_firm_and_enters_the_pool(todo, pool, editor, make_code):
    code = make_code()
    reconcile_todos.resolve_todo(editor, todo, code=code, version=todo.version)
    db.session.commit()
    firm = service.find_firm(code)
    assert firm.name == "鄞州未登记贸易有限公司"
    membership = service.current_membership(firm, pool, DAY)
    assert (membership.entered_on, membership.reason) == (DAY, "2026年市高成长企业")
    assert (todo.status, todo.firm_id, todo.resolved_by_id) == ("resolved", firm.id, editor.id)
    actions = set(db.session.scalars(select(AuditEntry.action).where(AuditEntry.entity_type == "registry.reconcile_todo")))
    assert actions == {"registry.reconcile_todo.create", "registry.reconcile_todo.resolve"}
    with pytest.raises(Exception) as exc:
        reconcile_todos.dismiss_todo(editor, todo)
    assert "已处理" in str(getattr(exc.value, "message", exc.value))


def test_resolve_joins_a_registered_firm_and_refuses_bad_codes(todo, firms, pool, editor):
    from core.errors import ServiceError
    with pytest.raises(ServiceError) as exc:
        reconcile_todos.resolve_todo(editor, todo, code="91330212XXXXXXXXX1")
    assert exc.value.field == "code"
    db.session.rollback()
    reconcile_todos.resolve_todo(editor, todo, code=firms["dh"].uscc)
    db.session.commit()
    assert todo.firm_id == firms["dh"].id and _count(Firm) == 4
    assert service.current_membership(firms["dh"], pool, DAY) is not None


def test_todo_page_resolve_and_dismiss(todo, login, editor, make_code, pool):
    client = login(editor)
    html = client.get("/registry/reconcile/todos").get_data(as_text=True)
    assert "鄞州未登记贸易有限公司" in html and "宁波另一家无代码有限公司" in html
    assert "名单核对待办" in client.get("/registry/reconcile").get_data(as_text=True)
    bad = client.post(f"/registry/reconcile/todos/{todo.id}/resolve", data={"code": "123", "version": todo.version},
                      follow_redirects=True)
    assert "alert-danger" in bad.get_data(as_text=True) and _count(Firm) == 4
    code = make_code()
    done = client.post(f"/registry/reconcile/todos/{todo.id}/resolve", data={"code": code, "version": todo.version},
                       follow_redirects=True)
    assert "已登记并入库" in done.get_data(as_text=True)
    other = db.session.scalars(select(ReconcileTodo).where(ReconcileTodo.id != todo.id)).one()
    gone = client.post(f"/registry/reconcile/todos/{other.id}/dismiss", data={"note": "区外企业", "version": other.version},
                       follow_redirects=True)
    assert "已忽略" in gone.get_data(as_text=True)
    db.session.expire_all()
    assert (db.session.get(ReconcileTodo, other.id).status, db.session.get(ReconcileTodo, other.id).note) == \
        ("dismissed", "区外企业")
    assert "暂无待办" in client.get("/registry/reconcile/todos").get_data(as_text=True)
    assert "区外企业" in client.get("/registry/reconcile/todos?status=dismissed").get_data(as_text=True)


def test_todo_page_permissions(todo, make_user, login):
    for user in (make_user("kjj_ed", unit="kjj", role="editor"), make_user("jxj_view", unit="jxj", role="viewer")):
        c = login(user)
        assert c.get("/registry/reconcile/todos").status_code == 403
        assert c.post(f"/registry/reconcile/todos/{todo.id}/dismiss", data={"note": "x"}).status_code == 403
    db.session.expire_all()
    assert db.session.get(ReconcileTodo, todo.id).status == "open"


def test_todo_api(api, todo, make_code, pool):
    listed = api.get("/api/v1/reconcile/todos?pool=high_growth").json
    assert [t["name"] for t in listed] == ["鄞州未登记贸易有限公司", "宁波另一家无代码有限公司"]
    assert_envelope(api.post(f"/api/v1/reconcile/todos/{todo.id}/resolve", json={"uscc": "123"}), 422)
    stale = api.post(f"/api/v1/reconcile/todos/{todo.id}/resolve", json={"uscc": make_code(), "version": 99})
    assert_envelope(stale, 409)
    code = make_code()
    done = api.post(f"/api/v1/reconcile/todos/{todo.id}/resolve", json={"uscc": code, "name": "宁波正式名称有限公司"})
    assert done.status_code == 200 and done.json["status"] == "resolved"
    assert service.find_firm(code).name == "宁波正式名称有限公司"
    again = api.post(f"/api/v1/reconcile/todos/{todo.id}/dismiss", json={"note": "x"})
    assert "已处理" in assert_envelope(again, 422)["message"]
    assert_envelope(api.post("/api/v1/reconcile/todos/999999/dismiss", json={}), 404)
    assert_envelope(api.get("/api/v1/reconcile/todos?pool=nope"), 404)
    assert len(api.get("/api/v1/reconcile/todos?status=resolved").json) == 1


def test_undoing_the_batch_removes_open_todos_but_not_a_resolved_one(api, firms, pool, editor, make_code):
    from core.errors import ServiceError
    from core.imports import undo_batch
    applied = _post(api, names=["鄞州未登记贸易有限公司"], apply=True).json["applied"]
    batch = db.session.get(ImportBatch, applied["batch_id"])
    todo = db.session.get(ReconcileTodo, applied["todo"][0]["id"])
    reconcile_todos.resolve_todo(editor, todo, code=make_code())
    db.session.commit()
    with pytest.raises(ServiceError):
        undo_batch(batch, editor)                   # the to-do was resolved since: refused, as for an edited import
    db.session.rollback()
    again = _post(api, names=["宁波另一家无代码有限公司"], apply=True).json["applied"]
    undo_batch(db.session.get(ImportBatch, again["batch_id"]), editor)
    db.session.commit()
    assert db.session.get(ReconcileTodo, again["todo"][0]["id"]) is None
    assert db.session.get(ReconcileTodo, todo.id).status == "resolved"

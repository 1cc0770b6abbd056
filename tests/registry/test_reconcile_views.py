"""Reconciliation pages, export and CLI; the missing-town page; permissions of both."""
import json
from datetime import date
from io import BytesIO

import openpyxl
import pytest
from sqlalchemy import func, select

from core.db import db
from core.imports import ImportBatch
from registry import service
from registry.models import Firm, PoolMembership
from registry.towns import suggest_town

ON = "2026-03-31"


@pytest.fixture
def client(editor, login):
    return login(editor)


@pytest.fixture
def firms(make_firm):
    return {"dh": make_firm(name="宁波东海软件有限公司"), "hx": make_firm(name="宁波华星电子科技有限公司"),
            "hs": make_firm(name="宁波华晟电子科技有限公司"), "yx": make_firm(name="宁波甬鑫精密机械有限公司")}


def _upload(client, pool, pasted="", data=None, filename="list.csv", **extra):
    form = {"pool_id": pool.id, "as_of": ON, "list_name": "2026年市高成长企业", "pasted": pasted, **extra}
    if data is not None:
        form["file"] = (BytesIO(data), filename)
    return client.post("/registry/reconcile", data=form, content_type="multipart/form-data")


def _count(model):
    return db.session.scalar(select(func.count()).select_from(model))


def test_upload_review_apply_export_undo(client, firms, pool, editor):
    service.enter_pool(editor, firm=firms["yx"], pool=pool, entered_on=date(2025, 1, 1))
    db.session.commit()
    resp = _upload(client, pool, pasted="1、宁波东海软件有限公司※\n宁波华X电子科技有限公司\n宁波东海软件有限公司")
    assert resp.status_code == 302
    review = client.get(resp.headers["Location"])
    html = review.get_data(as_text=True)
    assert review.status_code == 200
    assert 'id="count-new">1<' in html and 'id="count-conflicting">1<' in html and 'id="count-missing">1<' in html
    assert "两家企业的名称同样相似" in html and "与第 1 行重复" in html
    token = resp.headers["Location"].rsplit("/", 1)[-1]
    xlsx = client.get(f"/registry/reconcile/{token}/export.xlsx")
    sheet = openpyxl.load_workbook(BytesIO(xlsx.data)).active
    assert [c.value for c in sheet[1]][:4] == ["分组", "名单行号", "名单原文", "整理后名称"]
    assert {sheet.cell(row=i, column=1).value for i in range(2, sheet.max_row + 1)} == {"名单新增", "有冲突", "在库未列入"}
    # the uncertain row 2 is undecided: refused, nothing written
    refused = client.post(f"/registry/reconcile/{token}/apply", data={}, follow_redirects=True)
    assert "还有 1 行待确认" in refused.get_data(as_text=True)
    assert _count(PoolMembership) == 1
    membership = service.current_membership(firms["yx"], pool, date(2026, 3, 31))
    done = client.post(f"/registry/reconcile/{token}/apply",
                       data={"d-2": f"firm:{firms['hs'].id}", "exit": str(membership.id)}, follow_redirects=True)
    assert "入库 2" in done.get_data(as_text=True)
    assert service.current_membership(firms["hs"], pool, date(2026, 3, 31)) is not None
    assert service.current_membership(firms["yx"], pool, date(2026, 3, 31)) is None
    batch = db.session.scalars(select(ImportBatch).where(ImportBatch.kind == "reconcile")).one()
    undo = client.post(f"/registry/batches/{batch.id}/undo", follow_redirects=True)
    assert "已撤销批次" in undo.get_data(as_text=True)
    db.session.expire_all()
    assert service.current_membership(firms["yx"], pool, date(2026, 3, 31)) is not None
    assert service.current_membership(firms["dh"], pool, date(2026, 3, 31)) is None


@pytest.mark.parametrize("pasted,data,message", [
    ("", None, "名单为空"),
    ("\n \n", None, "名单为空"),
    ("", "序号,地址\n1,鄞州区\n".encode(), "找不到“企业名称”列"),
    ("", b"\x00\x01binary", "二进制"),
])
def test_bad_lists_get_a_message_and_write_nothing(client, pool, pasted, data, message):
    resp = _upload(client, pool, pasted=pasted, data=data)
    assert resp.status_code == 400
    assert message in resp.get_data(as_text=True)
    assert _count(ImportBatch) == 0


def test_wrong_pool_and_missing_fields(client, pool):
    assert _upload(client, pool, pasted="宁波东海软件有限公司", pool_id=99999).status_code == 400
    resp = _upload(client, pool, pasted="宁波东海软件有限公司", list_name="")
    assert resp.status_code == 400 and "请填写名单名称" in resp.get_data(as_text=True)


def test_other_units_and_viewers_cannot_reconcile(make_user, login, pool):
    for user in (make_user("kjj_ed", unit="kjj", role="editor"), make_user("jxj_view", unit="jxj", role="viewer")):
        c = login(user)
        assert c.get("/registry/reconcile").status_code == 403
        assert _upload(c, pool, pasted="宁波东海软件有限公司").status_code == 403


def test_someone_elses_token_is_not_found(client, make_user, login, pool, firms):
    token = _upload(client, pool, pasted="宁波东海软件有限公司").headers["Location"].rsplit("/", 1)[-1]
    other = login(make_user("jxj_other", unit="jxj", role="editor"))
    assert other.get(f"/registry/reconcile/{token}").status_code == 404
    assert other.post(f"/registry/reconcile/{token}/apply").status_code == 404


# ----------------------------------------------------------------------------- CLI

def test_cli_prints_json_and_applies_only_with_apply(app, firms, pool, tmp_path):
    path = tmp_path / "名单.csv"
    path.write_text("企业名称\n宁波东海软件有限公司※\n宁波华X电子科技有限公司\n", encoding="utf-8")
    runner = app.test_cli_runner()
    dry = runner.invoke(args=["reconcile", "high_growth", str(path), "--as-of", ON])
    out = json.loads(dry.output)
    assert dry.exit_code == 0
    assert (out["matched"], out["new"], out["missing"], out["conflicting"]) == (0, 1, 0, 1)
    assert [r["group"] for r in out["rows"]] == ["new", "conflicting"]
    assert _count(PoolMembership) == 0
    wet = runner.invoke(args=["reconcile", "high_growth", str(path), "--as-of", ON, "--apply"])
    applied = json.loads(wet.output)["applied"]
    assert (applied["entered"], applied["skipped"]) == (1, [3])         # the uncertain row is never applied
    assert _count(PoolMembership) == 1


@pytest.mark.parametrize("args,message", [
    (["reconcile", "no_such_pool", "{f}", "--as-of", ON], "未知或已停用的培育库"),
    (["reconcile", "high_growth", "{f}", "--as-of", "31/03/2026"], "日期格式"),
    (["reconcile", "high_growth", "/nonexistent.csv", "--as-of", ON], "找不到文件"),
    (["reconcile", "high_growth", "{empty}", "--as-of", ON], "名单为空"),
])
def test_cli_bad_input(app, tmp_path, args, message):
    good, empty = tmp_path / "a.txt", tmp_path / "empty.txt"
    good.write_text("宁波东海软件有限公司\n", encoding="utf-8")
    empty.write_text("\n", encoding="utf-8")
    result = app.test_cli_runner().invoke(args=[a.format(f=good, empty=empty) for a in args])
    assert result.exit_code == 1 and message in json.loads(result.output)["error"]
    assert _count(ImportBatch) == 0


# ----------------------------------------------------------------------------- towns

@pytest.mark.parametrize("address,town", [
    ("浙江省宁波市鄞州区下应街道湖下路55号", "下应街道"),
    ("宁波市鄞州区姜山镇科技园区", "姜山镇"),
    ("鄞州区首南街道天童南路 588 号", "首南街道"),
    ("宁波市鄞州区潘火路 8号（潘火）", "潘火街道"),
    ("鄞州区东钱湖镇", "东钱湖镇"),
    ("宁波市鄞州区钟公庙街道，原属下应街道", "钟公庙街道"),
])
def test_suggestion_from_address(address, town):
    assert suggest_town(address)[1] == town


@pytest.mark.parametrize("address", [None, "", "宁波市海曙区下应街道", "鄞州区首南路100号", "宁波市鄞州区某某大厦"])
def test_no_suggestion(address):
    assert suggest_town(address) is None


def test_fill_towns_in_bulk_and_undo(client, make_firm, editor):
    a = make_firm(name="宁波甲科技有限公司", address="宁波市鄞州区下应街道湖下路1号")
    b = make_firm(name="宁波乙科技有限公司", address="某地")
    c = make_firm(name="宁波丙科技有限公司", town_code="姜山镇")
    html = client.get("/registry/towns/missing").get_data(as_text=True)
    assert "宁波甲科技有限公司" in html and "宁波乙科技有限公司" in html and "宁波丙科技有限公司" not in html
    resp = client.post("/registry/towns/missing", data={"firm": [a.id, b.id], f"town-{a.id}": "330212001",
                                                       f"town-{b.id}": "330212110"}, follow_redirects=True)
    assert "已为 2 家企业补全" in resp.get_data(as_text=True)
    db.session.expire_all()
    assert (db.session.get(Firm, a.id).town_code, db.session.get(Firm, b.id).town_code) == ("330212001", "330212110")
    batch = db.session.scalars(select(ImportBatch).where(ImportBatch.kind == "town_fill")).one()
    client.post(f"/registry/batches/{batch.id}/undo")
    db.session.expire_all()
    assert db.session.get(Firm, a.id).town_code is None and db.session.get(Firm, c.id).town_code == "330212110"


def test_fill_towns_refuses_bad_input(client, make_firm, make_user, login):
    a = make_firm(name="宁波甲科技有限公司")
    resp = client.post("/registry/towns/missing", data={"firm": [a.id], f"town-{a.id}": "不存在镇"},
                       follow_redirects=True)
    assert "未知的街道/镇" in resp.get_data(as_text=True)
    resp = client.post("/registry/towns/missing", data={"firm": [a.id]}, follow_redirects=True)
    assert "须选择街道/镇" in resp.get_data(as_text=True)
    assert client.post("/registry/towns/missing", data={}, follow_redirects=True).status_code == 200
    viewer = login(make_user("jxj_v", unit="jxj", role="viewer"))
    assert viewer.get("/registry/towns/missing").status_code == 200
    assert viewer.post("/registry/towns/missing", data={"firm": [a.id], f"town-{a.id}": "330212001"}).status_code == 403
    db.session.expire_all()
    assert db.session.get(Firm, a.id).town_code is None

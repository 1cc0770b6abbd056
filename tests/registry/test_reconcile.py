"""Reconciling an official list against a pool: cleaning, each matching rule, the four groups,
apply and undo, bad input."""
from datetime import date

import pytest
from sqlalchemy import func, select

from core.audit.models import AuditEntry
from core.db import db
from core.errors import ServiceError
from core.imports import undo_batch
from registry import names, service
from registry.models import Firm, PoolMembership, ReconcileTodo
from registry.reconcile import ListError, ListRow, read_list, reconcile
from registry.reconcile_apply import apply_reconciliation

ON = date(2026, 3, 31)


def _rows(*lines):
    return read_list(pasted="\n".join(lines))


def _by_line(rec):
    return {r["line"]: r for r in rec.rows}


# ----------------------------------------------------------------------------- cleaning and normalising

@pytest.mark.parametrize("cell,clean", [
    ("  宁波 甬鑫 精密机械有限公司 ", "宁波甬鑫精密机械有限公司"),
    ("宁波甬鑫精密机械有限公司※", "宁波甬鑫精密机械有限公司"),
    ("＊宁波甬鑫精密机械有限公司注1", "宁波甬鑫精密机械有限公司"),
    ("12、宁波甬鑫精密机械有限公司①", "宁波甬鑫精密机械有限公司"),
    ("（3）宁波甬鑫精密机械有限公司（注：2025年更名）", "宁波甬鑫精密机械有限公司"),
    ("宁波甬鑫精密机械有限公司[1]", "宁波甬鑫精密机械有限公司"),
    ("宁波甬鑫精密机械有限公司\u3000\u200b", "宁波甬鑫精密机械有限公司"),
])
def test_clean_cell_drops_noise(cell, clean):
    assert names.clean_cell(cell)[0] == clean


@pytest.mark.parametrize("a,b", [
    ("宁波甬鑫精密机械有限公司", "甬鑫精密机械有限责任公司"),
    ("宁波市鄞州甬鑫精密机械股份有限公司", "宁波甬鑫精密机械有限公司"),
    ("甬鑫精密机械（宁波）有限公司", "宁波甬鑫精密机械有限公司"),
    ("宁波ＡＢＣ电子有限公司", "宁波abc电子有限公司"),
    ("宁波 甬鑫(精密)机械有限公司", "宁波甬鑫（精密）机械有限公司"),
])
def test_normalise_makes_variants_equal(a, b):
    assert names.normalise(a) == names.normalise(b)


def test_normalise_keeps_different_firms_apart():
    assert names.normalise("宁波甬鑫精密机械有限公司") != names.normalise("宁波甬鑫精密模具有限公司")


def test_pasted_line_with_code_and_header(make_code):
    code = make_code()
    rows = _rows("企业名称", f"1. 宁波甬鑫精密机械有限公司\t{code.lower()}", "", "宁波东海软件有限公司*")
    assert [(r.line, r.name, r.code) for r in rows] == [
        (2, "宁波甬鑫精密机械有限公司", code), (4, "宁波东海软件有限公司", None)]
    assert "*" in rows[1].removed


# ----------------------------------------------------------------------------- each rule

@pytest.fixture
def firms(make_firm):
    return {
        "yx": make_firm(name="宁波甬鑫精密机械有限公司", former_names=["宁波甬鑫机械厂"]),
        "dh": make_firm(name="宁波东海软件有限公司"),
        "hx": make_firm(name="宁波华星电子科技有限公司"),
        "hs": make_firm(name="宁波华晟电子科技有限公司"),
        "lt": make_firm(name="宁波蓝图新材料股份有限公司"),
    }


def test_each_rule_says_how_and_how_sure(firms, pool):
    rec = reconcile(pool, _rows(firms["dh"].uscc + " 东海软件", "宁波甬鑫精密机械有限公司", "宁波甬鑫机械厂※",
                                "蓝图新材料有限公司", "宁波市东海软件开发有限公司", "完全不存在的某某贸易商行"), ON, "市高成长企业")
    rows = _by_line(rec)
    assert (rows[1]["method"], rows[1]["firm"]["id"], rows[1]["certain"]) == ("code", firms["dh"].id, True)
    assert (rows[2]["method"], rows[2]["score"], rows[2]["certain"]) == ("exact", 100, True)
    assert (rows[3]["method"], rows[3]["firm"]["id"], rows[3]["certain"]) == ("former", firms["yx"].id, True)
    assert (rows[4]["method"], rows[4]["firm"]["id"], rows[4]["certain"]) == ("normalised", firms["lt"].id, True)
    assert rows[5]["method"] == "fuzzy" and rows[5]["firm"]["id"] == firms["dh"].id
    assert rows[5]["certain"] is False and 75 <= rows[5]["score"] < 100
    assert (rows[6]["method"], rows[6]["firm"], rows[6]["group"]) == ("none", None, "new")


def test_four_groups(firms, pool, editor):
    service.enter_pool(editor, firm=firms["yx"], pool=pool, entered_on=date(2025, 1, 1))
    service.enter_pool(editor, firm=firms["hx"], pool=pool, entered_on=date(2025, 1, 1))
    db.session.commit()
    rec = reconcile(pool, _rows("宁波甬鑫精密机械有限公司", "东海软件有限公司", "宁波华X电子科技有限公司",
                                "未登记的新企业有限公司"), ON, "名单")
    rows = _by_line(rec)
    assert rows[1]["group"] == "matched"
    assert rows[2]["group"] == "new" and rows[2]["in_registry"] is True
    assert rows[3]["group"] == "conflicting" and {c["id"] for c in rows[3]["candidates"]} == {firms["hx"].id,
                                                                                              firms["hs"].id}
    assert rows[4]["group"] == "new" and rows[4]["in_registry"] is False
    assert rec.missing == []         # 华星 is a candidate of row 3: not reported missing
    counts = rec.counts()
    assert (counts["matched"], counts["new"], counts["missing"], counts["conflicting"]) == (1, 2, 0, 1)
    rec2 = reconcile(pool, _rows("东海软件有限公司"), ON, "名单")
    assert {m["firm"]["id"] for m in rec2.missing} == {firms["yx"].id, firms["hx"].id}


def test_code_and_name_disagree_is_a_conflict(firms, pool):
    rec = reconcile(pool, _rows(f"宁波蓝图新材料股份有限公司 {firms['dh'].uscc}"), ON, "名单")
    row = rec.rows[0]
    assert row["group"] == "conflicting"
    assert {c["id"] for c in row["candidates"]} == {firms["dh"].id, firms["lt"].id}


def test_name_of_merged_firm_is_a_conflict_offering_the_survivor(firms, pool, editor):
    service.merge_firms(editor, firms["hx"], firms["hs"])
    db.session.commit()
    row = reconcile(pool, _rows("宁波华晟电子科技有限公司"), ON, "名单").rows[0]
    assert row["group"] == "conflicting" and "合并" in row["conflict"]
    assert [c["id"] for c in row["candidates"]] == [firms["hx"].id]


def test_duplicate_rows_are_reported_once(firms, pool):
    rec = reconcile(pool, _rows("宁波东海软件有限公司", " 宁波东海软件有限公司※ ", "东海软件有限责任公司"), ON, "名单")
    assert [r["duplicate_of"] for r in rec.rows] == [None, 1, 1]
    assert rec.counts()["new"] == 1 and rec.counts()["duplicates"] == 2


# ----------------------------------------------------------------------------- apply and undo

def test_apply_enters_exits_creates_and_undo_restores(firms, pool, editor, make_code):
    old = service.enter_pool(editor, firm=firms["lt"], pool=pool, entered_on=date(2024, 1, 1))
    db.session.commit()
    code = make_code()
    rec = reconcile(pool, _rows("宁波东海软件有限公司", f"宁波新登记科技有限公司 {code}", "无代码的新企业有限公司",
                                "宁波甬鑫精密机械制造有限公司"), ON, "2026年市高成长企业")
    line_of_fuzzy = 4
    with pytest.raises(ServiceError):
        apply_reconciliation(editor, rec, decisions={})          # row 4 undecided
    db.session.rollback()
    done = apply_reconciliation(editor, rec, decisions={line_of_fuzzy: "skip"}, exits=[old.id])
    db.session.commit()
    assert (done.entered, done.created, done.exited) == (2, 1, 1)
    todo = db.session.get(ReconcileTodo, done.todo[0]["id"])
    assert done.todo == [{"line": 3, "name": "无代码的新企业有限公司", "code": "", "id": todo.id}]
    assert (todo.status, todo.pool_id, todo.as_of, todo.list_name) == ("open", pool.id, ON, "2026年市高成长企业")
    new_firm = service.find_firm(code)
    assert new_firm.name == "宁波新登记科技有限公司"
    m = service.current_membership(firms["dh"], pool, ON)
    assert (m.entered_on, m.reason) == (ON, "2026年市高成长企业")
    db.session.refresh(old)
    assert (old.exited_on, old.exit_reason) == (ON, "未列入2026年市高成长企业名单")
    assert db.session.scalar(select(func.count()).select_from(AuditEntry)
                             .where(AuditEntry.batch_id == done.batch_id)) == 5   # firm, 2 entries, 1 exit, 1 to-do
    from core.imports import ImportBatch
    undo_batch(db.session.get(ImportBatch, done.batch_id), editor)
    db.session.commit()
    db.session.refresh(old)
    assert old.exited_on is None and old.exit_reason == ""
    assert service.current_membership(firms["dh"], pool, ON) is None
    assert db.session.get(Firm, new_firm.id).archived_at is not None
    assert db.session.get(ReconcileTodo, todo.id) is None          # the batch's to-do goes with it


def test_apply_confirm_and_correct(firms, pool, editor):
    rec = reconcile(pool, _rows("宁波华X电子科技有限公司", "宁波东海软件开发有限公司"), ON, "名单")
    apply_reconciliation(editor, rec, decisions={1: f"firm:{firms['hs'].id}", 2: f"code:{firms['lt'].uscc}"})
    db.session.commit()
    assert service.current_membership(firms["hs"], pool, ON) is not None
    assert service.current_membership(firms["lt"], pool, ON) is not None
    assert service.current_membership(firms["dh"], pool, ON) is None


def test_apply_refuses_a_foreign_candidate_and_writes_nothing(firms, pool, editor):
    rec = reconcile(pool, _rows("宁波东海软件有限公司", "宁波华X电子科技有限公司"), ON, "名单")
    with pytest.raises(ServiceError) as exc:
        apply_reconciliation(editor, rec, decisions={2: f"firm:{firms['lt'].id}"})
    assert "第 2 行" in exc.value.message
    db.session.rollback()
    assert db.session.scalar(select(func.count()).select_from(PoolMembership)) == 0


# ----------------------------------------------------------------------------- bad input

def test_empty_list_is_refused():
    for pasted in ("", "\n  \n", "企业名称\n"):
        with pytest.raises(ListError) as exc:
            read_list(pasted=pasted)
        assert "名单为空" in exc.value.message


def test_file_without_name_column_is_refused():
    data = "序号,地址,联系人,电话\n1,鄞州区,张三,123\n".encode()
    with pytest.raises(ListError) as exc:
        read_list(data, "list.csv")
    assert "企业名称" in exc.value.message


def test_bare_column_of_names_keeps_its_first_row():
    rows = read_list("宁波甬鑫精密机械有限公司\n宁波东海软件有限公司\n".encode(), "list.csv")
    assert [r.name for r in rows] == ["宁波甬鑫精密机械有限公司", "宁波东海软件有限公司"]


def test_xlsx_list_with_code_column(firms, pool):
    from core.tabular import write_xlsx
    data = write_xlsx(("序号", "企业名称", "统一社会信用代码"),
                      [(1, "宁波东海软件有限公司※", firms["dh"].uscc), (2, "  宁波甬鑫精密机械有限公司 ", "")])
    rows = read_list(data, "名单.xlsx")
    assert [(r.line, r.name, r.code) for r in rows] == [(2, "宁波东海软件有限公司", firms["dh"].uscc),
                                                         (3, "宁波甬鑫精密机械有限公司", None)]


def test_ten_thousand_names(firms, pool):
    lines = [f"宁波测试{i:05d}号贸易有限公司" for i in range(10_000)]
    rec = reconcile(pool, _rows(*lines), ON, "名单")
    assert rec.counts()["new"] == 10_000 and len(rec.rows) == 10_000


def test_list_row_dataclass_is_plain():
    assert ListRow(1, "x", "x").removed == []


def test_index_is_rebuilt_when_a_firm_changes(firms, pool, editor):
    from registry.reconcile import registry_index
    first = registry_index()
    assert registry_index() is first
    service.update_firm(firms["dh"], editor, version=None, name="宁波东海云软件有限公司")
    db.session.commit()
    rebuilt = registry_index()
    assert rebuilt is not first
    row = reconcile(pool, _rows("宁波东海软件有限公司"), ON, "名单").rows[0]
    assert (row["method"], row["firm"]["id"]) == ("former", firms["dh"].id)

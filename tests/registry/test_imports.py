"""Registry import kinds through the core engine: firms, pool-members, facts."""
import csv
import io
import json
from datetime import date
from decimal import Decimal
from io import BytesIO

import openpyxl
import pytest
from sqlalchemy import func, select

from core import imports
from core.db import db
from registry import service
from registry.models import Firm, PoolMembership
from core.tabular.cells import parse_date

HEADER = ["企业名称", "统一社会信用代码", "成立日期", "注册资本", "企业类型", "所属行业", "所属街道/镇", "规上",
          "高新技术企业", "曾用名", "备注"]


def _csv(rows, encoding="utf-8", header=HEADER) -> bytes:
    out = io.StringIO()
    csv.writer(out, lineterminator="\n").writerows([header, *rows])
    return out.getvalue().encode(encoding)


def _xlsx(rows, header=HEADER) -> bytes:
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(header)
    for r in rows:
        ws.append(r)
    out = BytesIO()
    wb.save(out)
    return out.getvalue()


@pytest.fixture
def rows(make_code):
    return [
        ["宁波甬鑫精密机械有限公司", make_code(), "2019-03-05", "51.8000(万元人民币)", "有限责任公司", "3831",
         "下应街道", "是", "否", "甬鑫机械厂", "x"],
        ["宁波东海软件有限公司", make_code(), "2019年3月5日", "13(万美元)", "有限责任公司", "软件开发",
         "首南", "否", "是", "", ""],
        ["宁波三号公司", make_code(), "43529", "N/A", "", "C", "", "", "", "", ""],
    ]


def run(kind, data, filename, actor, **kw):
    result = imports.run_import(kind, data, filename, actor=actor, **kw)
    if result.written:
        db.session.commit()
    else:
        db.session.rollback()
    return result


def _count():
    return db.session.scalar(select(func.count(Firm.id)).where(Firm.archived_at.is_(None)))


@pytest.mark.parametrize("encoding, filename", [("gbk", "firms.csv"), ("utf-8-sig", "firms.csv"),
                                                ("xlsx", "firms.xlsx")])
def test_firm_import_encodings_and_idempotent(app, editor, rows, encoding, filename):
    data = _xlsx(rows) if encoding == "xlsx" else _csv(rows, encoding)
    result = run("firms", data, filename, editor)
    assert result.summary() == {"created": 3, "updated": 0, "unchanged": 0, "rejected": 0, "errors": []}
    assert result.unknown_columns == ["备注"]
    a = service.find_firm(rows[0][1])
    assert a.name == "宁波甬鑫精密机械有限公司" and a.registered_on == date(2019, 3, 5)
    assert a.capital_amount == Decimal("51.8") and a.industry_code == "3831" and a.above_scale and not a.high_tech
    assert a.former_names == ["甬鑫机械厂"] and a.town_code is not None
    b = service.find_firm(rows[1][1])
    assert b.capital_currency == "USD" and b.industry_code == "651" and b.high_tech
    c = service.find_firm(rows[2][1])
    assert c.registered_on == date(2019, 3, 5) and c.capital_amount is None and c.industry_code == "C"
    again = run("firms", data, filename, editor)
    assert again.summary() == {"created": 0, "updated": 0, "unchanged": 3, "rejected": 0, "errors": []}


def test_import_in_chunks_creates_updates_and_audits_like_the_form(app, editor, make_code, monkeypatch):
    """More rows than one chunk: new firms go in by bulk insert, known ones by update; every write
    has the same audit entry a single create_firm gives, and the chain verifies."""
    from core.audit import service as audit
    from core.audit.models import AuditEntry
    monkeypatch.setattr(imports, "CHUNK", 4)
    known = service.create_firm(editor, uscc=make_code(), name="宁波旧名有限公司", town_code="下应街道")
    db.session.commit()
    rows = [[f"宁波分块{i}号科技有限公司", make_code(), "2020-01-02", "100万元", "有限责任公司", "3831", "首南",
             "是" if i % 2 else "否", "", "", ""] for i in range(9)]
    rows.insert(5, ["宁波新名有限公司", known.uscc, "", "", "", "", "", "", "", "", ""])
    result = run("firms", _csv(rows), "f.csv", editor)
    assert (result.created, result.updated, result.unchanged, result.errors) == (9, 1, 0, [])
    assert _count() == 10 and known.name == "宁波新名有限公司" and known.former_names == ["宁波旧名有限公司"]
    firm = service.find_firm(rows[3][1])
    assert firm.capital_amount == Decimal("100") and firm.above_scale and firm.version == 1
    assert firm.import_batch_id == result.batch_id and firm.created_at is not None
    entry = db.session.scalars(select(AuditEntry).where(AuditEntry.entity_id == str(firm.id))).one()
    assert entry.batch_id == result.batch_id and entry.entity_label == f"{firm.name} ({firm.uscc})"
    # what the form's create_firm would have recorded for the same values
    twin = service.create_firm(editor, uscc=make_code(), name=firm.name, batch_id=result.batch_id,
                               registered_on=firm.registered_on, capital="100万元", firm_type="有限责任公司",
                               industry_code="3831", town_code="首南", above_scale=True)
    db.session.flush()
    expected = db.session.scalars(select(AuditEntry).where(AuditEntry.entity_id == str(twin.id))).one().changes
    expected["uscc"] = [None, firm.uscc]
    assert entry.changes == expected
    db.session.rollback()
    assert audit.verify()[2] == ""
    undone = imports.undo_batch(db.session.get(imports.ImportBatch, result.batch_id), editor)
    db.session.commit()
    assert undone == 10 and _count() == 1 and known.name == "宁波旧名有限公司"


def _firm_and_audit_indexes() -> list:
    """(table, index, definition) of the firms' and audit entries' indexes as the database has them."""
    from sqlalchemy import inspect
    inspector = inspect(db.session.connection())
    return sorted((t, ix["name"], tuple(ix["column_names"]), bool(ix["unique"]))
                  for t in ("registry_firms", "core_audit_entries") for ix in inspector.get_indexes(t))


def test_large_import_into_a_small_table_rebuilds_its_indexes_as_they_were(app, editor, make_code, monkeypatch):
    """On SQLite an import bringing more rows than the table holds drops the non-unique indexes of
    the firms and the audit entries and builds them again at the end (unique ones stay); on
    PostgreSQL nothing is dropped. Either way the indexes after the import — and after an import
    that was rolled back — are the ones before, and queries use them."""
    import core.db
    from sqlalchemy import text
    monkeypatch.setattr(core.db, "REBUILD_INDEXES_FROM", 5)
    monkeypatch.setattr(imports, "CHUNK", 4)
    service.create_firm(editor, uscc=make_code(), name="宁波已有有限公司")
    db.session.commit()
    before = _firm_and_audit_indexes()
    assert ("registry_firms", "ix_registry_firms_name", ("name",), False) in before
    seen_inside = []
    real_insert = service.insert_firms

    def spy(actor, drafts, **kw):
        seen_inside.append(_firm_and_audit_indexes())
        return real_insert(actor, drafts, **kw)
    monkeypatch.setattr(service, "insert_firms", spy)
    rows = [[f"宁波重建{i}号有限公司", make_code(), "", "", "", "", "", "", "", "", ""] for i in range(12)]
    result = run("firms", _csv(rows), "f.csv", editor)
    assert result.created == 12 and _firm_and_audit_indexes() == before
    firms_inside = [ix for ix in seen_inside[0] if ix[0] == "registry_firms"]
    if db.engine.dialect.name == "sqlite":
        assert firms_inside == [] and len([ix for ix in before if ix[0] == "registry_firms"]) == 8
        uniques = db.session.execute(text(
            "SELECT count(*) FROM sqlite_master WHERE name LIKE 'sqlite_autoindex_registry_firms%'")).scalar()
        assert uniques == 1         # the credit code's unique index stayed
        plan = db.session.execute(text("EXPLAIN QUERY PLAN SELECT id FROM registry_firms WHERE town_code = '1'")).all()
        assert "ix_registry_firms_town_code" in " ".join(str(r) for r in plan)
    else:
        assert firms_inside == [ix for ix in before if ix[0] == "registry_firms"]
    assert service.find_firm(rows[7][1]).name == "宁波重建7号有限公司"
    # an import rolled back after the indexes were dropped leaves them as they were
    more = [[f"宁波回滚{i}号有限公司", make_code(), "", "", "", "", "", "", "", "", ""] for i in range(30)]
    assert run("firms", _csv(more), "g.csv", editor, dry_run=True).created == 30
    assert _firm_and_audit_indexes() == before and _count() == 13
    from core.audit import service as audit
    assert audit.verify()[2] == ""


def test_error_report_has_every_row_after_the_rows_were_released(app, editor, rows, monkeypatch):
    monkeypatch.setattr(imports, "KEEP_ROWS", 1)
    rows[1][3] = "很多钱"
    result = imports.run_import("firms", _csv(rows), "f.csv", actor=editor, skip_invalid=True)
    db.session.rollback()
    assert result.written and result.created == 2 and len(result.table.rows) == 1
    sheet = openpyxl.load_workbook(BytesIO(imports.error_report(result, "firms"))).worksheets[0]
    values = [[c.value for c in r] for r in sheet.iter_rows()]
    assert [v[1] for v in values[1:]] == [r[1] for r in rows]
    assert "注册资本" in values[2][-1] and values[1][-1] in (None, "") and values[3][-1] in (None, "")


def test_update_by_code(app, editor, rows):
    run("firms", _csv(rows), "f.csv", editor)
    rows[0][0] = "宁波甬鑫精密科技有限公司"
    rows[1][7] = "是"
    result = run("firms", _csv(rows), "f.csv", editor)
    assert (result.created, result.updated, result.unchanged) == (0, 2, 1)
    firm = service.find_firm(rows[0][1])
    assert firm.name == "宁波甬鑫精密科技有限公司" and "宁波甬鑫精密机械有限公司" in firm.former_names


def test_numeric_corrupted_codes_rejected_all_or_nothing(app, editor, rows):
    rows[1][1] = "9.13302E+17"
    rows[2][1] = "913302120000000000"
    result = run("firms", _csv(rows), "f.csv", editor)
    assert not result.written and _count() == 0
    assert result.created == 0 and result.rejected == 2
    by_row = {e["row"]: e for e in result.errors}
    assert set(by_row) == {3, 4}
    assert by_row[3]["column"] == "统一社会信用代码" and "Excel" in by_row[3]["message"]
    assert "Excel" in by_row[4]["message"]


def test_numeric_corrupted_code_in_xlsx_number_cell(app, editor, rows):
    rows[0][1] = 9.13302e17
    result = run("firms", _xlsx(rows), "f.xlsx", editor)
    assert not result.written and "Excel" in result.errors[0]["message"]


def test_every_bad_cell_reported(app, editor, rows):
    rows[0] = ["", "91330212MA2AXXXXXO", "2019-02-30", "很多钱", "", "9999", "火星镇", "也许", "", "", ""]
    result = run("firms", _csv(rows), "f.csv", editor)
    columns = {e["column"] for e in result.errors if e["row"] == 2}
    assert columns == {"企业名称", "统一社会信用代码", "成立日期", "注册资本", "所属行业", "所属街道/镇", "规上"}


def test_skip_invalid_writes_good_rows(app, editor, rows):
    rows[1][1] = "9.13302E+17"
    result = run("firms", _csv(rows), "f.csv", editor, skip_invalid=True)
    assert result.written and result.created == 2 and result.rejected == 1 and _count() == 2


def test_in_file_duplicates(app, editor, rows):
    rows.append(["重复的公司", rows[0][1].lower(), "", "", "", "", "", "", "", "", ""])
    result = run("firms", _csv(rows), "f.csv", editor)
    assert not result.written and result.errors[0]["row"] == 5 and "重复" in result.errors[0]["message"]


def test_dry_run_writes_nothing(app, editor, rows):
    result = run("firms", _csv(rows), "f.csv", editor, dry_run=True)
    assert result.created == 3 and not result.written and _count() == 0


def test_undo_batch(app, editor, rows):
    first = run("firms", _csv(rows), "f.csv", editor)
    rows[0][0] = "改过名的公司"
    second = run("firms", _csv(rows), "f.csv", editor)
    assert second.updated == 1
    batch = db.session.get(imports.ImportBatch, second.batch_id)
    imports.undo_batch(batch, editor)
    db.session.commit()
    firm = service.find_firm(rows[0][1])
    assert firm.name == "宁波甬鑫精密机械有限公司" and firm.former_names == ["甬鑫机械厂"]
    assert first.created == 3


def test_undo_created_batch_archives_firms(app, editor, rows):
    result = run("firms", _csv(rows), "f.csv", editor)
    imports.undo_batch(db.session.get(imports.ImportBatch, result.batch_id), editor)
    db.session.commit()
    assert _count() == 0
    assert service.find_firm(rows[0][1]).archived_at is not None


def test_english_headers(app, editor, make_code):
    header = ["Firm name", "Credit code", "Registration date", "Registered capital", "Town"]
    data = _csv([["Ningbo A Co.", make_code(), "20190305", "6,000(万香港元)", "下应"]], header=header)
    result = run("firms", data, "f.csv", editor)
    assert result.created == 1


@pytest.mark.parametrize("text, expected", [
    ("2019-03-05", date(2019, 3, 5)), ("2019/3/5", date(2019, 3, 5)), ("2019年3月5日", date(2019, 3, 5)),
    ("20190305", date(2019, 3, 5)), ("43529", date(2019, 3, 5)), ("2019.3.5", date(2019, 3, 5)),
    ("2019-03-05 00:00:00", date(2019, 3, 5)),
])
def test_parse_date(app, text, expected):
    assert parse_date(text) == expected


@pytest.mark.parametrize("text", ["2019-13-01", "三月", "2019-02-30", "0", "-5"])
def test_parse_date_rejects(app, text):
    with pytest.raises(ValueError):
        parse_date(text)


# ----------------------------------------------------------------------------- pool members

def test_pool_members_import(app, editor, make_firm, pool):
    a, b = make_firm(name="甲"), make_firm(name="乙")
    header = ["统一社会信用代码", "入库日期", "出库日期", "入库理由"]
    data = _csv([[a.uscc, "2018-01-05", "", "申报"], [b.uscc, "2018/6/1", "2019-01-01", "申报"]], header=header)
    result = run("pool-members", data, "p.csv", editor, params={"pool": "high_growth"})
    assert result.created == 2
    assert service.pool_count_as_of(pool, date(2018, 12, 31)) == 2
    assert service.pool_count_as_of(pool, date(2019, 1, 1)) == 1
    assert run("pool-members", data, "p.csv", editor, params={"pool": "high_growth"}).unchanged == 2
    exit_data = _csv([[a.uscc, "2018-01-05", "2020-01-01", ""]], header=header)
    assert run("pool-members", exit_data, "p.csv", editor, params={"pool": "high_growth"}).updated == 1
    overlap = _csv([[a.uscc, "2019-05-05", "", ""]], header=header)
    bad = run("pool-members", overlap, "p.csv", editor, params={"pool": "high_growth"})
    assert not bad.written and "不能重复入库" in bad.errors[0]["message"]


def test_pool_members_errors(app, editor, make_firm, make_code):
    a = make_firm()
    header = ["统一社会信用代码", "入库日期"]
    data = _csv([[make_code(), "2018-01-05"], [a.uscc, ""], [a.uscc, "昨天"]], header=header)
    result = run("pool-members", data, "p.csv", editor, params={"pool": "high_growth"})
    messages = [e["message"] for e in result.errors]
    assert any("不在企业库中" in m for m in messages) and any("入库日期" in m for m in messages)
    assert any("无法识别的日期" in m for m in messages)
    unknown_pool = run("pool-members", _csv([[a.uscc, "2018-01-05"]], header=header), "p.csv", editor,
                       params={"pool": "nope"})
    assert not unknown_pool.written and "未知的培育库" in unknown_pool.errors[0]["message"]
    assert db.session.scalar(select(func.count(PoolMembership.id))) == 0


def test_undo_pool_member_batch(app, editor, make_firm, pool):
    a = make_firm()
    data = _csv([[a.uscc, "2018-01-05"]], header=["统一社会信用代码", "入库日期"])
    result = run("pool-members", data, "p.csv", editor, params={"pool": "high_growth"})
    imports.undo_batch(db.session.get(imports.ImportBatch, result.batch_id), editor)
    db.session.commit()
    assert service.pool_count_as_of(pool, date(2019, 1, 1)) == 0


# ----------------------------------------------------------------------------- facts

def test_facts_import(app, editor, make_firm):
    a, b = make_firm(name="甲"), make_firm(name="乙")
    header = ["统一社会信用代码", "企业名称", "主营业务收入（万元）", "产值(万元)", "研发经费支出", "有效发明专利数", "从业人员"]
    data = _csv([[a.uscc, "甲", "1000.5", "1200", "30", "3", "50"], [b.uscc, "乙", "", "800", "", "", ""]],
                header=header)
    result = run("facts", data, "facts.csv", editor, params={"year": "2018"})
    assert result.summary()["created"] == 2 and result.unknown_columns == []
    fact = service.facts_of(a)[0]
    assert (fact.year, fact.revenue, fact.output_value, fact.invention_patents) == (2018, Decimal("1000.5"), 1200, 3)
    assert service.facts_of(b)[0].revenue is None
    assert run("facts", data, "facts.csv", editor, params={"year": "2018"}).unchanged == 2
    bad = _csv([[a.uscc, "甲", "-1", "abc", "", "1.5", ""]], header=header)
    errors = run("facts", bad, "facts.csv", editor, params={"year": "2018"}).errors
    assert len(errors) == 3
    assert run("facts", data, "facts.csv", editor, params={"year": "abcd"}).errors
    assert run("facts", data, "facts.csv", editor).errors    # --year missing


def test_cli_import_prints_one_json(app, editor, rows, tmp_path):
    path = tmp_path / "firms.csv"
    path.write_bytes(_csv(rows, "gbk"))
    runner = app.test_cli_runner()
    out = runner.invoke(args=["import", "firms", str(path)])
    assert out.exit_code == 0, out.output
    assert json.loads(out.output) == {"created": 3, "updated": 0, "unchanged": 0, "rejected": 0, "errors": []}
    rows[0][1] = "9.13302E+17"
    path.write_bytes(_csv(rows, "gbk"))
    out = runner.invoke(args=["import", "firms", str(path)])
    assert out.exit_code == 1 and json.loads(out.output)["errors"][0]["row"] == 2

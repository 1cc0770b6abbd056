"""Talent imports through the core engine: IDs as text, check digits per row, one person per ID."""
import io
import json
import logging
from datetime import date
from decimal import Decimal

import openpyxl
import pytest
from sqlalchemy import func, select, text

from core import imports
from core.db import db
from core.tabular import write_csv
from core.tabular.cells import parse_amount, parse_date
from talent import metrics
from talent.models import Person, Recognition, Team, TeamMember
from talent.spreadsheets import mask_row
from tests.talent.conftest import bad_check, idn

ID_A = idn(123)
ID_B = idn(245, birth=date(1990, 7, 8))
ID_C = idn(317, birth=date(1979, 1, 2), region="330204")
HEAD = ["姓名", "身份证号码", "人才类别", "人才项目", "统一社会信用代码", "用人单位", "认定日期", "资助金额（万元）", "登记单位"]


def _csv(rows, head=HEAD) -> bytes:
    return write_csv(head, rows)


def _run(kind, data, actor, filename="talents.csv", **kw):
    result = imports.run_import(kind, data, filename, actor=actor, **kw)
    if result.written:
        db.session.commit()
    else:
        db.session.rollback()
    return result


def _count(model):
    return db.session.scalar(select(func.count()).select_from(model))


def test_import_talents_and_dedupe_across_units(app, firm, rsj, rcb):
    rows = [["张三", ID_A, "领军人才", "甬江引才工程", firm.uscc, firm.name, "2018-05-01", "50", "区人力社保局"],
            ["李四", ID_B, "高技能人才", "", firm.uscc, "", "2018/6/1", "", ""]]
    result = _run("talents", _csv(rows), rsj)
    assert result.written and result.created == 2 and not result.errors
    rows = [["张三", ID_A, "千人计划专家", "国家千人计划", firm.uscc, "", "2019年3月1日", "100万", "区委人才办"],
            ["李四", ID_B, "高技能人才", "", firm.uscc, "", "2018-06-01", "", "rcb"],
            ["王五", ID_C, "智造创客", "", firm.uscc, "", "20190101", "", ""]]
    result = _run("talents", _csv(rows), rcb)
    assert result.written and (result.created, result.unchanged) == (2, 1), result.errors
    assert _count(Person) == 3 and _count(Recognition) == 4
    assert metrics.leading_talents(date(2020, 1, 1)) == 1
    assert metrics.high_skill_talents(date(2020, 1, 1)) == 1
    rec = db.session.scalars(select(Recognition).where(Recognition.category == "智造创客")).one()
    assert rec.unit_code == "rcb"     # defaulted from the importer's unit


def test_invalid_check_digit_is_an_error_on_that_row_and_nothing_is_written(app, firm, rsj, caplog):
    caplog.set_level(logging.DEBUG)
    bad = bad_check(ID_B)
    rows = [["张三", ID_A, "领军人才", "", firm.uscc, "", "2018-05-01", "50", ""],
            ["李四", bad, "高技能人才", "", firm.uscc, "", "2018-05-01", "", ""],
            ["王五", ID_C, "院士", "", firm.uscc, "", "2018-99-01", "abc", "区科技局"]]
    result = _run("talents", _csv(rows), rsj)
    assert not result.written and _count(Person) == 0
    by_row = {}
    for e in result.errors:
        by_row.setdefault(e["row"], []).append(e)
    assert [e["column"] for e in by_row[3]] == ["身份证号码"] and "校验位" in by_row[3][0]["message"]
    assert {e["column"] for e in by_row[4]} == {"人才类别", "认定日期", "资助金额（万元）", "登记单位"}
    assert 2 not in by_row
    dump = json.dumps(result.summary(), ensure_ascii=False)
    assert bad not in dump and bad[:17] not in dump
    report = imports.error_report(result, "talents")
    cells = repr([list(r) for r in openpyxl.load_workbook(io.BytesIO(report)).active.iter_rows(values_only=True)])
    assert bad not in cells and ID_A not in cells and ID_C not in cells
    assert bad[:4] + "*" * 10 + bad[-4:] in cells
    assert bad not in caplog.text and ID_A not in caplog.text


def test_skip_invalid_writes_the_good_rows(app, firm, rsj):
    rows = [["张三", ID_A, "领军人才", "", firm.uscc, "", "2018-05-01", "50", ""],
            ["李四", bad_check(ID_B), "高技能人才", "", firm.uscc, "", "2018-05-01", "", ""]]
    result = _run("talents", _csv(rows), rsj, skip_invalid=True)
    assert result.written and result.created == 1 and result.rejected == 1


def test_ids_are_read_as_text_and_numeric_cells_are_explained(app, firm, rsj):
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(HEAD)
    ws.append(["张三", ID_A, "领军人才", "", firm.uscc, "", date(2018, 5, 1), 50, ""])
    digits = next(idn(s) for s in range(1, 400) if idn(s)[-1] != "X")
    ws.append(["李四", int(digits), "高技能人才", "", firm.uscc, "", "2018-05-01", None, ""])  # Excel number
    buf = io.BytesIO()
    wb.save(buf)
    result = _run("talents", buf.getvalue(), rsj, filename="talents.xlsx")
    errors = [e for e in result.errors if e["row"] == 3]
    assert errors and errors[0]["column"] == "身份证号码" and "文本格式" in errors[0]["message"]
    assert not [e for e in result.errors if e["row"] == 2]


def test_leading_zero_and_x_survive_as_text(app, firm, rsj):
    number = next(n for n in (idn(s, region="110105") for s in range(1, 400)) if n.endswith("X"))
    rows = [["张三", number.lower(), "领军人才", "", firm.uscc, "", "2018-05-01", "5", ""]]
    result = _run("talents", _csv(rows), rsj)
    assert result.written
    assert db.session.scalars(select(Person)).one().id_masked.endswith("X")


def test_in_file_duplicate_names_no_id(app, firm, rsj):
    row = ["张三", ID_A, "领军人才", "", firm.uscc, "", "2018-05-01", "50", ""]
    result = _run("talents", _csv([row, row]), rsj)
    assert not result.written
    dup = [e for e in result.errors if e["row"] == 3]
    assert dup and ID_A not in dup[0]["message"] and "重复" in dup[0]["message"]


def test_missing_required_column(app, rsj):
    result = _run("talents", _csv([["张三", "领军人才"]], head=["姓名", "人才类别"]), rsj)
    assert not result.written and any("身份证号码" in e["message"] for e in result.errors)


def test_teams_import_and_undo(app, firm, rsj):
    rows = [["张三", ID_A, "领军人才", "", firm.uscc, "", "2018-05-01", "50", ""],
            ["李四", ID_B, "高技能人才", "", firm.uscc, "", "2018-05-01", "", ""],
            ["王五", ID_C, "高技能人才", "", firm.uscc, "", "2018-05-01", "", ""]]
    assert _run("talents", _csv(rows), rsj).written
    head = ["团队名称", "统一社会信用代码", "负责人身份证号码", "成员身份证号码", "认定日期", "资助金额（万元）"]
    good = [["智能传感团队", firm.uscc, ID_A, f"{ID_B}；{ID_C}", "2019-01-01", "300"]]
    bad = [["新材料团队", firm.uscc, bad_check(ID_A), "", "2019-01-01", ""],
           ["未登记团队", firm.uscc, idn(999), "", "2019-01-01", ""]]
    result = _run("teams", _csv(bad, head), rsj, filename="teams.csv")
    assert not result.written
    assert {e["column"] for e in result.errors} == {"负责人身份证号码"}
    assert all(bad_check(ID_A) not in e["message"] for e in result.errors)
    result = _run("teams", _csv(good, head), rsj, filename="teams.csv")
    assert result.written and result.created == 1
    team = db.session.scalars(select(Team)).one()
    assert sorted(p.name for p in team.members) == ["李四", "王五"]
    assert metrics.leading_talent_teams(date(2020, 1, 1)) == 1
    from core.imports import ImportBatch
    batch = db.session.get(ImportBatch, result.batch_id)
    imports.undo_batch(batch, rsj)
    db.session.commit()
    assert metrics.leading_talent_teams(date(2020, 1, 1)) == 0
    assert db.session.scalar(select(func.count()).select_from(TeamMember).where(TeamMember.archived_at.is_(None))) == 0


def test_undo_talent_import_uncounts(app, firm, rsj):
    rows = [["张三", ID_A, "领军人才", "", firm.uscc, "", "2018-05-01", "50", ""]]
    result = _run("talents", _csv(rows), rsj)
    from core.imports import ImportBatch
    imports.undo_batch(db.session.get(ImportBatch, result.batch_id), rsj)
    db.session.commit()
    assert metrics.leading_talents(date(2020, 1, 1)) == 0


def test_cli_import_prints_json_without_ids(app, firm, rsj, tmp_path):
    path = tmp_path / "talents.csv"
    path.write_bytes(_csv([["李四", bad_check(ID_B), "高技能人才", "", firm.uscc, "", "2018-05-01", "", "rsj"]]))
    out = app.test_cli_runner().invoke(args=["import", "talents", str(path)])
    assert out.exit_code == 1
    payload = json.loads(out.output)
    assert payload["rejected"] == 1 and payload["errors"][0]["column"] == "身份证号码"
    assert bad_check(ID_B) not in out.output


def test_web_preview_masks_ids(app, firm, rsj, login):
    rows = [["张三", ID_A, "领军人才", "", firm.uscc, "", "2018-05-01", "50", ""],
            ["李四", bad_check(ID_B), "高技能人才", "", firm.uscc, "", "2018-05-01", "", ""]]
    client = login(rsj)
    resp = client.post("/imports/talents/preview", data={"file": (io.BytesIO(_csv(rows)), "t.csv")},
                       content_type="multipart/form-data", follow_redirects=True)
    html = resp.get_data(as_text=True)
    assert resp.status_code == 200 and "校验位" in html
    assert ID_A not in html and bad_check(ID_B) not in html


def test_audit_table_never_holds_imported_ids(app, firm, rsj):
    rows = [["张三", ID_A, "领军人才", "", firm.uscc, "", "2018-05-01", "50", ""]]
    _run("talents", _csv(rows), rsj)
    for table in ("core_audit_entries", "core_import_batches", "talent_persons", "talent_recognitions"):
        dump = " ".join(str(r) for r in db.session.execute(text(f"SELECT * FROM {table}")))
        assert ID_A not in dump and ID_A[:17] not in dump
        if table != "talent_persons":
            assert "张三" not in dump


def test_support_in_yi_read_as_finance_reads_amounts(app, firm, rsj, make_user):
    """The same amount cell means the same thing in every import: 0.5亿 is 5000 万元 (issue 17)."""
    rows = [["张三", ID_A, "领军人才", "甬江引才工程", firm.uscc, firm.name, "2018-05-01", "0.5亿", "区人力社保局"],
            ["李四", ID_B, "高技能人才", "", firm.uscc, "", "2018/6/1", "300000元", ""]]
    result = _run("talents", _csv(rows), rsj)
    assert result.written and not result.errors, result.errors
    supports = sorted(db.session.scalars(select(Recognition.support)))
    assert supports == [Decimal("30"), Decimal("5000")]
    body = write_csv(["统一社会信用代码", "融资类型", "金额（万元）", "日期"], [[firm.uscc, "IPO", "0.5亿", "2024-01-05"]])
    financing = _run("financing-events", body, make_user("jrb_editor", unit="jrb", role="editor"), filename="f.csv")
    assert financing.written, financing.errors
    from finance.models import FinancingEvent
    assert db.session.scalars(select(FinancingEvent.amount)).one() == Decimal("5000")


def test_cell_helpers(app):
    assert parse_date("2018.5.1") == date(2018, 5, 1) and parse_date("2018-05-01 00:00:00") == date(2018, 5, 1)
    with pytest.raises(ValueError):
        parse_date("05/01/2018")
    assert parse_amount("1,000.5万元") == Decimal("1000.5") and parse_amount("1.2亿") == Decimal("12000")
    masked = mask_row({"name": "张三", "id_number": ID_A})
    assert masked["name"] == "张三" and masked["id_number"] == ID_A[:4] + "*" * 10 + ID_A[-4:]


def test_upload_pages_for_talent_units_only(app, rsj, kjj, login):
    for kind in ("talents", "teams"):
        assert login(rsj).get(f"/imports/{kind}").status_code == 200
        assert login(kjj).get(f"/imports/{kind}").status_code == 403

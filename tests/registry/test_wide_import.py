"""A national-system export (every column of it, many rows) through the firm import: the columns the
registry does not know are dropped as the file is read, the rows are written in bulk (COPY on
PostgreSQL, executemany on SQLite), the audit chain is the row-by-row one, the data version moves
and the batch can be undone — the same on both databases."""
import csv
import io
import random
from decimal import Decimal

from sqlalchemy import func, select, text

from core import imports
from core.audit import service as audit
from core.audit.models import AuditEntry
from core.db import db
from core.tabular.table import NARROW_AFTER
from registry import service, uscc
from registry.models import Firm

HEADER = ["企业名称", "登记状态", "法定代表人", "注册资本", "实缴资本", "成立日期", "电话", "统一社会信用代码",
          "纳税人识别号", "企业类型", "所属行业", "曾用名", "英文名", "企业地址", "最新年报地址", "经营范围",
          "所属街道/镇", "规上"]
SCOPE = "一般项目：" + "；".join(["技术服务、技术开发、技术咨询、技术交流、技术转让、技术推广", "软件开发",
                              "电子元器件制造", "货物进出口"] * 8) + "（除依法须经批准的项目外，凭营业执照依法自主开展经营活动）。"


def _rows(n: int) -> list[list[str]]:
    rng = random.Random(16)
    out = []
    for i in range(n):
        code = uscc.generate(region="330212", rng=rng)
        out.append([f"宁波测试{i:03d}科技有限公司", "存续", "张伟", "51.8000(万元人民币)", "-", "2019-03-05",
                    f"0574-8{i:07d}", code, code, "有限责任公司", "3831", "", "-",
                    f"浙江省宁波市鄞州区下应街道{i}号", "-", SCOPE, "下应街道", "是" if i % 7 == 0 else "否"])
    return out


def _csv(rows) -> bytes:
    out = io.StringIO()
    csv.writer(out, lineterminator="\r\n").writerows([HEADER, *rows])
    return ("\ufeff" + out.getvalue()).encode("utf-8")


def _version() -> int:
    return db.session.execute(text("SELECT version FROM core_data_version WHERE id = 1")).scalar() or 0


def test_wide_export_imports_every_known_field(app, editor):
    rows = _rows(NARROW_AFTER + 40)      # past the point where the later rows keep only the known columns
    before = _version()
    result = imports.import_and_commit("firms", _csv(rows), "export.csv", actor=editor)
    assert (result.created, result.errors) == (len(rows), [])
    assert "登记状态" in result.unknown_columns and "纳税人识别号" in result.unknown_columns
    assert _version() > before
    for row in (rows[0], rows[NARROW_AFTER + 5], rows[-1]):     # whole rows and narrowed rows alike
        firm = service.find_firm(row[7])
        assert (firm.name, firm.business_scope, firm.address, firm.legal_rep, firm.firm_type) == (
            row[0], SCOPE, row[13], "张伟", "有限责任公司")
        assert firm.industry_code == "3831" and firm.town_code is not None and firm.capital_amount == Decimal("51.8")
        assert firm.above_scale is (row[-1] == "是")
    entries = db.session.scalar(select(func.count()).select_from(AuditEntry)
                                .where(AuditEntry.batch_id == result.batch_id))
    assert entries == len(rows)
    assert audit.verify()[2] == ""
    imports.undo_batch(db.session.get(imports.ImportBatch, result.batch_id), editor)
    db.session.commit()
    assert db.session.scalar(select(func.count()).select_from(Firm).where(Firm.archived_at.is_(None))) == 0
    assert audit.verify()[2] == ""


def test_error_in_a_narrowed_row_is_reported_and_nothing_written(app, editor):
    rows = _rows(NARROW_AFTER + 20)
    rows[NARROW_AFTER + 10][10] = "不存在的行业"           # a known column of a row read narrowed
    rows[NARROW_AFTER + 11][1] = "x" * 200                 # an unknown column: never read, never a problem
    result = imports.import_and_commit("firms", _csv(rows), "export.csv", actor=editor)
    assert not result.written and result.created == 0
    assert [(e["row"], e["column"]) for e in result.errors] == [(NARROW_AFTER + 12, "所属行业")]
    assert db.session.scalar(select(func.count()).select_from(Firm)) == 0
    assert db.session.scalar(select(func.count()).select_from(AuditEntry)) == 0
    report = imports.error_report(result, "firms")       # the report reads the file whole again
    assert report[:2] == b"PK"


def test_taken_code_in_a_bulk_insert_is_an_integrity_error(app, editor):
    """A concurrent import inserting the same code fails as an IntegrityError on both databases (the engine
    then rolls back and runs the file again), also through PostgreSQL's COPY."""
    import pytest
    from sqlalchemy.exc import IntegrityError
    code = uscc.generate(region="330212", rng=random.Random(7))
    service.insert_firms(editor, [service.draft_firm(editor, uscc=code, name="宁波一号有限公司")])
    db.session.flush()
    with pytest.raises(IntegrityError):
        service.insert_firms(editor, [service.draft_firm(editor, uscc=code, name="宁波二号有限公司")])
    db.session.rollback()

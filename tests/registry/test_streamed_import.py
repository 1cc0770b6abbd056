"""An import validates and writes chunk by chunk inside its one transaction (issue 16): a file on the server
is read as a stream, a row refused in a later chunk than the first still means nothing is written, and a
duplicate credit code is caught across chunks. Small CHUNK / HOLD so a few rows make several chunks; the
file read from a path (streamed, as `flask import` does) and from bytes (the web's upload)."""
import csv
import io

import pytest
from sqlalchemy import func, select

from core import imports
from core.audit.models import AuditEntry
from core.db import db
from core.tabular import table as tabular_table
from registry import service
from registry.models import Firm

HEADER = ["企业名称", "统一社会信用代码", "成立日期", "注册资本", "经营范围"]


@pytest.fixture(autouse=True)
def small_chunks(monkeypatch):
    monkeypatch.setattr(imports, "CHUNK", 4)
    monkeypatch.setattr(imports, "HOLD", 3)
    monkeypatch.setattr(tabular_table, "NARROW_AFTER", 3)


def _rows(make_code, n):
    return [[f"宁波流式{i}号科技有限公司", make_code(), "2020-01-02", "100万元", "软件开发；" * 20] for i in range(n)]


def _csv(rows, encoding="utf-8") -> bytes:
    out = io.StringIO()
    csv.writer(out, lineterminator="\r\n").writerows([HEADER, *rows])
    return out.getvalue().encode(encoding)


@pytest.fixture(params=["path", "bytes"])
def source(request, tmp_path):
    """The import's `data`: the file's path (streamed) or its bytes."""
    def make(data: bytes, name="firms.csv"):
        if request.param == "bytes":
            return data
        path = tmp_path / name
        path.write_bytes(data)
        return path
    return make


def run(data, actor, **kw):
    result = imports.run_import("firms", data, "firms.csv", actor=actor, **kw)
    if result.written:
        db.session.commit()
    else:
        db.session.rollback()
    return result


def _counts() -> tuple[int, int, int]:
    return tuple(db.session.scalar(select(func.count()).select_from(m)) for m in (Firm, imports.ImportBatch, AuditEntry))


@pytest.fixture
def written():
    """() -> (firms, batches, audit entries) written since the test began."""
    before = _counts()
    return lambda: tuple(now - then for now, then in zip(_counts(), before))


def test_a_bad_row_in_a_later_chunk_writes_nothing(app, editor, written, make_code, source):
    rows = _rows(make_code, 22)
    rows[17][2] = "2019-02-30"                       # file row 19: the fifth chunk
    result = run(source(_csv(rows)), editor)
    assert not result.written and result.batch_id is None
    assert (result.created, result.updated, result.unchanged, result.rejected) == (0, 0, 0, 1)
    assert [(e["row"], e["column"]) for e in result.errors] == [(19, "成立日期")]
    assert result.total_rows == 22
    assert written() == (0, 0, 0)
    # the same file corrected: every row, in one batch
    rows[17][2] = "2019-02-28"
    result = run(source(_csv(rows)), editor)
    assert result.written and result.created == 22 and result.total_rows == 22
    assert written()[:2] == (22, 1)
    assert db.session.get(imports.ImportBatch, result.batch_id).total_rows == 22


def test_every_bad_row_of_every_chunk_is_named(app, editor, written, make_code, source):
    rows = _rows(make_code, 14)
    rows[1][1] = "9.13302E+17"
    rows[9][3] = "很多钱"
    rows[13][0] = ""
    result = run(source(_csv(rows)), editor)
    assert {(e["row"], e["column"]) for e in result.errors} == {(3, "统一社会信用代码"), (11, "注册资本"),
                                                                (15, "企业名称")}
    assert result.rejected == 3 and written() == (0, 0, 0)


def test_a_duplicate_across_chunks_is_caught(app, editor, written, make_code, source):
    rows = _rows(make_code, 15)
    rows[13][1] = rows[0][1].lower()                 # file row 15 repeats file row 2, three chunks later
    result = run(source(_csv(rows)), editor)
    assert not result.written and written() == (0, 0, 0)
    assert len(result.errors) == 1
    error = result.errors[0]
    assert error["row"] == 15 and error["column"] == "统一社会信用代码"
    assert "第 2 行" in error["message"] and "重复" in error["message"]


def test_skip_invalid_writes_the_good_rows_of_every_chunk(app, editor, written, make_code, source):
    rows = _rows(make_code, 13)
    rows[10][2] = "2019-02-30"
    rows[12][1] = rows[2][1]
    result = run(source(_csv(rows)), editor, skip_invalid=True)
    assert result.written and (result.created, result.rejected) == (11, 2)
    assert [e["row"] for e in result.errors] == [12, 14]
    assert written()[:2] == (11, 1)
    assert service.find_firm(rows[10][1]) is None and service.find_firm(rows[11][1]) is not None


def test_a_dry_run_counts_every_chunk_and_writes_nothing(app, editor, written, make_code, source):
    service.create_firm(editor, uscc=(code := make_code()), name="宁波已有有限公司")
    db.session.commit()
    rows = _rows(make_code, 10)
    rows[8][1] = code
    result = run(source(_csv(rows)), editor, dry_run=True)
    assert (result.created, result.updated, result.errors) == (9, 1, [])
    assert written()[:2] == (1, 0)


def test_a_refusal_by_the_service_in_an_early_chunk_and_a_bad_row_later(app, editor, written, make_code, source,
                                                                         monkeypatch):
    """As when every row was checked before the first write: the rows' own problems are the answer."""
    from core.errors import ServiceError
    rows = _rows(make_code, 12)
    rows[10][2] = "2019-02-30"
    refused = rows[1][1]
    real = service.draft_firm

    def draft(actor, **kw):
        if kw["uscc"] == refused:
            raise ServiceError("拒绝", field="uscc")
        return real(actor, **kw)
    monkeypatch.setattr(service, "draft_firm", draft)
    result = run(source(_csv(rows)), editor)
    assert [(e["row"], e["column"]) for e in result.errors] == [(12, "成立日期")]
    assert result.rejected == 1 and written() == (0, 0, 0)


@pytest.mark.parametrize("encoding", ["gbk", "utf-8-sig", "utf-16"])
def test_a_streamed_file_in_each_encoding(app, editor, written, make_code, encoding, tmp_path):
    rows = _rows(make_code, 9)
    path = tmp_path / "firms.csv"
    path.write_bytes(_csv(rows, encoding))
    result = run(path, editor)
    assert result.written and result.created == 9
    assert service.find_firm(rows[8][1]).name == "宁波流式8号科技有限公司"


def test_an_unclosed_quote_late_in_a_streamed_file_writes_nothing(app, editor, written, make_code, tmp_path):
    rows = _rows(make_code, 14)
    text = _csv(rows).decode()
    lines = text.split("\r\n")
    lines[12] = lines[12].replace("软件开发；", '"软件开发；', 1)        # file row 13: its 经营范围 opens a quote
    path = tmp_path / "firms.csv"
    path.write_bytes("\r\n".join(lines).encode())
    result = run(path, editor)
    assert not result.written and written() == (0, 0, 0)
    assert [e["row"] for e in result.errors] == [None]
    assert result.errors[0]["message"].startswith("第 13 行“经营范围”列的单元格以引号开头")


def test_too_many_rows_found_while_streaming_writes_nothing(app, editor, written, make_code, tmp_path, monkeypatch):
    from functools import partial

    from core import tabular
    monkeypatch.setattr(tabular, "stream_table", partial(tabular.stream_table, max_rows=10))
    path = tmp_path / "firms.csv"
    path.write_bytes(_csv(_rows(make_code, 11)))
    result = run(path, editor)
    assert not result.written and written() == (0, 0, 0)
    assert len(result.errors) == 1 and "10" in result.errors[0]["message"]


def test_the_cli_streams_the_file_and_keeps_all_or_nothing(app, editor, written, make_code, tmp_path):
    import json
    rows = _rows(make_code, 10)
    rows[9][2] = "2019-02-30"
    path = tmp_path / "firms.csv"
    path.write_bytes(_csv(rows, "gbk"))
    out = app.test_cli_runner().invoke(args=["import", "firms", str(path)])
    assert out.exit_code == 1 and json.loads(out.output)["errors"][0]["row"] == 11
    db.session.rollback()
    assert written() == (0, 0, 0)
    rows[9][2] = "2019-02-28"
    path.write_bytes(_csv(rows, "gbk"))
    out = app.test_cli_runner().invoke(args=["import", "firms", str(path)])
    assert out.exit_code == 0 and json.loads(out.output)["created"] == 10

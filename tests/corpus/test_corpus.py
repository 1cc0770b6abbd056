"""Malformed files (issue 18) through `flask import`: the exact message with its row and column, and
nothing written. Run on SQLite and on PostgreSQL (TEST_DATABASE_URL): the same file, the same answer."""
import json
from pathlib import Path

import pytest
from sqlalchemy import func, select

from core.db import db
from core.imports import ImportBatch
from incubation.models import Carrier
from registry.models import Firm

FILES = Path(__file__).parent / "files"
NO_DATE = "无法识别的日期“%s”，请使用 2019-03-05 这样的格式"
NOT_A_NUMBER = "“%s”不是数值（可能是公式或计算错误的结果），请填写数字"

REFUSED = [
    ("firms", "firms_unclosed_quote.csv", None, None,
     "第 2 行“经营范围”列的单元格以引号开头，但引号没有闭合，其后的行被并入了这个单元格。"
     "请删除或补全该引号后重新上传（未写入任何数据）。"),
    ("firms", "firms_year_only_date.csv", 2, "成立日期", "“2018”只有年份，请填写完整日期，如 2018-03-01"),
    ("firms", "firms_small_number_date.csv", 2, "成立日期", NO_DATE % "45"),
    ("firms", "firms_date_before_1949.csv", 2, "成立日期", "日期“1900-01-01”早于 1949-01-01，请核对"),
    ("firms", "firms_date_in_future.csv", 2, "成立日期", "日期“2999-01-01”晚于今天，请核对"),
    ("firms", "firms_bidi_override.csv", 2, "企业名称", "含有不可见的控制字符（第 3 个字符，U+202E），请删除后重新导入"),
    ("firms", "firms_zero_width_name.csv", 2, "企业名称", "含有不可见的控制字符（第 3 个字符，U+200B），请删除后重新导入"),
    ("firms", "firms_control_character.csv", 2, "经营范围", "含有不可见的控制字符（第 3 个字符，U+0007），请删除后重新导入"),
    ("firms", "firms_oversized_cell.csv", 2, "经营范围", "单元格内容超过 131072 个字符的上限，请删减后重新导入"),
    ("carriers", "carriers_nan_area.csv", 2, "面积（平方米）", NOT_A_NUMBER % "NaN"),
    ("carriers", "carriers_infinity_capacity.csv", 2, "可容纳企业数", NOT_A_NUMBER % "Infinity"),
]


def _cli(app, *args):
    out = app.test_cli_runner().invoke(args=["import", *args])
    return out.exit_code, json.loads(out.output.strip().splitlines()[-1])


def _written():
    return tuple(db.session.scalar(select(func.count()).select_from(m)) for m in (Firm, Carrier, ImportBatch))


@pytest.mark.parametrize("kind, name, row, column, message", REFUSED, ids=[r[1] for r in REFUSED])
def test_malformed_file_refused_with_its_message_and_nothing_written(app, kind, name, row, column, message):
    code, body = _cli(app, kind, str(FILES / name))
    assert code == 1 and body["created"] == 0 and body["updated"] == 0
    assert body["errors"] == [{"row": row, "column": column, "message": message}]
    db.session.rollback()
    assert _written() == (0, 0, 0)


def test_oversized_cell_row_skipped_with_skip_invalid(app):
    code, body = _cli(app, "firms", str(FILES / "firms_oversized_cell.csv"), "--skip-invalid")
    assert code == 0 and (body["created"], body["rejected"]) == (1, 1)
    assert body["errors"][0]["column"] == "经营范围"
    assert db.session.scalars(select(Firm.name)).all() == ["宁波二号有限公司"]


def test_title_rows_skipped_and_licence_capital_read(app):
    code, body = _cli(app, "firms", str(FILES / "firms_title_rows.csv"))
    assert code == 0 and body["created"] == 2, body
    firms = {f.name: f for f in db.session.scalars(select(Firm))}
    assert firms["宁波四号有限公司"].capital_amount == 100 and firms["宁波五号有限公司"].capital_amount == 50
    assert str(firms["宁波四号有限公司"].registered_on) == "2019-03-05"


def test_nothing_swallowed_by_a_stray_quote_in_a_dry_run_either(app):
    code, body = _cli(app, "firms", str(FILES / "firms_unclosed_quote.csv"), "--dry-run")
    assert code == 1 and body["errors"][0]["message"].startswith("第 2 行“经营范围”列")

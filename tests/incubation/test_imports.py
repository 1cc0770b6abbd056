"""Import kinds through the core engine: a bad row refuses the whole tenancy file by default."""
import json
from datetime import date

import pytest
from sqlalchemy import func, select

from core import imports
from core.db import db
from core.tabular import write_xlsx
from incubation.models import Carrier, MakerCount, RDInstitution, Tenancy
from core.tabular.cells import parse_date
from registry import service as registry
from registry.models import Firm
from registry.uscc import generate

HEAD = ["统一社会信用代码", "企业名称", "载体名称", "入孵日期"]


def _csv(headers, rows) -> bytes:
    lines = [",".join(headers)] + [",".join(r) for r in rows]
    return ("\n".join(lines) + "\n").encode("utf-8-sig")


def _run(kind, data, kjj, filename="list.csv", **kw):
    result = imports.run_import(kind, data, filename, actor=kjj, **kw)
    if result.written:
        db.session.commit()
    else:
        db.session.rollback()
    return result


def _count(model):
    return db.session.scalar(select(func.count(model.id)))


@pytest.mark.parametrize("text,expected", [
    ("2018-03-05", date(2018, 3, 5)), ("2018/3/5", date(2018, 3, 5)), ("2018.3.5", date(2018, 3, 5)),
    ("2018年3月5日", date(2018, 3, 5)), ("20180305", date(2018, 3, 5)), ("2018-03-05 00:00:00", date(2018, 3, 5)),
    ("43160", date(2018, 3, 1))])
def test_parse_date(app, text, expected):
    assert parse_date(text) == expected


@pytest.mark.parametrize("text", ["2018-02-30", "05/03/2018", "明年", "2018", "2018-3", ""])
def test_parse_date_refuses(app, text):
    with pytest.raises(ValueError):
        parse_date(text)


def test_tenancy_list_with_bad_row_writes_nothing(kjj, make_carrier, make_firm):
    carrier = make_carrier("鄞州众创空间", opened_on=date(2016, 1, 1))
    known = make_firm("老企业有限公司")
    new_code = generate()
    rows = [[known.uscc, "", carrier.name, "2018-03-01"],
            [new_code, "新企业有限公司", carrier.name, "2018/4/1"],
            [generate(), "某企业", "不存在的孵化器", "2018-05-01"],          # unknown carrier
            ["91330212MA2A000000", "坏代码", carrier.name, "2018-05-01"],    # bad code
            [generate(), "", carrier.name, "2018-05-01"],                   # unknown firm, no name
            [generate(), "某企业", carrier.name, "2015-05-01"],             # before the carrier opened
            [generate(), "某企业", carrier.name, "2018-02-30"]]             # impossible date
    result = _run("tenancies", _csv(HEAD, rows), kjj)
    assert not result.written and result.created == 0
    by_row = {(e["row"], e["column"]) for e in result.errors}
    assert by_row == {(4, "载体名称"), (5, "统一社会信用代码"), (6, "企业名称"), (7, "入孵日期"), (8, "入孵日期")}
    assert any("不存在的孵化器" in e["message"] for e in result.errors)
    assert _count(Tenancy) == 0 and registry.find_firm(new_code) is None and _count(Firm) == 1


def test_tenancy_list_skip_invalid_and_reimport_is_unchanged(kjj, make_carrier, make_firm):
    carrier = make_carrier("鄞州众创空间")
    known = make_firm()
    rows = [[known.uscc, "", carrier.name, "2018-03-01"], [generate(), "新企业有限公司", carrier.name, "2018-04-01"],
            [generate(), "某企业", "不存在的孵化器", "2018-05-01"]]
    result = _run("tenancies", _csv(HEAD, rows), kjj, skip_invalid=True)
    assert result.written and (result.created, result.rejected) == (2, 1)
    assert _count(Tenancy) == 2
    again = _run("tenancies", _csv(HEAD, rows[:2]), kjj)
    assert again.written and (again.created, again.unchanged) == (0, 2)


def test_overlap_inside_one_file_refuses_the_file(kjj, make_carrier, make_firm):
    carrier, firm = make_carrier("甲"), make_firm()
    head = HEAD + ["离开日期", "去向"]
    rows = [[firm.uscc, "", "甲", "2018-01-01", "", ""], [firm.uscc, "", "甲", "2018-06-01", "", ""]]
    result = _run("tenancies", _csv(head, rows), kjj)
    assert not result.written and result.errors[0]["row"] == 3 and "重叠" in result.errors[0]["message"]
    assert _count(Tenancy) == 0


def test_duplicate_row_in_file(kjj, make_carrier, make_firm):
    carrier, firm = make_carrier("甲"), make_firm()
    rows = [[firm.uscc, "", "甲", "2018-01-01"], [firm.uscc, "", "甲", "2018-01-01"]]
    result = _run("tenancies", _csv(HEAD, rows), kjj)
    assert not result.written and result.errors[0]["row"] == 3


def test_tenancy_exit_columns_update_existing(kjj, make_carrier, make_firm):
    carrier, firm = make_carrier("甲"), make_firm()
    head = HEAD + ["毕业日期", "去向"]
    assert _run("tenancies", _csv(head, [[firm.uscc, "", "甲", "2018-01-01", "", ""]]), kjj).created == 1
    result = _run("tenancies", _csv(head, [[firm.uscc, "", "甲", "2018-01-01", "2020-01-01", "毕业"]]), kjj)
    assert result.updated == 1
    t = db.session.scalars(select(Tenancy)).one()
    assert (t.left_on, t.outcome) == (date(2020, 1, 1), "毕业")
    bad = _run("tenancies", _csv(head, [[firm.uscc, "", "甲", "2018-01-01", "2017-01-01", "毕业"]]), kjj)
    assert not bad.written and bad.errors[0]["column"] == "毕业日期"


def test_carriers_import_xlsx_and_update(kjj):
    head = ["载体名称", "载体类型", "级别", "所属镇街", "面积（平方米）", "启用日期", "认定日期"]
    rows = [["甲众创空间", "众创空间", "省级", "下应", "1,200.5", "2017-01-01", "2017-06-01"],
            ["乙孵化器", "孵化器", "市级", "", "3000", "2016-01-01", ""]]
    result = _run("carriers", write_xlsx(head, rows), kjj, filename="c.xlsx")
    assert result.written and result.created == 2, result.errors
    c = db.session.scalars(select(Carrier).where(Carrier.name == "甲众创空间")).one()
    assert c.area_m2 == 1200.5 and c.town_code and c.recognized_on == date(2017, 6, 1)
    rows[1][4] = "3500"
    result = _run("carriers", write_xlsx(head, rows), kjj, filename="c.xlsx")
    assert (result.updated, result.unchanged) == (1, 1)
    bad = [["丙", "写字楼", "县级", "火星街道", "-5", "2017-13-01", ""]]
    result = _run("carriers", _csv(head, bad), kjj)
    assert {e["column"] for e in result.errors} == {"载体类型", "级别", "所属镇街", "面积（平方米）", "启用日期"}


def test_makers_and_institutions_import(kjj, make_carrier, make_firm):
    make_carrier("甲")
    firm = make_firm()
    result = _run("makers", _csv(["载体名称", "年份", "创客人数"], [["甲", "2018", "120"], ["乙", "2018", "5"]]), kjj)
    assert not result.written and result.errors[0]["row"] == 3
    result = _run("makers", _csv(["载体名称", "年份", "创客人数"], [["甲", "2018", "120"], ["甲", "2019", "1.5"]]), kjj)
    assert not result.written and "整数" in result.errors[0]["message"]
    assert _run("makers", _csv(["载体名称", "年份", "创客人数"], [["甲", "2018", "120"]]), kjj).created == 1
    assert db.session.scalar(select(MakerCount.makers)) == 120
    head = ["统一社会信用代码", "企业名称", "研发机构名称", "级别", "认定日期"]
    rows = [[firm.uscc, "", "甲研究院", "省级重点企业研究院", "2018-01-01"],
            [generate(), "新企业", "乙中心", "市级", "2018-02-01"]]
    assert _run("institutions", _csv(head, rows), kjj).created == 2
    assert _count(RDInstitution) == 2


def test_cli_import_prints_json(app, kjj, make_carrier, tmp_path):
    make_carrier("甲")
    path = tmp_path / "t.csv"
    path.write_bytes(_csv(HEAD, [[generate(), "", "甲", "2018-01-01"]]))
    out = app.test_cli_runner().invoke(args=["import", "tenancies", str(path)])
    body = json.loads(out.output.strip().splitlines()[-1])
    assert out.exit_code == 1 and body["created"] == 0 and body["errors"][0]["column"] == "企业名称"
    path.write_bytes(_csv(HEAD, [[generate(), "新企业", "甲", "2018-01-01"]]))
    out = app.test_cli_runner().invoke(args=["import", "tenancies", str(path)])
    assert out.exit_code == 0 and json.loads(out.output.strip().splitlines()[-1])["created"] == 1

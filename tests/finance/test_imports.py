"""Imports through the core engine: candidates with current stage, financing events; a bad row."""
import json
from datetime import date
from decimal import Decimal

import pytest
from sqlalchemy import select

from core import imports
from core.db import db
from finance import service
from finance.models import FinancingEvent, IpoCandidate, IpoStage
from registry import service as registry_service
from registry import uscc as uscc_mod

HEAD = "统一社会信用代码,企业名称,拟上市板块,入库日期,当前阶段,阶段日期,阶段说明,股票代码,保荐机构,联系电话\n"


def _csv(text: str, encoding="utf-8") -> bytes:
    return text.encode(encoding)


@pytest.fixture
def codes(app):
    return [uscc_mod.generate(org_body8=f"MA2A{i:04d}") for i in range(1, 6)]


@pytest.fixture
def known_firm(app, jrb, codes):
    firm = registry_service.create_firm(jrb, uscc=codes[0], name="已登记科技")
    db.session.commit()
    return firm


def _run(kind, body, jrb, **kw):
    result = imports.run_import(kind, body, "x.csv", actor=jrb, **kw)
    if result.written:
        db.session.commit()
    return result


def test_candidate_import_creates_and_jumps_to_stage(known_firm, codes, jrb):
    body = _csv(HEAD + f"{codes[0]},,创业板,2023-01-05,辅导备案,2023/6/1,,,中信证券,13800000000\n"
                       f"{codes[1]},新登记股份有限公司,主板,2023年2月1日,,,,,,\n"
                       f"{codes[2]},已上市股份,科创板,2022-01-01,已上市,2024-03-01,,688999,,\n")
    result = _run("ipo-candidates", body, jrb)
    assert result.errors == [] and (result.created, result.updated) == (3, 0)
    a = service.open_candidacy(known_firm.id)
    assert a.current_stage == "辅导备案" and a.current_stage_on == date(2023, 6, 1) and a.sponsor == "中信证券"
    assert [s.stage for s in service.active_stages(a)] == ["入库", "辅导备案"]
    listed = registry_service.find_firm(codes[2])
    assert listed.listed and listed.stock_code == "688999"     # registered and marked listed
    assert registry_service.find_firm(codes[1]).name == "新登记股份有限公司"
    again = _run("ipo-candidates", body, jrb)
    assert (again.created, again.updated, again.unchanged) == (0, 0, 3)


def test_candidate_import_bad_row_refuses_whole_file(known_firm, codes, jrb):
    body = _csv(HEAD + f"{codes[0]},,创业板,2023-01-05,辅导备案,2023-06-01,,,,\n"
                       f"{codes[1]},,纳斯达克,2023-13-01,退出,2022-01-01,,,,\n"
                       f"{codes[0]},,创业板,2023-01-05,,,,,,\n")
    result = _run("ipo-candidates", body, jrb)
    assert not result.written and result.created == 0
    by_row = {}
    for e in result.errors:
        by_row.setdefault(e["row"], set()).add(e["column"])
    assert by_row[3] >= {"企业名称", "拟上市板块", "入库日期", "阶段说明"}   # every problem of row 3 (unknown code: name it)
    assert 4 in by_row                                                              # duplicate firm
    assert db.session.scalars(select(IpoCandidate)).all() == []
    partial = _run("ipo-candidates", body, jrb, skip_invalid=True)
    assert partial.written and partial.created == 1 and partial.rejected == 2


def test_candidate_import_rules_from_service_are_row_errors(known_firm, codes, jrb):
    cand = service.add_candidate(jrb, firm=known_firm, entered_on=date(2023, 1, 1), board="创业板")
    service.move_stage(cand, stage="申报受理", on=date(2023, 9, 1), actor=jrb)
    db.session.commit()
    body = _csv(HEAD + f"{codes[0]},,创业板,2023-01-01,辅导备案,2023-10-01,,,,\n")   # backwards, no note
    result = _run("ipo-candidates", body, jrb)
    assert not result.written
    assert [(e["row"], e["column"]) for e in result.errors] == [(2, "阶段说明")]
    body = _csv(HEAD + f"{codes[0]},,创业板,2023-01-01,审核通过/注册,2023-08-01,,,,\n")  # before 申报受理
    result = _run("ipo-candidates", body, jrb)
    assert [(e["row"], e["column"]) for e in result.errors] == [(2, "阶段日期")]


def test_candidate_import_update_and_undo(known_firm, codes, jrb):
    cand = service.add_candidate(jrb, firm=known_firm, entered_on=date(2023, 1, 1), board="创业板")
    db.session.commit()
    body = _csv(HEAD + f"{codes[0]},,创业板,2023-01-01,股改,2023-04-01,,,国泰君安,\n")
    result = _run("ipo-candidates", body, jrb)
    assert result.updated == 1 and cand.current_stage == "股份制改造" and cand.sponsor == "国泰君安"
    from core.imports import ImportBatch
    batch = db.session.get(ImportBatch, result.batch_id)
    imports.undo_batch(batch, jrb)
    db.session.commit()
    db.session.refresh(cand)
    assert cand.current_stage == "入库" and cand.sponsor == ""
    assert [s.stage for s in service.active_stages(cand)] == ["入库"]
    assert db.session.scalars(select(IpoStage).where(IpoStage.archived_at.is_not(None))).one().stage == "股份制改造"


FIN_HEAD = "统一社会信用代码,融资类型,金额（万元）,日期,备注\n"


def test_financing_import_with_bad_rows(known_firm, codes, jrb):
    body = _csv(FIN_HEAD + f"{codes[0]},IPO,\"80,000\",2024-03-15,首发\n"
                           f"{codes[0]},中票,1.5亿,2024-05-01,\n"
                           f"{codes[0]},众筹,-5,2024-13-01,\n"
                           f"{codes[3]},公司债,100,2024-01-01,\n"
                           f"{codes[0]},IPO,80000,2024-03-15,重复\n", "gbk")
    result = _run("financing-events", body, jrb)
    assert not result.written
    cols = {(e["row"], e["column"]) for e in result.errors}
    assert {(4, "融资类型"), (4, "金额（万元）"), (4, "日期"), (5, "企业名称"), (6, "统一社会信用代码")} <= cols
    assert db.session.scalars(select(FinancingEvent)).all() == []
    ok = _run("financing-events", body, jrb, skip_invalid=True)
    assert ok.created == 2
    assert service.financing_total(2024) == Decimal("95000")
    again = _run("financing-events", body, jrb, skip_invalid=True)
    assert again.created == 0 and again.unchanged == 2


def test_cli_import_prints_json(app, known_firm, codes, tmp_path):
    path = tmp_path / "fin.csv"
    path.write_bytes(_csv(FIN_HEAD + f"{codes[0]},再融资,500,2024-02-02,\n{codes[0]},再融资,0,2024-02-02,\n"))
    runner = app.test_cli_runner()
    out = runner.invoke(args=["import", "financing-events", str(path)])
    payload = json.loads(out.output.strip().splitlines()[-1])
    assert out.exit_code == 1 and payload["rejected"] == 1
    assert payload["errors"][0]["row"] == 3 and payload["errors"][0]["column"] == "金额（万元）"

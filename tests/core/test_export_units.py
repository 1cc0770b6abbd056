"""Every xlsx export of the app, in Chinese and in English, from a small seeded world: headers and sheet
names for people (none empty, none a raw key, no Chinese in English mode), amounts numeric cells with their
unit (万元 / 亿元) in the header, formula-looking text stored as text; and the 万元 → 亿元 conversion."""
import io
import re
from datetime import date
from decimal import Decimal

import openpyxl
import pytest

from core.db import db
from core.exports import Col, in_unit, money_header, xlsx_bytes
from registry import service as reg
from registry.models import PARKS
from registry.uscc import generate

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
AS_OF = date(2019, 6, 30)
XIAYING = "330212001"
CJK = re.compile(r"[\u3000-\u303f\u3400-\u9fff\uff00-\uffef]")
UNITS = ("万元", "亿元", "10k yuan", "100 million yuan")
EVIL = ("=HYPERLINK(\"http://x\")", "+cmd|' /C calc'!A0", "-2+3", "@SUM(A1)", "\tTAB", "\rCR")
#: Goals whose exports are opened: a sector output (亿元, computed from firms' 产值 in 万元), the
#: financing goal (万元), a reported goal in 亿元, a pool count.
GOALS = ("sector_output_new_materials", "direct_financing", "industrial_park_output", "high_growth_pool")


@pytest.fixture
def world(app, admin, make_user):
    """A firm in 下应 with 2018 facts (产值 12,345 万元) in a plan sector, pool member; a carrier with a
    tenant; a talent and a team; a candidate and a financing event of 12,345 万元; formula-looking text."""
    from finance import service as fin
    from incubation import service as inc
    from talent import resident_id
    from talent import service as tal
    firm = reg.create_firm(admin, uscc=generate(org_prefix="MA2U1"), name=EVIL[0] + "有限公司", town_code="下应",
                           park="鄞州工业园区")
    db.session.flush()
    reg.update_firm(firm, admin, version=None, above_scale=True, industry_code="3411", plan_sector="新型材料",
                    high_tech=True)
    reg.upsert_fact(admin, firm, 2018, output_value=Decimal(12345), revenue=Decimal(20000),
                    value_added=Decimal(3000), rd_spend=Decimal(400))
    pool = reg.pool_by_key("high_growth")
    reg.enter_pool(admin, firm=firm, pool=pool, entered_on=date(2018, 1, 1), reason=EVIL[1])
    carrier = inc.create_carrier(admin, name=EVIL[2] + "众创空间", carrier_type="众创空间", level="市级",
                                 opened_on=date(2017, 1, 1), town_code=XIAYING, area_m2=Decimal(1200), capacity=10)
    inc.register_tenancy(admin, carrier=carrier, uscc=firm.uscc, entered_on=date(2018, 5, 1))
    key = tal.person_key(resident_id.generate(region="330212", birth=date(1985, 3, 4), seq=7))
    tal.register_talent(admin, key=key, name=EVIL[3], category="领军人才", uscc=firm.uscc,
                        recognized_on=date(2018, 6, 1), unit_code="rsj")
    tal.register_team(admin, name=EVIL[4] + "团队", uscc=firm.uscc, leader=key, recognized_on=date(2018, 7, 1),
                      support=Decimal(500), unit_code="rsj")
    fin.add_candidate(admin, firm=firm, board="科创板", entered_on=date(2018, 1, 1))
    fin.record_financing(admin, firm=firm, kind="公司债", amount=Decimal(12345), on=date(2019, 3, 1), note=EVIL[5])
    db.session.commit()
    return {"firm": firm, "pool": pool}


def _reconcile_token(client, pool) -> str:
    resp = client.post("/registry/reconcile", data={"pool_id": pool.id, "as_of": AS_OF.isoformat(),
                                                    "list_name": "2019年名单", "pasted": "宁波某某有限公司\n-1+1"},
                       content_type="multipart/form-data")
    assert resp.status_code == 302, resp.data[:300]
    return resp.headers["Location"].rsplit("/", 1)[-1]


def _export_urls(app, world, client) -> list[str]:
    """Every rule ending in export.xlsx, its arguments filled from the world (every rule must be covered)."""
    from incubation import metrics
    values = {"pool_id": [world["pool"].id], "key": list(GOALS), "code": [XIAYING, "none"],
              "token": [_reconcile_token(client, world["pool"])], "name": sorted(metrics.TARGETS)}
    urls = []
    for rule in app.url_map.iter_rules():
        if not rule.rule.endswith("export.xlsx"):
            continue
        assert rule.arguments <= set(values), f"{rule.rule}: give the test values for {rule.arguments}"
        combos = [{}]
        for arg in sorted(rule.arguments):
            combos = [{**c, arg: v} for c in combos for v in values[arg]]
        with app.test_request_context():
            from flask import url_for
            for c in combos:
                urls.append(url_for(rule.endpoint, **c))
    query = f"as_of={AS_OF.isoformat()}"
    urls = [f"{u}?{query}" for u in urls]
    urls += [f"/goals/towns/export.xlsx?{query}&by=park", "/finance/financing/export.xlsx?year=2019",
             f"/goals/funnel/firms?format=xlsx&cohort=2018&stage=incubated&{query}", "/incubation/tenancies/export.xlsx?status=all"]
    return urls


def _data_names() -> set[str]:
    """Proper names that are data, not interface: towns, parks, the seeded firms' and carriers' names."""
    from registry import reference
    return {name for _code, name in reference.towns()} | set(PARKS)


def _check(url, resp, lang, names) -> list[str]:
    """Problems of one export (empty when it is fine)."""
    if resp.status_code != 200 or resp.mimetype != XLSX:
        return [f"{url}: {resp.status_code} {resp.mimetype} {resp.data[:200]!r}"]
    problems = []
    wb = openpyxl.load_workbook(io.BytesIO(resp.data))
    for ws in wb.worksheets:
        where = f"{url} [{lang}] sheet {ws.title!r}"
        if not ws.title or len(ws.title) > 31 or re.search(r"[\[\]:*?/\\]", ws.title):
            problems.append(f"{where}: bad sheet name")
        if lang == "en" and CJK.search(ws.title) and ws.title not in names:
            problems.append(f"{where}: Chinese sheet name in English")
        rows = list(ws.iter_rows())
        if not rows:
            problems.append(f"{where}: no header row")
            continue
        headers = [c.value for c in rows[0]]
        for i, h in enumerate(headers):
            if not isinstance(h, str) or not h.strip():
                problems.append(f"{where}: empty header in column {i + 1}")
            elif re.fullmatch(r"[a-z]+(_[a-z0-9]+)+", h):
                problems.append(f"{where}: raw key {h!r} as header")
            elif lang == "en" and CJK.search(h) and h not in names:
                problems.append(f"{where}: Chinese header {h!r} in English")
        money = {i for i, h in enumerate(headers) if isinstance(h, str) and any(u in h for u in UNITS)}
        for row in rows[1:]:
            for i, c in enumerate(row):
                if c.data_type == "f":
                    problems.append(f"{where}: formula {c.value!r} in {c.coordinate}")
                if isinstance(c.value, bool):
                    problems.append(f"{where}: boolean {c.value!r} in {c.coordinate}")
                if i in money and c.value is not None and not isinstance(c.value, (int, float)):
                    problems.append(f"{where}: amount {c.value!r} in {c.coordinate} ({headers[i]}) is not a number")
                if i in money and isinstance(c.value, (int, float)) and "#,##0" not in c.number_format:
                    problems.append(f"{where}: amount in {c.coordinate} without thousands separators")
    return problems


def test_every_export_in_both_languages(app, admin, login, world):
    client = login(admin)
    urls = _export_urls(app, world, client)
    assert len(urls) >= 25
    names = _data_names()
    problems = []
    for lang in ("zh", "en"):
        client.get(f"/lang/{lang}")
        for url in urls:
            problems += _check(url, client.get(url), lang, names)
    assert not problems, "\n".join(problems)


def test_formula_looking_text_is_stored_as_text_everywhere(app, admin, login, world):
    """Text that starts with = + - @ tab or CR comes back exactly, as a string cell, in every export."""
    client = login(admin)
    seen = set()
    for url in _export_urls(app, world, client):
        resp = client.get(url)
        for ws in openpyxl.load_workbook(io.BytesIO(resp.data)).worksheets:
            for row in ws.iter_rows(min_row=2):
                for c in row:
                    if isinstance(c.value, str) and c.value[:1] in "=+-@\t\r":
                        assert c.data_type == "s", (url, c.coordinate, c.value)
                        seen.add(c.value)
    # (names and notes are stored stripped, so the tab and CR cases reach the file only through the writer test)
    assert {EVIL[0] + "有限公司", EVIL[1], EVIL[2] + "众创空间", EVIL[3]} <= seen


def _sheet(client, url, index=0):
    resp = client.get(url)
    assert resp.status_code == 200, resp.data[:300]
    ws = openpyxl.load_workbook(io.BytesIO(resp.data)).worksheets[index]
    rows = [[c for c in row] for row in ws.iter_rows()]
    return [c.value for c in rows[0]], rows[1:]


def test_the_writer_keeps_every_trigger_as_text():
    from core.tabular import write_xlsx
    data = write_xlsx(["文本"], [[v] for v in EVIL], column_types={})
    ws = openpyxl.load_workbook(io.BytesIO(data)).active
    cells = [row[0] for row in ws.iter_rows(min_row=2)]
    # (XML reads a lone CR back as a line feed)
    assert [c.value for c in cells] == [v.replace("\r", "\n") for v in EVIL] and {c.data_type for c in cells} == {"s"}


def test_yi_conversion():
    assert in_unit(12345, "yi") == Decimal("1.2345") and in_unit("12345", "wan") == Decimal(12345)
    assert in_unit(None, "yi") is None and in_unit("", "wan") is None


def test_col_with_a_unit(app):
    cols = (Col("名称", lambda r: r[0]), Col("金额", lambda r: r[1], unit="yi"), Col("资助", lambda r: r[1], unit="wan"))
    with app.test_request_context():
        data = xlsx_bytes(cols, [("甲", Decimal(12345)), ("乙", None)], sheet="表")
        assert money_header("Amount", "yi") == "金额（亿元）".replace("金额", "Amount")
    ws = openpyxl.load_workbook(io.BytesIO(data)).active
    assert [c.value for c in ws[1]] == ["名称", "金额（亿元）", "资助（万元）"]
    assert ws["B2"].value == pytest.approx(1.2345) and ws["B2"].data_type == "n"
    assert ws["B2"].number_format == "#,##0.00##" and ws["C2"].number_format == "#,##0.00"
    assert ws["C2"].value == 12345 and ws["B3"].value is None
    with pytest.raises(ValueError):
        Col("x", lambda r: r, unit="yuan")


def test_col_unit_header_in_english(app):
    from flask_babel import force_locale
    with app.test_request_context(), force_locale("en"):
        assert Col("Amount", lambda r: r, unit="yi").header == "Amount (100 million yuan)"
        assert Col("Support", lambda r: r, unit="wan").header == "Support (10k yuan)"


def test_goal_records_in_the_goals_unit(app, admin, login, world):
    """The firms' 产值 behind a goal counted in 亿元 are written in 亿元 (12,345 万元 → 1.2345), so the
    column adds up to the goal's figure; the financing events behind the 万元 goal stay in 万元."""
    client = login(admin)
    headers, rows = _sheet(client, f"/goals/g/sector_output_new_materials/export.xlsx?as_of={AS_OF}")
    col = headers.index("工业总产值（亿元）")
    assert rows[0][col].value == pytest.approx(1.2345) and rows[0][col].data_type == "n"
    assert "方案产业领域" in headers and "plan_sector" not in headers
    headers, rows = _sheet(client, f"/goals/g/direct_financing/export.xlsx?as_of={AS_OF}")
    row = {h: c.value for h, c in zip(headers, rows[0])}
    assert row["金额（万元）"] == 12345 and row["日期"].date() == date(2019, 3, 1) and row["融资类型"] == "公司债"
    headers, _rows = _sheet(client, f"/goals/g/industrial_park_output/export.xlsx?as_of={AS_OF}")
    assert "数值（亿元）" in headers
    client.get("/lang/en")
    headers, rows = _sheet(client, f"/goals/g/sector_output_new_materials/export.xlsx?as_of={AS_OF}")
    assert "Output value (100 million yuan)" in headers
    headers, _rows = _sheet(client, f"/goals/g/industrial_park_output/export.xlsx?as_of={AS_OF}")
    assert "Value (100 million yuan)" in headers
    page = client.get(f"/goals/g/sector_output_new_materials?as_of={AS_OF}").get_data(as_text=True)
    assert "plan_sector" not in page and "output_value" not in page


def test_financing_totals_in_yi(app, admin, login, world):
    """Events in 万元 (the import layout, first sheet); the yearly totals in 亿元, as the plan speaks."""
    client = login(admin)
    headers, rows = _sheet(client, "/finance/financing/export.xlsx?year=2019")
    assert rows[0][headers.index("金额（万元）")].value == 12345
    headers, rows = _sheet(client, "/finance/financing/export.xlsx?year=2019", index=1)
    row = {h: c.value for h, c in zip(headers, rows[0])}
    assert row["年度"] == 2019 and row["合计（亿元）"] == pytest.approx(1.2345) and row["公司债（亿元）"] == pytest.approx(1.2345)
    assert row["年度目标（亿元）"] == 100
    html = client.get("/finance/financing?year=2019").get_data(as_text=True)
    assert 'id="year-total">1.2345<' in html and "年度目标 100 亿元" in html


def test_english_finance_exports_name_types_and_import_back(app, admin, login, world):
    """Board, stage and financing type are written in the reader's language, and a file exported in
    English imports back unchanged (the importer knows the English names)."""
    from core import imports
    client = login(admin)
    client.get("/lang/en")
    for url, kind, column, word in (("/finance/candidates/export.xlsx", "ipo-candidates", "Target board", "STAR Market"),
                                    ("/finance/financing/export.xlsx?year=2019", "financing-events", "Type", None)):
        resp = client.get(url)
        headers, rows = _sheet(client, url)
        value = rows[0][headers.index(column)].value
        assert not CJK.search(value), value
        if word:
            assert value == word
        result = imports.run_import(kind, resp.data, "export.xlsx", actor=admin)
        assert result.errors == [] and (result.created, result.updated, result.unchanged) == (0, 0, 1), url

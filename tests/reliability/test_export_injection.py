"""Formula injection is escaped on every export.

Every route found in app.url_map whose endpoint ends with `export` or whose URL ends with .xlsx/.csv —
plus every argument-free GET page that answers with a spreadsheet or CSV — is downloaded after records
carrying formula-like text ('=HYPERLINK("x")', '+cmd', '-2+3', '@SUM(1)') were entered in every domain.
No cell may come back as a formula. xlsx holds text as typed string cells, exactly as entered (no
apostrophe); CSV, which has no cell types, keeps the apostrophe guard (no text starting with = + - @).
"""
import csv
import io
import re
from datetime import date
from decimal import Decimal

import openpyxl
import pytest

from core.db import db
from core.dates import today as cn_today

PAYLOAD = '=HYPERLINK("x")'
TRIGGERS = ("=", "+", "-", "@", "\t", "\r")
SPREADSHEET_TYPES = ("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", "text/csv",
                     "application/vnd.ms-excel", "application/octet-stream")
SKIP_SCAN = {"auth.logout", "core.set_language", "static"}


def _seed(admin):
    """Formula-like text in every domain's records, through the domains' services."""
    from registry import service as registry, uscc
    firm = registry.create_firm(admin, uscc=uscc.generate(rng=__import__("random").Random(7)), name=PAYLOAD,
                                address="+cmd|' /C calc'!A0", business_scope="@SUM(1+1)*cmd|' /C calc'!A0",
                                legal_rep="-2+3", former_names="=1+1")
    db.session.flush()
    pool = registry.active_pools()[0]
    registry.enter_pool(admin, firm=firm, pool=pool, entered_on=date(2018, 1, 1), reason="=1+1")

    from incubation import service as incubation
    carrier = incubation.create_carrier(admin, name='=HYPERLINK("carrier")', carrier_type="孵化器", level="区级",
                                        opened_on=date(2016, 1, 1), operator="@op")
    db.session.flush()
    incubation.register_tenancy(admin, carrier=carrier, uscc=firm.uscc, entered_on=date(2018, 3, 1), note="=note")

    from talent import resident_id, service as talent
    talent.register_talent(admin, key=talent.person_key(resident_id.generate("330212", date(1980, 5, 6), 11)),
                           name='=HYPERLINK("p")', category="领军人才", programme="=prog", uscc=firm.uscc,
                           recognized_on=date(2019, 6, 1), support=Decimal(50), unit_code="rsj", note="+n")

    from finance import service as finance
    finance.add_candidate(admin, firm=firm, entered_on=date(2020, 1, 2), board="创业板",
                          sponsor='=HYPERLINK("s")', law_firm="+law", auditor="@aud", note="-1+1")
    finance.record_financing(admin, firm=firm, kind="IPO", amount=Decimal(100), on=cn_today(),
                             note='=HYPERLINK("f")')
    db.session.commit()
    return firm


def _cells(resp):
    """Every cell of an xlsx or CSV response as (value, data type: "f" formula, "s" string, … or "csv")."""
    data = resp.data
    if data[:2] == b"PK":
        wb = openpyxl.load_workbook(io.BytesIO(data))
        for ws in wb.worksheets:
            for row in ws.iter_rows():
                for cell in row:
                    yield cell.value, cell.data_type
        return
    text = data.decode("utf-8-sig")
    for row in csv.reader(io.StringIO(text)):
        for value in row:
            yield value, "csv"


def _is_number(text: str) -> bool:
    return re.fullmatch(r"-?\d+(\.\d+)?([eE][-+]?\d+)?", text) is not None


def _check(resp, where: str) -> bool:
    """Assert no formula; returns True when the payload text is in the file (xlsx: exactly as entered)."""
    seen = False
    for value, data_type in _cells(resp):
        assert data_type != "f", f"{where}: a formula cell {value!r}"
        if not isinstance(value, str):
            continue
        if data_type == "csv":
            assert not (value.startswith(TRIGGERS) and not _is_number(value)), \
                f"{where}: unescaped formula-like text {value!r}"
            seen = seen or "HYPERLINK" in value
        else:
            assert data_type == "s", f"{where}: text {value!r} stored as {data_type!r}"
            assert not (value[:1] == "'" and value[1:].startswith(TRIGGERS)), \
                f"{where}: a visible apostrophe in {value!r}"
            seen = seen or PAYLOAD in value
    return seen


def _error_report_url(client) -> str:
    """Upload a firm file with the payload (and an error) and return its error-report URL."""
    from core.tabular import write_xlsx
    data = write_xlsx(("统一社会信用代码", "企业名称", "注册地址"), [("bad-code", PAYLOAD, "+cmd")])
    resp = client.post("/imports/firms/preview", data={"file": (io.BytesIO(data), "firms.xlsx")},
                       content_type="multipart/form-data", follow_redirects=True)
    assert resp.status_code in (200, 400)
    match = re.search(r'(/imports/firms/errors/[^"\']+\.xlsx)', resp.get_data(as_text=True))
    assert match, "the preview of a file with errors offers no error report"
    return match.group(1).replace("&amp;", "&")


def _reconcile_export_url(client) -> str:
    """Reconcile a pasted list naming the payload firm; the review's export URL."""
    from registry import service as registry
    pool = registry.active_pools()[0]
    resp = client.post("/registry/reconcile", data={"pool_id": pool.id, "as_of": "2026-03-31",
                                                    "list_name": "=1+1 名单", "pasted": f"{PAYLOAD}\n+cmd有限公司"})
    assert resp.status_code == 302, resp.get_data(as_text=True)[:500]
    token = resp.headers["Location"].rstrip("/").split("/")[-1]
    return f"/registry/reconcile/{token}/export.xlsx"


def _url_for_rule(rule, firm, client):
    """A concrete URL for an export rule, or None when its arguments are unknown."""
    if rule.endpoint == "core.import_errors":
        return _error_report_url(client)
    if rule.endpoint == "registry.reconcile_export":
        return _reconcile_export_url(client)
    values = {}
    for arg in rule.arguments:
        if arg == "kind":
            values[arg] = "firms"
        elif arg in ("firm_id", "id"):
            values[arg] = firm.id
        elif arg == "key":
            values[arg] = "single_champion_pool"
        elif arg == "year":
            values[arg] = cn_today().year
        elif arg == "code":                       # a town's page: the payload firm has no town (未标注)
            values[arg] = "none"
        elif arg == "pool_id":                    # the pool the payload firm entered
            from registry import service as registry
            values[arg] = registry.active_pools()[0].id
        elif arg == "name" and rule.endpoint == "incubation.metric_export":
            from incubation import metrics
            values[arg] = next(iter(metrics.TARGETS))
        else:
            return None
    return rule.build(values, append_unknown=False)[1]


def test_every_export_escapes_formula_injection(app, admin, login):
    firm = _seed(admin)
    client = login(admin)
    exports, unknown = {}, []
    for rule in app.url_map.iter_rules():
        if "GET" not in rule.methods:
            continue
        if rule.endpoint.endswith("export") or rule.rule.endswith((".xlsx", ".csv")):
            url = _url_for_rule(rule, firm, client)
            if url is None:
                unknown.append(rule.rule)
            else:
                exports[rule.endpoint] = url
    assert not unknown, f"export routes with arguments this test cannot fill: {unknown}"
    # Pages not named as exports that still answer with a spreadsheet.
    for rule in app.url_map.iter_rules():
        if ("GET" in rule.methods and not rule.arguments and rule.endpoint not in exports
                and rule.endpoint not in SKIP_SCAN and not rule.rule.startswith("/api/")):
            resp = client.get(rule.rule)
            if resp.status_code == 200 and resp.mimetype in SPREADSHEET_TYPES:
                exports[rule.endpoint] = rule.rule
    assert "registry.firm_export" in exports and "core.import_errors" in exports, exports

    seen = {}
    for endpoint, url in sorted(exports.items()):
        resp = client.get(url)
        assert resp.status_code == 200, (endpoint, url, resp.status_code)
        assert resp.mimetype in SPREADSHEET_TYPES, (endpoint, resp.mimetype)
        seen[endpoint] = _check(resp, f"{endpoint} {url}")
    for endpoint in ("registry.firm_export", "core.import_errors", "finance.candidate_export",
                     "finance.financing_export", "talent.export"):
        if endpoint in exports:
            assert seen[endpoint], f"{endpoint}: the record with the formula-like name is missing from the export"


TEXTS = [PAYLOAD, "=1+1", "+cmd|' /C calc'!A0", "-2", "-2+3", "@SUM(1+1)", "#N/A", "\t=1", "\r=1"]


@pytest.mark.parametrize("text", TEXTS)
def test_xlsx_stores_formula_like_text_exactly_as_a_string(text):
    from core.tabular import error_report_xlsx, read_table, write_workbook, write_xlsx
    for data in (write_xlsx((text,), [(text,)]), write_xlsx(("a",), [(text,)], column_types={0: "text"}),
                 write_workbook([("s", ("a",), [(text,)], None)]),
                 error_report_xlsx(read_table(write_xlsx(("a", "b"), [(text, "x")]), "t.xlsx"),
                                   [{"row": 2, "column": "b", "message": text}])):
        ws = openpyxl.load_workbook(io.BytesIO(data)).worksheets[0]
        cells = [c for row in ws.iter_rows() for c in row if c.value is not None]
        assert cells and all(c.data_type == "s" for c in cells), [(c.value, c.data_type) for c in cells]
        # no apostrophe, nothing evaluated (XML turns a CR into a newline; the report holds the text as read)
        expected = text.replace("\r", "\n")
        assert any(c.value in (expected, expected.strip()) for c in cells), [c.value for c in cells]
        assert not any(str(c.value).startswith("'") for c in cells)
    assert read_table(write_xlsx(("a",), [(text,)]), "t.xlsx").rows[0][0] == text.strip()


@pytest.mark.parametrize("text", TEXTS)
def test_csv_keeps_the_apostrophe_guard(text):
    from core.tabular import write_csv
    rows = list(csv.reader(io.StringIO(write_csv((text,), [(text,)]).decode("utf-8-sig"))))
    if text[:1] in TRIGGERS:
        assert rows[0][0] == rows[1][0] == "'" + text
    else:
        assert rows[1][0] == text

"""The registry's firm export (every column of every firm the list's filter selects), streamed.

Rows are read from the database as plain column tuples in chunks (yield_per) and written by
`core.tabular.xlsx_stream` in constant memory; a 100,000-firm export holds neither its rows nor its
workbook in memory. A small export (up to EXPORT_DIRECT_MAX_ROWS firms) is written to a temporary file
during the request and streamed; a larger one runs as a job (`KIND`, core.export_jobs): rows counted,
then written with their progress, then offered for download from the job's page.
"""
from __future__ import annotations

import os
from datetime import date

from sqlalchemy import func, select

from core.db import db
from core.export_jobs import ExportKind
from core.tabular.xlsx_stream import temp_path, write_xlsx_file
from registry import queries, reference
from registry.models import NAME_SEPARATOR, Firm

HEADERS = ("统一社会信用代码", "企业名称", "曾用名", "成立日期", "企业类型", "法定代表人", "注册资本",
           "注册资本（万）", "币种", "经营范围", "注册地址", "所属街道/镇", "园区", "所属行业", "产业类别",
           "规上", "高新技术企业", "上市", "股票代码", "信用代码校验例外理由")
COLUMN_TYPES = {0: "text", 3: "date", 7: "number"}
CHUNK = 2000
_COLUMNS = (Firm.uscc, Firm.name, Firm.former_names_text, Firm.registered_on, Firm.firm_type, Firm.legal_rep,
            Firm.capital_raw, Firm.capital_amount, Firm.capital_currency, Firm.business_scope, Firm.address,
            Firm.town_code, Firm.park, Firm.industry_code, Firm.plan_sector, Firm.above_scale, Firm.high_tech,
            Firm.listed, Firm.stock_code, Firm.code_override_reason)


def rows(flt: queries.FirmFilter, today: date):
    """Export rows (tuples in HEADERS' order) of every firm of the filter, in list order, read in chunks."""
    towns = dict(reference.towns())
    industries: dict = {}

    def industry(code):
        if code not in industries:
            found = reference.industry(code)
            industries[code] = f"{code} {found['name']}" if found else (code or "")
        return industries[code]

    order = queries.SORTS[flt.sort]
    stmt = (select(*_COLUMNS).where(*queries.conditions(flt, today))
            .order_by(order.desc() if flt.desc else order.asc(), Firm.id))
    for (uscc, name, former, registered_on, firm_type, legal_rep, capital_raw, capital_amount, currency,
         scope, address, town, park, industry_code, sector, above, high_tech, listed, stock, override) \
            in db.session.connection().execution_options(yield_per=CHUNK).execute(stmt):
        yield (uscc, name, "；".join(n for n in (former or "").split(NAME_SEPARATOR) if n), registered_on,
               firm_type, legal_rep, capital_raw, capital_amount, currency, scope, address,
               towns.get(town, town or ""), park, industry(industry_code), sector, _yes(above), _yes(high_tech),
               _yes(listed), stock, override)


def _yes(value) -> str:
    return "是" if value else "否"


def write_file(flt: queries.FirmFilter, today: date) -> tuple[str, int]:
    """The filter's export as an xlsx temporary file: (path, number of firms). The caller removes the file."""
    path = temp_path()
    try:
        count = write_xlsx_file(path, HEADERS, rows(flt, today), sheet_name="企业库", column_types=COLUMN_TYPES)
    except BaseException:
        os.remove(path)
        raise
    return path, count


def count(flt: queries.FirmFilter, today: date) -> int:
    """How many firms the export of `flt` holds."""
    return db.session.scalar(select(func.count(Firm.id)).where(*queries.conditions(flt, today))) or 0


def _filter(params: dict) -> queries.FirmFilter:
    return queries.FirmFilter.from_args(params)


KIND = ExportKind(
    name="firms", domain="registry", label_zh="企业库（全部字段）", label_en="Firm registry (every column)",
    filename="firms", sheet="企业库", headers=HEADERS, column_types=COLUMN_TYPES,
    count=lambda params, today: count(_filter(params), today),
    rows=lambda params, today: rows(_filter(params), today), list_endpoint="registry.firm_list")

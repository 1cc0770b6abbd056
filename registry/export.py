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

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select

from core.db import db
from core.export_jobs import ExportKind
from core.tabular.xlsx_stream import temp_path, write_xlsx_file
from registry import queries, reference
from registry.models import NAME_SEPARATOR, Firm

HEADERS = (_l("统一社会信用代码"), _l("企业名称"), _l("曾用名"), _l("成立日期"), _l("企业类型"), _l("法定代表人"),
           _l("注册资本"), _l("注册资本（万）"), _l("币种"), _l("经营范围"), _l("注册地址"), _l("所属街道/镇"), _l("园区"),
           _l("所属行业"), _l("产业类别"), _l("规上"), _l("高新技术企业"), _l("上市"), _l("股票代码"),
           _l("信用代码校验例外理由"))   # in the reader's language (Chinese without a request)
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
    yes, no = _("是"), _("否")

    def flag(value) -> str:
        return yes if value else no

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
               towns.get(town, town or ""), park, industry(industry_code), sector, flag(above), flag(high_tech),
               flag(listed), stock, override)



def write_file(flt: queries.FirmFilter, today: date) -> tuple[str, int]:
    """The filter's export as an xlsx temporary file: (path, number of firms). The caller removes the file."""
    path = temp_path()
    try:
        count = write_xlsx_file(path, [str(h) for h in HEADERS], rows(flt, today), sheet_name=_("企业库"),
                                column_types=COLUMN_TYPES)
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

"""Registry import kinds: firms (upsert by credit code), pool members (--pool), annual facts (--year).

Empty cells mean "not given": they never clear a stored value, so a partial file only adds
information and the same file imported twice changes nothing the second time.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, timedelta
from functools import lru_cache

from flask_babel import gettext as _

from core.errors import ServiceError
from core.imports import ImportKind, RowInvalid
from core.tabular import Column
from registry import reference, service, uscc as uscc_mod
from registry.capital import CapitalError
from registry.models import PLAN_SECTORS

USCC_COLUMN = Column("uscc", "统一社会信用代码", "Credit code",
                     aliases=("信用代码", "社会信用代码", "统一信用代码", "USCC", "credit_code",
                              "Unified social credit code"), required=True)

FIRM_COLUMNS = (
    USCC_COLUMN,
    Column("name", "企业名称", "Firm name", aliases=("公司名称", "名称", "企业", "name", "company", "company name"),
           required=True),
    Column("registered_on", "成立日期", "Registration date",
           aliases=("注册日期", "登记日期", "成立时间", "established", "date of establishment")),
    Column("capital", "注册资本", "Registered capital", aliases=("注册资金", "capital")),
    Column("firm_type", "企业类型", "Firm type", aliases=("公司类型", "企业(机构)类型", "类型", "type")),
    Column("business_scope", "经营范围", "Business scope", aliases=("scope",)),
    Column("address", "注册地址", "Address", aliases=("住所", "地址", "企业地址", "registered address")),
    Column("legal_rep", "法定代表人", "Legal representative", aliases=("法人代表", "法人", "legal rep")),
    Column("industry_code", "所属行业", "Industry",
           aliases=("行业", "行业代码", "国民经济行业", "行业分类", "industry code")),
    Column("town_code", "所属街道/镇", "Town",
           aliases=("所属街道", "所属镇街", "街道/镇", "镇街", "街道", "镇/街道", "town/street", "street")),
    Column("park", "园区", "Park", aliases=("所属园区", "平台", "园区/平台", "park/platform")),
    Column("plan_sector", "产业类别", "Plan sector", aliases=("规划产业", "产业分类", "sector")),
    Column("above_scale", "规上", "Above scale", aliases=("是否规上", "规上企业", "规模以上", "above_scale")),
    Column("high_tech", "高新技术企业", "High-tech", aliases=("是否高新技术企业", "高新", "high_tech",
                                                          "high-tech enterprise")),
    Column("listed", "上市", "Listed", aliases=("是否上市", "上市企业")),
    Column("stock_code", "股票代码", "Stock code", aliases=("证券代码",)),
    Column("former_names", "曾用名", "Former names", aliases=("历史名称", "former name")),
)

POOL_COLUMNS = (
    USCC_COLUMN,
    Column("firm_name", "企业名称", "Firm name", aliases=("公司名称", "名称")),
    Column("entered_on", "入库日期", "Entered on", aliases=("入库时间", "entered", "entry date"), required=True),
    Column("exited_on", "出库日期", "Exited on", aliases=("出库时间", "exited", "exit date")),
    Column("reason", "入库理由", "Reason", aliases=("入库原因", "理由", "原因", "reason for entry")),
    Column("exit_reason", "出库原因", "Exit reason", aliases=("出库理由",)),
)

FACT_COLUMNS = (
    USCC_COLUMN,
    Column("firm_name", "企业名称", "Firm name", aliases=("公司名称", "名称")),
    Column("revenue", "主营业务收入", "Revenue", aliases=("营业收入", "主营收入", "main business revenue")),
    Column("output_value", "产值", "Output value", aliases=("工业总产值", "总产值", "output")),
    Column("value_added", "增加值", "Value added", aliases=("工业增加值",)),
    Column("rd_spend", "研发经费支出", "R&D spend", aliases=("R&D经费支出", "研发费用", "研发投入", "rd_spend")),
    Column("net_profit", "净利润", "Net profit", aliases=("利润",)),
    Column("invention_patents", "有效发明专利数", "Invention patents",
           aliases=("有效发明专利", "发明专利", "patents")),
    Column("employees", "从业人员", "Employees", aliases=("从业人数", "职工人数", "员工人数", "从业人员数")),
    Column("brand_output", "品牌产品产值", "Brand output", aliases=("品牌产值",)),
)

_TRUE = {"是", "Y", "YES", "TRUE", "1", "√", "✓", "✔", "规上", "高新", "上市", "已上市"}
_FALSE = {"否", "N", "NO", "FALSE", "0", "×", "✗", "非规上", "未上市", "不是"}
_DATE_RES = (
    re.compile(r"(\d{4})[-/.](\d{1,2})[-/.](\d{1,2})(?:[ T]\d{1,2}:\d{2}(?::\d{2})?)?"),
    re.compile(r"(\d{4})年(\d{1,2})月(\d{1,2})日?"),
    re.compile(r"(\d{4})(\d{2})(\d{2})"),
)
_EXCEL_EPOCH = date(1899, 12, 30)


# ----------------------------------------------------------------------------- cell parsers

def parse_date(text: str) -> date:
    """2019-03-05, 2019/3/5, 2019.3.5, 2019年3月5日, 20190305, or an Excel serial (43529)."""
    return _parse_date((text or "").strip())


@lru_cache(maxsize=8192)
def _parse_date(text: str) -> date:
    """Memoised: a file's dates repeat (a text that fails raises again, in the current language)."""
    for pattern in _DATE_RES:
        match = pattern.fullmatch(text)
        if match:
            try:
                return date(*map(int, match.groups()))
            except ValueError:
                break
    else:
        serial = text[:-2] if text.endswith(".0") else text
        if serial.isdigit() and 1 <= int(serial) <= 2958465:
            return _EXCEL_EPOCH + timedelta(days=int(serial))
    raise ValueError(_("无法识别的日期“%(v)s”，请使用 2019-03-05 这样的格式", v=text))


def parse_bool(text: str) -> bool:
    key = (text or "").strip().upper()
    if key in _TRUE:
        return True
    if key in _FALSE:
        return False
    raise ValueError(_("应填写“是”或“否”，而不是“%(v)s”", v=text))


def _code(values: dict, problems: list) -> str | None:
    try:
        return uscc_mod.validate(values.get("uscc", ""))
    except uscc_mod.USCCError as exc:
        problems.append(("uscc", exc.message))
        return None


def _cell(values: dict, key: str, parser, problems: list, out: dict, name: str | None = None) -> None:
    """Parse a non-empty cell into out[name or key]; a failure is a problem of that column."""
    text = (values.get(key) or "").strip()
    if not text:
        return
    try:
        out[name or key] = parser(text)
    except (ValueError, ServiceError, CapitalError) as exc:
        problems.append((key, getattr(exc, "message", None) or str(exc)))


# ----------------------------------------------------------------------------- firms

@dataclass
class FirmRow:
    uscc: str
    name: str
    fields: dict = field(default_factory=dict)


def _town(text: str) -> str:
    found = reference.town_by_name(text)
    if found is None:
        raise ValueError(_("未知的街道/镇：%(v)s", v=text))
    return found[0]


def _sector(text: str) -> str:
    if text not in PLAN_SECTORS:
        raise ValueError(_("未知的规划产业类别：%(v)s", v=text))
    return text


def parse_firm(values: dict, ctx) -> FirmRow:
    problems: list = []
    code = _code(values, problems)
    name = (values.get("name") or "").strip()
    if not name:
        problems.append(("name", _("企业名称不能为空")))
    fields: dict = {}
    _cell(values, "registered_on", parse_date, problems, fields)
    capital: dict = {}
    _cell(values, "capital", service.capital_fields, problems, capital)   # parsed once, here
    fields.update(capital.get("capital", {}))
    _cell(values, "industry_code", service.resolve_industry, problems, fields)
    _cell(values, "town_code", _town, problems, fields)
    _cell(values, "plan_sector", _sector, problems, fields)
    for flag in ("above_scale", "high_tech", "listed"):
        _cell(values, flag, parse_bool, problems, fields)
    for key in ("firm_type", "business_scope", "address", "legal_rep", "park", "stock_code", "former_names"):
        _cell(values, key, str, problems, fields)
    if problems:
        raise RowInvalid(problems)
    return FirmRow(uscc=code, name=name, fields=fields)


def prepare_firms(rows: list[FirmRow], ctx) -> None:
    """Load every firm the file names in a few queries (apply then needs none per row)."""
    ctx.cache["firms"] = service.firms_by_uscc([r.uscc for r in rows])


def apply_firm(row: FirmRow, ctx) -> str:
    known = ctx.cache.get("firms")
    if known is None:
        _firm, outcome = service.upsert_firm(ctx.actor, uscc=row.uscc, name=row.name, batch_id=ctx.batch_id,
                                             **row.fields)
        return outcome
    firm = known.get(row.uscc)
    if firm is None:   # queued: write_firms inserts the chunk's new firms in one statement
        ctx.cache.setdefault("new_firms", []).append(
            service.draft_firm(ctx.actor, uscc=row.uscc, name=row.name, batch_id=ctx.batch_id, **row.fields))
        return "created"
    changed = service.update_firm(firm, ctx.actor, version=None, batch_id=ctx.batch_id, name=row.name,
                                  **row.fields)
    return "updated" if changed else "unchanged"


def write_firms(ctx) -> None:
    service.insert_firms(ctx.actor, ctx.cache.pop("new_firms", []), batch_id=ctx.batch_id)


# ----------------------------------------------------------------------------- pool members

@dataclass
class MemberRow:
    uscc: str
    entered_on: date
    exited_on: date | None
    reason: str
    exit_reason: str


def _pool(ctx):
    if "pool" not in ctx.cache:
        wanted = str(ctx.params.get("pool") or "").strip()
        pool = service.pool_by_key(wanted) or next(
            (p for p in service.active_pools() if p.name_zh == wanted), None)
        ctx.cache["pool"] = pool
    pool = ctx.cache["pool"]
    if pool is None:
        raise ServiceError(_("未知的培育库：%(p)s", p=ctx.params.get("pool")))
    return pool


def _existing_firm(code: str | None, problems: list):
    if code is None:
        return None
    firm = service.find_firm(code)
    if firm is None:
        problems.append(("uscc", _("该信用代码不在企业库中，请先导入企业")))
    elif firm.archived_at is not None:
        problems.append(("uscc", _("该企业已归档：%(name)s", name=firm.name)))
    return firm


def parse_member(values: dict, ctx) -> MemberRow:
    _pool(ctx)
    problems: list = []
    code = _code(values, problems)
    _existing_firm(code, problems)
    dates: dict = {}
    if not (values.get("entered_on") or "").strip():
        problems.append(("entered_on", _("请填写入库日期")))
    _cell(values, "entered_on", parse_date, problems, dates)
    _cell(values, "exited_on", parse_date, problems, dates)
    if "entered_on" in dates and dates.get("exited_on") and dates["exited_on"] < dates["entered_on"]:
        problems.append(("exited_on", _("出库日期不能早于入库日期")))
    if problems:
        raise RowInvalid(problems)
    return MemberRow(uscc=code, entered_on=dates["entered_on"], exited_on=dates.get("exited_on"),
                     reason=(values.get("reason") or "").strip(),
                     exit_reason=(values.get("exit_reason") or "").strip())


def apply_member(row: MemberRow, ctx) -> str:
    pool, firm = _pool(ctx), service.find_firm(row.uscc)
    same = next((m for m in service.memberships_of(firm)
                 if m.pool_id == pool.id and m.entered_on == row.entered_on), None)
    if same is None:
        service.enter_pool(ctx.actor, firm=firm, pool=pool, entered_on=row.entered_on, reason=row.reason,
                           exited_on=row.exited_on, exit_reason=row.exit_reason, batch_id=ctx.batch_id)
        return "created"
    if row.exited_on is None or row.exited_on == same.exited_on:
        return "unchanged"
    if same.exited_on is not None:
        raise ServiceError(_("该企业已于 %(d)s 出库，与文件中的出库日期不一致", d=same.exited_on.isoformat()),
                           field="exited_on")
    service.exit_pool(ctx.actor, same, exited_on=row.exited_on, reason=row.exit_reason, batch_id=ctx.batch_id)
    return "updated"


# ----------------------------------------------------------------------------- facts

@dataclass
class FactRow:
    uscc: str
    year: int
    values: dict


def _year(ctx) -> int:
    try:
        year = int(str(ctx.params.get("year")).strip())
    except (TypeError, ValueError):
        raise ServiceError(_("年份参数无效：%(y)s", y=ctx.params.get("year"))) from None
    if not 1949 <= year <= 2100:
        raise ServiceError(_("年份应在 1949–2100 之间"))
    return year


def parse_fact(values: dict, ctx) -> FactRow:
    year = _year(ctx)
    problems: list = []
    code = _code(values, problems)
    _existing_firm(code, problems)
    facts: dict = {}
    for key in service.FACT_FIELDS:
        _cell(values, key, lambda text, k=key: service.fact_value(k, text), problems, facts)
    if problems:
        raise RowInvalid(problems)
    return FactRow(uscc=code, year=year, values=facts)


def apply_fact(row: FactRow, ctx) -> str:
    firm = service.find_firm(row.uscc)
    return service.upsert_fact(ctx.actor, firm, row.year, batch_id=ctx.batch_id, **row.values)


# ----------------------------------------------------------------------------- registration

KINDS = (
    ImportKind(name="firms", domain="registry", label_zh="企业名单", label_en="Firms", columns=FIRM_COLUMNS,
               parse=parse_firm, apply=apply_firm, key=lambda row: row.uscc, prepare=prepare_firms,
               write=write_firms, bulk=True, bulk_tables=("registry_firms",)),
    ImportKind(name="pool-members", domain="registry", label_zh="培育库入库名单", label_en="Pool members",
               columns=POOL_COLUMNS, parse=parse_member, apply=apply_member,
               key=lambda row: f"{row.uscc} {row.entered_on.isoformat()}", params=("pool",)),
    ImportKind(name="facts", domain="registry", label_zh="企业年度数据", label_en="Annual firm facts",
               columns=FACT_COLUMNS, parse=parse_fact, apply=apply_fact, key=lambda row: row.uscc,
               params=("year",)),
)

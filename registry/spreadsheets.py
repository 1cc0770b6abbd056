"""Registry import kinds: firms (upsert by credit code), pool members (--pool), annual facts (--year).

Empty cells mean "not given": they never clear a stored value, so a partial file only adds
information and the same file imported twice changes nothing the second time.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from core.errors import ServiceError
from core.imports import ImportKind, Param
from core.tabular import Column, cells
from core.tabular.cells import Row
from registry import reference, service
from registry.cells import credit_code, known_firm, uscc_column
from registry.models import PLAN_SECTORS

USCC_COLUMN = uscc_column()

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

def parse_date(text: str):
    """A date in any spelling the kit accepts (kept for callers of the registry's old parser)."""
    return cells.parse_date(text)


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


_NAME_REQUIRED = _l("企业名称不能为空")
_FIRM_TEXTS = ("firm_type", "business_scope", "address", "legal_rep", "park", "stock_code", "former_names")


def parse_firm(values: dict, ctx) -> FirmRow:
    row = Row(values)
    code = credit_code(row)
    name = row.required("name", _NAME_REQUIRED)
    given = (("registered_on", row.date("registered_on")),
             ("industry_code", row.cell("industry_code", service.resolve_industry)),
             ("town_code", row.cell("town_code", _town)), ("plan_sector", row.cell("plan_sector", _sector)),
             ("above_scale", row.flag("above_scale")), ("high_tech", row.flag("high_tech")),
             ("listed", row.flag("listed")), *((key, row.text(key) or None) for key in _FIRM_TEXTS))
    # empty cells mean "not given": they never clear a stored value
    fields = {key: value for key, value in given if value is not None}
    fields.update(row.cell("capital", service.capital_fields) or {})   # registry's currency-aware parser
    row.check()
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


def parse_member(values: dict, ctx) -> MemberRow:
    _pool(ctx)
    row = Row(values)
    code = credit_code(row)
    known_firm(row, code, name_key=None)
    entered = row.date("entered_on", required=True, message=_l("请填写入库日期"))
    exited = row.date("exited_on")
    if entered and exited and exited < entered:
        row.problem("exited_on", _("出库日期不能早于入库日期"))
    row.check()
    return MemberRow(uscc=code, entered_on=entered, exited_on=exited, reason=row.text("reason"),
                     exit_reason=row.text("exit_reason"))


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
    row = Row(values)
    code = credit_code(row)
    known_firm(row, code, name_key=None)
    facts: dict = {}
    for key in service.FACT_FIELDS:
        value = row.cell(key, lambda text, k=key: service.fact_value(k, text))
        if value is not None:
            facts[key] = value
    row.check()
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
               key=lambda row: f"{row.uscc} {row.entered_on.isoformat()}", params=(Param("pool", "培育库", "Pool"),)),
    ImportKind(name="facts", domain="registry", label_zh="企业年度数据", label_en="Annual firm facts",
               columns=FACT_COLUMNS, parse=parse_fact, apply=apply_fact, key=lambda row: row.uscc,
               params=(Param("year", "年度", "Year", max_length=4),)),
)

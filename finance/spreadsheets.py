"""Finance spreadsheets: import kinds (ipo-candidates, financing-events) and export tables.

Rows are parsed without writing (parse_*), then applied through finance.service (apply_*).
A firm not yet in the registry is registered when the row gives its name.
"""
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from functools import lru_cache

from flask import has_app_context
from flask_babel import force_locale, gettext as _
from flask_babel import lazy_gettext as _l

from core.errors import ServiceError
from core.exports import UNIT_KINDS, in_unit, money_header
from core.imports import ImportKind
from core.tabular import Column
from core.tabular.cells import Row
from finance import service
from finance.models import (ALL_STAGES, BOARDS, EXITED, FINANCING_TYPES, FIRST_STAGE, LISTED, IpoCandidate,
                            stage_rank)
from registry.cells import credit_code, firm_for_row, firm_name_column, known_firm, lookup_firm, uscc_column

USCC = uscc_column()
FIRM_NAME = firm_name_column()

CANDIDATE_COLUMNS = (
    USCC, FIRM_NAME,
    Column("board", "拟上市板块", "Target board", aliases=("板块", "上市板块", "目标板块", "拟上市地"), required=True),
    Column("entered_on", "入库日期", "Entered on", aliases=("入库时间",), required=True),
    Column("stage", "当前阶段", "Current stage", aliases=("阶段", "所处阶段", "进展阶段")),
    Column("on", "阶段日期", "Stage date", aliases=("当前阶段日期", "阶段时间")),
    Column("note", "阶段说明", "Stage note", aliases=("退出原因", "说明")),
    Column("stock_code", "股票代码", "Stock code", aliases=("证券代码",)),
    Column("sponsor", "保荐机构", "Sponsor", aliases=("保荐人", "券商")),
    Column("law_firm", "律师事务所", "Law firm", aliases=("律所",)),
    Column("auditor", "会计师事务所", "Auditor", aliases=("审计机构", "会所")),
    Column("expected_year", "预计上市年份", "Expected listing year", aliases=("预计上市时间", "预计上市年度")),
    Column("contact_name", "联系人", "Contact", sensitive=True),
    Column("contact_phone", "联系电话", "Contact phone", aliases=("电话", "手机"), sensitive=True),
    Column("remark", "备注", "Remark"),
)

FINANCING_COLUMNS = (
    USCC, FIRM_NAME,
    Column("kind", "融资类型", "Type", aliases=("类型", "融资方式", "品种"), required=True),
    Column("amount", "金额（万元）", "Amount (10k yuan)", aliases=("金额", "融资金额", "融资额", "募集资金"), required=True),
    Column("on", "日期", "Date", aliases=("融资日期", "发行日期", "到账日期"), required=True),
    Column("note", "备注", "Note"),
)

BOARD_ALIASES = {
    "主板": "沪深主板", "上交所主板": "沪深主板", "深交所主板": "沪深主板", "沪市主板": "沪深主板",
    "深市主板": "沪深主板", "a股主板": "沪深主板", "北京证券交易所": "北交所", "港股": "境外", "香港": "境外",
    "港交所": "境外", "美股": "境外", "境外上市": "境外",
}
STAGE_ALIASES = {
    "股改": "股份制改造", "辅导": "辅导备案", "申报": "申报受理", "受理": "申报受理", "审核通过": "审核通过/注册",
    "注册": "审核通过/注册", "注册生效": "审核通过/注册", "过会": "审核通过/注册", "已上市": LISTED, "退库": EXITED,
}
TYPE_ALIASES = {
    "ipo": "IPO", "首发": "IPO", "首次公开发行": "IPO", "增发": "再融资", "定增": "再融资", "配股": "再融资",
    "可转债": "再融资", "公司债券": "公司债", "企业债券": "企业债", "短融": "短期融资券", "超短融": "短期融资券",
    "超短期融资券": "短期融资券", "中票": "中期票据",
}


@lru_cache(maxsize=None)
def _english(choices: tuple[str, ...]) -> dict[str, str]:
    """The English names of `choices` as aliases (compared as `core.tabular.cells.choose` does), so a file
    exported in English imports back."""
    with force_locale("en"):
        names = {c: str(_(c)) for c in choices}
    return {name.lower().replace(" ", ""): c for c, name in names.items() if name != c}


def _aliases(aliases: dict, choices) -> dict:
    return {**_english(tuple(choices)), **aliases} if has_app_context() else aliases


def _resolve_firm(row, ctx):
    """The row's firm when it is applied: registered first when the row named an unknown one."""
    if row.firm_id is not None:
        return lookup_firm(row.uscc)
    return firm_for_row(ctx.actor, row.uscc, row.firm_name, ctx.batch_id)


# ----------------------------------------------------------------------------- candidates

@dataclass
class CandidateRow:
    uscc: str
    firm_name: str
    firm_id: int | None
    board: str
    entered_on: date
    stage: str
    on: date
    note: str
    stock_code: str
    fields: dict


def parse_candidate(values: dict, ctx) -> CandidateRow:
    """One pool row: firm, board, entry date, current stage and its date. Collects every problem."""
    row = Row(values)
    code = credit_code(row)
    firm = known_firm(row, code)
    board = row.choice("board", BOARDS, _aliases(BOARD_ALIASES, BOARDS), required=True)
    entered_on = row.date("entered_on", required=True, message=_l("请填写日期"))
    stage = row.choice("stage", ALL_STAGES, _aliases(STAGE_ALIASES, ALL_STAGES)) if row.raw("stage") else FIRST_STAGE
    on = row.date("on", required=stage not in (None, FIRST_STAGE), message=_l("请填写日期")) or entered_on
    if stage == FIRST_STAGE and entered_on and on != entered_on:
        row.problem("on", _("阶段为“入库”时，阶段日期应与入库日期相同"))
    if entered_on and on and on < entered_on:
        row.problem("on", _("阶段日期不能早于入库日期"))
    note, stock_code = row.text("note"), row.text("stock_code")
    if stage == EXITED and not note:
        row.problem("note", _("退出须填写原因"))
    if stage == LISTED and not stock_code:
        row.problem("stock_code", _("上市须填写股票代码"))
    fields = _candidate_fields(row)
    row.check()
    return CandidateRow(code, row.text("firm_name"), firm.id if firm else None, board, entered_on, stage, on,
                        note, stock_code, fields)


def _candidate_fields(row: Row) -> dict:
    fields = {k: row.text(k) for k in ("sponsor", "law_firm", "auditor", "contact_name", "contact_phone")
              if row.raw(k)}
    if row.raw("remark"):
        fields["note"] = row.text("remark")
    year = row.raw("expected_year").removesuffix("年")
    if year:
        if year.isdigit() and 2000 <= int(year) <= 2100:
            fields["expected_year"] = int(year)
        else:
            row.problem("expected_year", _("预计上市年份应在 2000 至 2100 之间"))
    return fields


def apply_candidate(row: CandidateRow, ctx) -> str:
    """Create the candidacy (then jump to the row's stage) or update the firm's open one."""
    firm = _resolve_firm(row, ctx)
    cand = service.open_candidacy(firm.id) or _closed_same_entry(firm.id, row)
    if cand is None:
        cand = service.add_candidate(ctx.actor, firm=firm, entered_on=row.entered_on, board=row.board,
                                     batch_id=ctx.batch_id, **row.fields)
        _move(cand, row, ctx)
        return "created"
    changed = service.update_candidate(cand, ctx.actor, entered_on=row.entered_on, board=row.board,
                                       batch_id=ctx.batch_id, **row.fields)
    if row.stage != cand.current_stage:
        _move(cand, row, ctx)
        changed = True
    return "updated" if changed else "unchanged"


def _closed_same_entry(firm_id: int, row: CandidateRow) -> IpoCandidate | None:
    """A finished candidacy that this row describes again (re-imported file): compare by entry date."""
    return next((c for c in service.candidates_of_firm(firm_id)
                 if not c.is_open and c.entered_on == row.entered_on), None)


def _move(cand, row, ctx) -> None:
    if row.stage == cand.current_stage:
        return
    note = row.note
    if not note and stage_rank(row.stage) < stage_rank(cand.current_stage):
        raise ServiceError(_("退回到较早的阶段须填写说明"), field="note")
    service.move_stage(cand, stage=row.stage, on=row.on, note=note, stock_code=row.stock_code,
                       actor=ctx.actor, batch_id=ctx.batch_id)


# ----------------------------------------------------------------------------- financing

@dataclass
class FinancingRow:
    uscc: str
    firm_name: str
    firm_id: int | None
    kind: str
    amount: Decimal
    on: date
    note: str


def parse_financing(values: dict, ctx) -> FinancingRow:
    row = Row(values)
    code = credit_code(row)
    firm = known_firm(row, code)
    kind = row.choice("kind", FINANCING_TYPES, _aliases(TYPE_ALIASES, FINANCING_TYPES), required=True)
    amount = row.amount("amount", required=True, positive=True, maximum=service.MAX_AMOUNT)
    on = row.date("on", required=True, message=_l("请填写日期"))
    row.check()
    return FinancingRow(code, row.text("firm_name"), firm.id if firm else None, kind, amount, on, row.text("note"))


def apply_financing(row: FinancingRow, ctx) -> str:
    """Record the event; an identical live event (same firm, type, amount, date) is left unchanged."""
    firm = _resolve_firm(row, ctx)
    if service.find_financing(firm.id, row.kind, row.amount, row.on) is not None:
        return "unchanged"
    service.record_financing(ctx.actor, firm=firm, kind=row.kind, amount=row.amount, on=row.on, note=row.note,
                             batch_id=ctx.batch_id)
    return "created"


# ----------------------------------------------------------------------------- exports

def candidate_table(candidates, *, personal: bool, en: bool = False) -> tuple[list[str], list[list]]:
    """Export rows in the import layout (so an exported file can be edited and re-imported); English
    headers and board / stage names with `en` (the importer reads both)."""
    cols = [c for c in CANDIDATE_COLUMNS if personal or not c.sensitive]
    rows = []
    word = _ if en else str
    for c in candidates:
        record = {"uscc": c.firm.uscc, "firm_name": c.firm.name, "board": word(c.board), "entered_on": c.entered_on,
                  "stage": word(c.current_stage), "on": c.current_stage_on, "note": _last_note(c),
                  "stock_code": c.stock_code or "", "sponsor": c.sponsor, "law_firm": c.law_firm,
                  "auditor": c.auditor, "expected_year": c.expected_year, "contact_name": c.contact_name,
                  "contact_phone": c.contact_phone, "remark": c.note}
        rows.append([record[col.key] for col in cols])
    return [_label(col, en) for col in cols], rows


def _label(col, en: bool) -> str:
    return col.label_en if en and col.label_en else col.label_zh


def _last_note(cand) -> str:
    steps = service.active_stages(cand)
    return steps[-1].note if steps else ""


def financing_table(events, *, en: bool = False) -> tuple[list[str], list[list]]:
    """Events in the import layout: amounts in 万元, as each event is recorded (the header says so); English
    headers and type names with `en` (the importer reads both)."""
    headers = [_label(c, en) for c in FINANCING_COLUMNS]
    word = _ if en else str
    rows = [[e.firm.uscc, e.firm.name, word(e.kind), e.amount, e.on, e.note] for e in events]
    return headers, rows


def financing_totals_table(totals: dict, target) -> tuple[list[str], list[list], dict[int, str]]:
    """Yearly sums by type in 亿元 (the plan's unit for them: 年直接融资100亿元) and the share of the target."""
    headers = [_("年度"), *(money_header(_(t), "yi") for t in FINANCING_TYPES),
               money_header(_("合计"), "yi"), money_header(_("年度目标"), "yi"), _("完成目标")]
    rows = [[year, *(in_unit(row.get(t), "yi") for t in FINANCING_TYPES), in_unit(row["total"], "yi"),
             in_unit(target, "yi"), row["total"] / target if target else None] for year, row in sorted(totals.items())]
    money = {i: UNIT_KINDS["yi"] for i in range(1, len(FINANCING_TYPES) + 3)}
    return headers, rows, {0: "int", **money, len(headers) - 1: "percent"}


KINDS = (
    ImportKind(
        name="ipo-candidates", domain="finance", label_zh="拟上市企业资源库", label_en="Pre-IPO candidates",
        columns=CANDIDATE_COLUMNS, parse=parse_candidate, apply=apply_candidate, key=lambda r: r.uscc),
    ImportKind(
        name="financing-events", domain="finance", label_zh="直接融资事件", label_en="Financing events",
        columns=FINANCING_COLUMNS, parse=parse_financing, apply=apply_financing,
        key=lambda r: f"{r.uscc} {r.kind} {r.amount} {r.on.isoformat()}"),
)

"""Talent spreadsheets: import kinds `talents` and `teams`, and the xlsx export.

ID number columns are declared `sensitive=True`: the core engine masks them in previews and
error reports. Parsing reduces every ID to a PersonKey at once (keyed hash + masked form),
so the clear number never leaves the row being read. Messages name positions, never numbers.
"""
import re
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from core.errors import ServiceError
from core.exports import UNIT_KINDS, in_unit, money_header
from core.imports import ImportKind
from core.tabular import Column, write_xlsx
from core.tabular.cells import Row
from registry.cells import credit_code, known_firm, uscc_column
from talent import service
from talent.forms import UNIT_LABELS
from talent.models import CATEGORIES, HIGH_SKILL, MANAGEMENT, SMART_MAKER, THOUSAND, TALENT_UNITS

SENSITIVE_KEYS = frozenset({"id_number", "leader_id", "member_ids"})

_USCC = uscc_column("用人单位信用代码", "企业信用代码")
_DATE = Column("recognized_on", "认定日期", "Recognized on", aliases=("认定时间", "入选时间", "入选日期"), required=True)
_SUPPORT = Column("support", "资助金额（万元）", "Support (10k yuan)", aliases=("资助金额", "支持金额", "资助"))
_PROGRAMME = Column("programme", "人才项目", "Programme", aliases=("项目", "人才计划", "计划名称", "项目名称"))
_UNIT = Column("unit_code", "登记单位", "Registering unit", aliases=("申报单位", "认定单位"))

TALENT_COLUMNS = (
    Column("name", "姓名", "Name", aliases=("人才姓名",), required=True),
    Column("id_number", "身份证号码", "ID number", aliases=("身份证号", "公民身份号码", "证件号码", "身份证"),
           required=True, sensitive=True),
    Column("category", "人才类别", "Category", aliases=("类别", "人才类型"), required=True),
    _PROGRAMME, _USCC,
    Column("firm_name", "用人单位", "Employer", aliases=("工作单位", "企业名称", "单位名称")),
    _DATE, _SUPPORT, _UNIT,
    Column("note", "备注", "Note"),
)

TEAM_COLUMNS = (
    Column("name", "团队名称", "Team name", aliases=("团队",), required=True),
    _USCC,
    Column("firm_name", "企业名称", "Firm", aliases=("所在企业", "用人单位", "单位名称")),
    Column("leader_id", "负责人身份证号码", "Leader ID number", aliases=("带头人身份证号码", "负责人身份证号"),
           required=True, sensitive=True),
    Column("member_ids", "成员身份证号码", "Member ID numbers", aliases=("团队成员身份证号码", "成员身份证号"),
           sensitive=True),
    _PROGRAMME, _DATE, _SUPPORT, _UNIT,
)

CATEGORY_ALIASES = {"千人计划": THOUSAND, "国家千人计划专家": THOUSAND, "创客": SMART_MAKER, "高技能": HIGH_SKILL,
                    "经营管理": MANAGEMENT, "企业经营管理人才": MANAGEMENT}
UNIT_ALIASES = {"rsj": "rsj", "区人力社保局": "rsj", "人力社保局": "rsj", "区人社局": "rsj", "人社局": "rsj",
                "rcb": "rcb", "区委人才办": "rcb", "人才办": "rcb", "区人才办": "rcb"}


def mask_row(values: dict) -> dict:
    """A copy of a row's {key: text} with the ID columns masked (first and last four kept)."""
    from talent.resident_id import mask
    return {k: (mask(v) if k in SENSITIVE_KEYS and v else v) for k, v in values.items()}


@dataclass(frozen=True)
class RowKey:
    """In-file duplicate key: compares by ID hash, prints without any part of the ID."""

    parts: tuple
    label: str = field(compare=False)

    def __str__(self) -> str:
        return self.label


# --------------------------------------------------------------------------- cells

def _id_key(raw: str, key: str):
    try:
        return service.person_key(raw, field=key)
    except ServiceError as exc:
        if re.fullmatch(r"[\d.]+[eE][+]?\d+|\d{15,17}0{2,}|\d+\.\d+", raw.strip()):
            raise ServiceError(exc.message + _("（该单元格可能被 Excel 当作数字处理，请将身份证号码列设为文本格式）"),
                               field=key) from None
        raise


def _unit(row: Row, ctx) -> str | None:
    """The registering unit: the cell (name or code), else the importing user's own talent unit."""
    if row.raw("unit_code"):
        return row.cell("unit_code", _unit_code)
    unit = getattr(getattr(ctx.actor, "unit", None), "code", None)
    if unit not in TALENT_UNITS:
        row.problem("unit_code", _("请填写登记单位（区人力社保局或区委人才办）"))
        return None
    return unit


def _unit_code(text: str) -> str:
    unit = UNIT_ALIASES.get(text) or UNIT_ALIASES.get(text.lower())
    if unit is None:
        raise ValueError(_("登记单位应为区人力社保局或区委人才办"))
    return unit


def _common(row: Row, ctx) -> dict:
    code = credit_code(row, message=_l("请填写用人单位的统一社会信用代码"))
    known_firm(row, code)
    return dict(
        programme=row.text("programme")[:128],
        uscc=code,
        firm_name=row.text("firm_name") or None,
        recognized_on=row.date("recognized_on", required=True, message=_l("请填写认定日期（YYYY-MM-DD）")),
        support=row.amount("support"),
        unit_code=_unit(row, ctx),
    )


# --------------------------------------------------------------------------- talents

@dataclass(kw_only=True)
class _Recognised:
    """What a talent row and a team row both carry (read by `_common`)."""
    programme: str
    uscc: str
    firm_name: str | None
    recognized_on: date
    support: Decimal | None
    unit_code: str


@dataclass(kw_only=True)
class TalentRow(_Recognised):
    key: service.PersonKey
    name: str
    category: str
    note: str = ""


def parse_talent(values: dict, ctx) -> TalentRow:
    """Check one talent row; every problem of the row at once (RowInvalid)."""
    row = Row(values)
    name = row.required("name", _l("请填写姓名"))
    key = row.cell("id_number", lambda text: _id_key(text, "id_number"), required=True,
                   message=_l("请填写身份证号码"))
    category = row.choice("category", CATEGORIES, CATEGORY_ALIASES, required=True)
    common = _common(row, ctx)
    row.check()
    return TalentRow(key=key, name=name, category=category, note=row.text("note")[:500], **common)


def apply_talent(row: TalentRow, ctx) -> str:
    _rec, outcome = service.register_talent(ctx.actor, batch_id=ctx.batch_id, **vars(row))
    return outcome


def talent_key(row: TalentRow) -> RowKey:
    return RowKey((row.key.hash, row.category, row.programme),
                  _("同一身份证号码、%(category)s、%(programme)s", category=row.category, programme=row.programme or "-"))


# --------------------------------------------------------------------------- teams

@dataclass(kw_only=True)
class TeamRow(_Recognised):
    name: str
    leader: service.PersonKey
    members: list


def parse_team(values: dict, ctx) -> TeamRow:
    row = Row(values)
    name = row.required("name", _l("请填写团队名称"))
    leader = row.cell("leader_id", lambda text: _id_key(text, "leader_id"), required=True,
                      message=_l("请填写负责人身份证号码"))
    members = row.cell("member_ids", service.member_keys)
    common = _common(row, ctx)
    row.check()
    return TeamRow(name=name[:128], leader=leader, members=members or [], **common)


def apply_team(row: TeamRow, ctx) -> str:
    _team, outcome = service.register_team(ctx.actor, batch_id=ctx.batch_id, **vars(row))
    return outcome


def team_key(row: TeamRow) -> RowKey:
    return RowKey((row.name, row.uscc), f"{row.name} / {row.uscc}")


KINDS = (
    ImportKind(name="talents", domain="talent", label_zh="人才名单", label_en="Talents",
               columns=TALENT_COLUMNS, parse=parse_talent, apply=apply_talent, key=talent_key),
    ImportKind(name="teams", domain="talent", label_zh="领军人才团队", label_en="Leading-talent teams",
               columns=TEAM_COLUMNS, parse=parse_team, apply=apply_team, key=team_key),
)


# --------------------------------------------------------------------------- export

def export_persons_xlsx(as_of: date) -> bytes:
    """Personal export (talent units and admin only): one row per recognition, masked IDs."""
    headers = [_("姓名"), _("身份证号码（脱敏）"), _("人才类别"), _("人才项目"), _("统一社会信用代码"), _("用人单位"),
               _("认定日期"), money_header(_("资助金额"), "wan"), _("登记单位")]
    rows = [[r.person.name, r.person.id_masked, _(r.category), r.programme, r.firm.uscc, r.firm.name,
             r.recognized_on, in_unit(r.support, "wan"), str(UNIT_LABELS.get(r.unit_code, r.unit_code))]
            for r in service.counted_recognitions(as_of, CATEGORIES, one_per_category=False)]
    return write_xlsx(headers, rows, sheet_name=_("人才名单"),
                      column_types={1: "text", 4: "text", 6: "date", 7: UNIT_KINDS["wan"]})


def export_aggregates_xlsx(as_of: date) -> bytes:
    """Aggregate export for everyone: persons per firm and category, no personal data."""
    headers = [_("统一社会信用代码"), _("企业名称"), _("人才类别"), _("人数"), money_header(_("资助金额合计"), "wan")]
    rows = [[a["uscc"], a["firm_name"], _(a["category"]), a["persons"], in_unit(a["support"], "wan")]
            for a in service.firm_aggregates(as_of)]
    return write_xlsx(headers, rows, sheet_name=_("人才统计"),
                      column_types={0: "text", 3: "int", 4: UNIT_KINDS["wan"]})

"""Import kinds for the core engine: carriers, tenancies (Torch-style 在孵企业 lists), makers, institutions.

parse_* only read (collecting every problem of a row into RowInvalid); apply_* call service.py with
the import's actor and batch, so the same rules hold as on the forms.
"""
import re
from dataclasses import dataclass
from datetime import date
from decimal import Decimal, InvalidOperation

from flask_babel import gettext as _

from core import dates
from core.errors import ServiceError
from core.imports import ImportKind, RowInvalid
from core.tabular import Column
from incubation import service
from incubation.models import CARRIER_TYPES, INSTITUTION_LEVELS, LEVELS, OUTCOMES, Carrier
from registry import service as registry
from registry import uscc as uscc_codes
from registry.reference import town_by_name

_DATE_RE = re.compile(r"^(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*日?(?:\s+\d{1,2}:\d{2}(?::\d{2})?)?$")


def parse_date(text: str) -> date | None:
    """'2018-03-05', '2018/3/5', '2018.3.5', '2018年3月5日', '20180305' → date; '' → None.

    Raises ValueError with a Chinese message for anything else (incl. impossible dates).
    """
    text = (text or "").strip()
    if not text:
        return None
    m = _DATE_RE.match(text)
    parts = m.groups() if m else ((text[:4], text[4:6], text[6:]) if re.fullmatch(r"\d{8}", text) else None)
    if parts is None:
        raise ValueError(_("日期格式无效：%(v)s（应为 YYYY-MM-DD）", v=text))
    try:
        return date(*(int(p) for p in parts))
    except ValueError:
        raise ValueError(_("不存在的日期：%(v)s", v=text)) from None


class _Row:
    """Collects a row's problems; `raise_if_any()` raises them together."""

    def __init__(self, values: dict):
        self.values, self.problems = values, []

    def text(self, key: str) -> str:
        return (self.values.get(key) or "").strip()

    def required(self, key: str, label: str) -> str:
        value = self.text(key)
        if not value:
            self.problems.append((key, _("%(label)s不能为空", label=label)))
        return value

    def date(self, key: str, label: str = "", required: bool = False) -> date | None:
        if required and not self.required(key, label):
            return None
        try:
            return parse_date(self.text(key))
        except ValueError as exc:
            self.problems.append((key, str(exc)))
            return None

    def choice(self, key: str, label: str, choices, required: bool = True) -> str | None:
        value = self.text(key)
        if not value:
            return self.required(key, label) or None if required else None
        if value not in choices:
            self.problems.append((key, _("%(label)s无效：%(v)s（应为 %(choices)s）", label=label, v=value,
                                         choices="、".join(choices))))
            return None
        return value

    def number(self, key: str, integer: bool = False) -> Decimal | int | None:
        raw = self.text(key).replace(",", "").replace("，", "")
        if not raw:
            return None
        try:
            value = Decimal(raw)
        except InvalidOperation:
            self.problems.append((key, _("不是有效的数字：%(v)s", v=raw)))
            return None
        if not value.is_finite() or value < 0 or (integer and value != value.to_integral_value()):
            self.problems.append((key, _("应为非负整数：%(v)s", v=raw) if integer else _("不能为负数：%(v)s", v=raw)))
            return None
        return int(value) if integer else value

    def carrier(self, key: str = "carrier") -> Carrier | None:
        name = self.required(key, _("载体名称"))
        if not name:
            return None
        carrier = service.carrier_by_name(name)
        if carrier is None or carrier.archived_at is not None:
            self.problems.append((key, _("未知的载体：%(v)s（请先登记该载体）", v=name)))
            return None
        return carrier

    def firm_code(self, key: str = "uscc") -> str:
        raw = self.required(key, _("统一社会信用代码"))
        if not raw:
            return ""
        try:
            return uscc_codes.validate(raw)
        except uscc_codes.USCCError as exc:
            self.problems.append((key, exc.message))
            return ""

    def known_firm(self, code: str, name_key: str = "firm_name") -> None:
        """An unknown credit code needs a firm name (the firm is then created on apply)."""
        if code and registry.find_firm(code) is None and not self.text(name_key):
            self.problems.append((name_key, _("该信用代码不在企业库中，请填写企业名称以同时登记该企业")))

    def raise_if_any(self) -> None:
        if self.problems:
            raise RowInvalid(self.problems)


def _outcome_of(result) -> str:
    return "updated" if result else "unchanged"


# --------------------------------------------------------------------------- carriers

CARRIER_COLUMNS = (
    Column("name", "载体名称", "Carrier name", aliases=("名称", "众创空间名称", "孵化器名称"), required=True),
    Column("carrier_type", "载体类型", "Type", aliases=("类型",), required=True),
    Column("level", "级别", "Level", aliases=("认定级别",), required=True),
    Column("operator", "运营主体", "Operator", aliases=("运营单位", "运营机构")),
    Column("address", "地址", "Address", aliases=("详细地址",)),
    Column("town", "所属镇街", "Town", aliases=("镇街", "街道/镇", "所属街道")),
    Column("area_m2", "面积（平方米）", "Area (m²)", aliases=("面积", "孵化面积", "场地面积")),
    Column("capacity", "可容纳企业数", "Capacity", aliases=("容量",)),
    Column("opened_on", "启用日期", "Opened on", aliases=("开业日期", "运营日期", "成立日期"), required=True),
    Column("recognized_on", "认定日期", "Recognised on", aliases=("认定时间",)),
    Column("closed_on", "关闭日期", "Closed on", aliases=("撤销日期", "注销日期")),
)


@dataclass
class CarrierRow:
    name: str
    fields: dict


def parse_carrier(values: dict, ctx) -> CarrierRow:
    row = _Row(values)
    name = row.required("name", _("载体名称"))
    fields = {
        "name": name,
        "carrier_type": row.choice("carrier_type", _("载体类型"), CARRIER_TYPES),
        "level": row.choice("level", _("级别"), LEVELS),
        "operator": row.text("operator"), "address": row.text("address"),
        "town_code": _town(row), "area_m2": row.number("area_m2"),
        "capacity": row.number("capacity", integer=True),
        "opened_on": row.date("opened_on", _("启用日期"), required=True),
        "recognized_on": row.date("recognized_on"), "closed_on": row.date("closed_on"),
    }
    row.raise_if_any()
    if fields["closed_on"] and fields["closed_on"] < fields["opened_on"]:
        raise ServiceError(_("关闭日期不能早于启用日期"), field="closed_on")
    return CarrierRow(name, fields)


def _town(row: _Row) -> str | None:
    text = row.text("town")
    if not text:
        return None
    found = town_by_name(text)
    if found is None:
        row.problems.append(("town", _("未知的街道/镇：%(v)s", v=text)))
        return None
    return found[0]


def apply_carrier(parsed: CarrierRow, ctx) -> str:
    carrier = service.carrier_by_name(parsed.name)
    if carrier is None:
        service.create_carrier(ctx.actor, batch_id=ctx.batch_id, **parsed.fields)
        return "created"
    fields = {k: v for k, v in parsed.fields.items() if v not in (None, "")}
    return _outcome_of(service.update_carrier(carrier, ctx.actor, batch_id=ctx.batch_id, **fields))


# --------------------------------------------------------------------------- tenancies

TENANCY_COLUMNS = (
    Column("uscc", "统一社会信用代码", "Credit code", aliases=("信用代码", "USCC", "社会信用代码"), required=True),
    Column("firm_name", "企业名称", "Firm name", aliases=("在孵企业名称", "企业")),
    Column("carrier", "载体名称", "Carrier", aliases=("所在载体", "孵化器名称", "众创空间名称", "孵化载体"),
           required=True),
    Column("entered_on", "入孵日期", "Entered on", aliases=("入驻日期", "入孵时间", "入驻时间"), required=True),
    Column("left_on", "离开日期", "Left on", aliases=("毕业日期", "迁出日期", "出孵日期")),
    Column("outcome", "去向", "Outcome", aliases=("出孵方式", "状态")),
)


@dataclass
class TenancyRow:
    uscc: str
    firm_name: str
    carrier: Carrier
    entered_on: date
    left_on: date | None
    outcome: str | None


def parse_tenancy(values: dict, ctx) -> TenancyRow:
    row = _Row(values)
    code = row.firm_code()
    row.known_firm(code)
    carrier = row.carrier()
    entered = row.date("entered_on", _("入孵日期"), required=True)
    left = row.date("left_on")
    outcome = row.choice("outcome", _("去向"), OUTCOMES, required=False)
    row.raise_if_any()
    parsed = TenancyRow(code, row.text("firm_name"), carrier, entered, left, outcome)
    service.check_tenancy_period(carrier, entered, left, outcome)
    firm = registry.find_firm(code)
    if firm is not None and service.find_tenancy(firm.id, carrier.id, entered) is None:
        service.check_no_overlap(firm.id, carrier, entered, left, None)
    return parsed


def apply_tenancy(p: TenancyRow, ctx) -> str:
    firm = registry.find_firm(p.uscc)
    existing = service.find_tenancy(firm.id, p.carrier.id, p.entered_on) if firm else None
    if existing is None:
        service.register_tenancy(ctx.actor, carrier=p.carrier, uscc=p.uscc, firm_name=p.firm_name,
                                 entered_on=p.entered_on, left_on=p.left_on, outcome=p.outcome,
                                 batch_id=ctx.batch_id)
        return "created"
    if p.left_on is None and p.outcome is None:
        return "unchanged"
    return _outcome_of(service.update_tenancy(existing, ctx.actor, entered_on=p.entered_on, left_on=p.left_on,
                                              outcome=p.outcome, note=existing.note, batch_id=ctx.batch_id))


# --------------------------------------------------------------------------- makers

MAKER_COLUMNS = (
    Column("carrier", "载体名称", "Carrier", aliases=("所在载体", "众创空间名称"), required=True),
    Column("year", "年份", "Year", aliases=("年度",), required=True),
    Column("makers", "创客人数", "Makers", aliases=("创客数", "创客数量"), required=True),
)


@dataclass
class MakerRow:
    carrier: Carrier
    year: int
    makers: int


def parse_maker(values: dict, ctx) -> MakerRow:
    row = _Row(values)
    carrier = row.carrier()
    year = row.number("year", integer=True) if row.required("year", _("年份")) else None
    if year is not None and not 2000 <= year <= dates.today().year + 1:
        row.problems.append(("year", _("年份无效")))
    makers = row.number("makers", integer=True) if row.required("makers", _("创客人数")) else None
    row.raise_if_any()
    return MakerRow(carrier, year, makers)


def apply_maker(p: MakerRow, ctx) -> str:
    return service.set_maker_count(ctx.actor, carrier=p.carrier, year=p.year, makers=p.makers,
                                   batch_id=ctx.batch_id)[1]


# --------------------------------------------------------------------------- institutions

INSTITUTION_COLUMNS = (
    Column("uscc", "统一社会信用代码", "Credit code", aliases=("信用代码", "USCC"), required=True),
    Column("firm_name", "企业名称", "Firm name", aliases=("依托企业",)),
    Column("name", "研发机构名称", "Institution name", aliases=("机构名称", "研究院名称"), required=True),
    Column("level", "级别", "Level", aliases=("认定级别", "类别"), required=True),
    Column("recognized_on", "认定日期", "Recognised on", aliases=("认定时间",), required=True),
    Column("revoked_on", "撤销日期", "Revoked on"),
)


@dataclass
class InstitutionRow:
    uscc: str
    firm_name: str
    name: str
    level: str
    recognized_on: date
    revoked_on: date | None


def parse_institution(values: dict, ctx) -> InstitutionRow:
    row = _Row(values)
    code = row.firm_code()
    row.known_firm(code)
    name = row.required("name", _("研发机构名称"))
    level = row.choice("level", _("级别"), INSTITUTION_LEVELS)
    recognized = row.date("recognized_on", _("认定日期"), required=True)
    revoked = row.date("revoked_on")
    row.raise_if_any()
    if revoked and revoked < recognized:
        raise ServiceError(_("撤销日期不能早于认定日期"), field="revoked_on")
    return InstitutionRow(code, row.text("firm_name"), name, level, recognized, revoked)


def apply_institution(p: InstitutionRow, ctx) -> str:
    firm = registry.find_firm(p.uscc)
    existing = service.institution_of(firm.id, p.level, p.name) if firm else None
    if existing is None:
        service.register_institution(ctx.actor, uscc=p.uscc, firm_name=p.firm_name, name=p.name, level=p.level,
                                     recognized_on=p.recognized_on, revoked_on=p.revoked_on, batch_id=ctx.batch_id)
        return "created"
    return _outcome_of(service.update_institution(existing, ctx.actor, name=p.name, level=p.level,
                                                  recognized_on=p.recognized_on, revoked_on=p.revoked_on,
                                                  batch_id=ctx.batch_id))


KINDS = (
    ImportKind(name="carriers", domain="incubation", label_zh="孵化载体", label_en="Incubation carriers",
               columns=CARRIER_COLUMNS, parse=parse_carrier, apply=apply_carrier, key=lambda p: p.name),
    ImportKind(name="tenancies", domain="incubation", label_zh="在孵企业名单", label_en="Incubated firms",
               columns=TENANCY_COLUMNS, parse=parse_tenancy, apply=apply_tenancy,
               key=lambda p: (p.uscc, p.carrier.name, p.entered_on.isoformat())),
    ImportKind(name="makers", domain="incubation", label_zh="创客人数", label_en="Makers counts",
               columns=MAKER_COLUMNS, parse=parse_maker, apply=apply_maker,
               key=lambda p: (p.carrier.name, p.year)),
    ImportKind(name="institutions", domain="incubation", label_zh="企业研发机构", label_en="R&D institutions",
               columns=INSTITUTION_COLUMNS, parse=parse_institution, apply=apply_institution,
               key=lambda p: (p.uscc, p.level, p.name)),
)

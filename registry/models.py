"""Registry records: firms keyed by the credit code, annual facts, cultivation pools."""
from datetime import date, datetime
from decimal import Decimal

from flask_babel import lazy_gettext as _l
from sqlalchemy import event
from sqlalchemy import (Boolean, CheckConstraint, Date, DateTime, ForeignKey, Index, Integer,
                        Numeric, String, Text, UniqueConstraint)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from core import pinyin
from core.db import Archivable, Timestamped, Versioned, db
from core.ranges import Range

MONEY = Numeric(18, 4)
SORT_KEY = String(pinyin.KEY_LENGTH).with_variant(String(pinyin.KEY_LENGTH, collation="C"), "postgresql")
NAME_SEPARATOR = "；"

PLAN_SECTORS = ("新型材料", "智能终端产品", "关键基础件", "高端电子", "信息软件",
                "高端汽配", "智能电器", "时尚服装", "高端装备", "新一代信息技术",
                "光电", "医药健康", "工业创新设计", "科技研发服务", "检测检验")

#: Plausible values of the numeric fields (checked by the services; all inside their columns).
#: Money in 万元: 10^9 万元 = 10万亿元, beyond any firm's capital or annual revenue.
_MONEY_MAX = 1_000_000_000
RANGES = {
    "capital_amount": Range(_l("注册资本"), 0, _MONEY_MAX, _l("万元")),
    "revenue": Range(_l("主营业务收入"), 0, _MONEY_MAX, _l("万元")),
    "output_value": Range(_l("产值"), 0, _MONEY_MAX, _l("万元")),
    "value_added": Range(_l("增加值"), 0, _MONEY_MAX, _l("万元")),
    "rd_spend": Range(_l("研发经费支出"), 0, _MONEY_MAX, _l("万元")),
    "net_profit": Range(_l("净利润"), -_MONEY_MAX, _MONEY_MAX, _l("万元")),
    "brand_output": Range(_l("品牌产品产值"), 0, _MONEY_MAX, _l("万元")),
    "invention_patents": Range(_l("有效发明专利数"), 0, 100_000, _l("件"), whole=True),
    "employees": Range(_l("从业人员"), 0, 1_000_000, _l("人"), whole=True),
    "year": Range(_l("年份"), 1949, 2100, whole=True),
}

PARKS = ("鄞州工业园区", "鄞州经济开发区", "鄞州投资创业中心", "中车产业基地", "南部商务区",
         "e创意特色小镇", "其他")


class Firm(Versioned, Archivable, Timestamped, db.Model):
    __tablename__ = "registry_firms"
    __entity__ = "registry.firm"
    # The list's default view (live firms in pinyin order) and its count read this index only.
    __table_args__ = (Index("ix_registry_firms_live_name_sort", "archived_at", "name_sort"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    uscc: Mapped[str] = mapped_column(String(18), unique=True)
    name: Mapped[str] = mapped_column(String(255), index=True)
    # core.pinyin.sort_key(name), set whenever name is (the event below; the bulk insert sets it):
    # lists "by name" sort on it. Binary collation on PostgreSQL, as on SQLite.
    name_sort: Mapped[str] = mapped_column(SORT_KEY, default="", server_default="")
    # Former names, "；"-separated text (a plain column so the audit trail and import undo restore it
    # exactly); use the `former_names` list property.
    former_names_text: Mapped[str | None] = mapped_column("former_names", Text)
    registered_on: Mapped[date | None] = mapped_column(Date)
    firm_type: Mapped[str | None] = mapped_column(String(100))
    legal_rep: Mapped[str | None] = mapped_column(String(100))
    capital_amount: Mapped[Decimal | None] = mapped_column(MONEY)      # 万 units of capital_currency
    capital_currency: Mapped[str | None] = mapped_column(String(3))
    capital_raw: Mapped[str | None] = mapped_column(String(64))
    business_scope: Mapped[str | None] = mapped_column(Text)
    address: Mapped[str | None] = mapped_column(String(500))
    town_code: Mapped[str | None] = mapped_column(String(9), index=True)   # 330212xxx street/town
    park: Mapped[str | None] = mapped_column(String(64), index=True)
    industry_code: Mapped[str | None] = mapped_column(String(4), index=True)  # GB/T 4754-2017
    plan_sector: Mapped[str | None] = mapped_column(String(32), index=True)
    above_scale: Mapped[bool] = mapped_column(Boolean, default=False)     # 规上
    high_tech: Mapped[bool] = mapped_column(Boolean, default=False)       # 高新技术企业
    listed: Mapped[bool] = mapped_column(Boolean, default=False)          # 上市
    stock_code: Mapped[str | None] = mapped_column(String(16))
    code_override_reason: Mapped[str | None] = mapped_column(Text)      # admin accepted a failing code
    merged_into_id: Mapped[int | None] = mapped_column(ForeignKey("registry_firms.id"), index=True)
    import_batch_id: Mapped[int | None] = mapped_column(Integer, index=True)
    # The unit whose user registered the firm. A user without registry.edit (another unit's editor
    # entering a tenancy, a talent, a pre-IPO candidate with a new code) puts the firm on
    # 区经信局's review list (needs_review) until it is marked reviewed.
    created_by_unit: Mapped[str | None] = mapped_column(String(32))
    needs_review: Mapped[bool] = mapped_column(Boolean, default=False)
    reviewed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    reviewed_by_id: Mapped[int | None] = mapped_column(ForeignKey("core_users.id"))

    facts: Mapped[list["FirmFact"]] = relationship(back_populates="firm", order_by="FirmFact.year")

    @property
    def audit_label(self) -> str:
        return f"{self.name} ({self.uscc})"

    @property
    def former_names(self) -> list[str]:
        return [n for n in (self.former_names_text or "").split(NAME_SEPARATOR) if n]

    @former_names.setter
    def former_names(self, names) -> None:
        text = NAME_SEPARATOR.join(n for n in (names or []) if n) or None
        if text != self.former_names_text:
            self.former_names_text = text

    @property
    def code_overridden(self) -> bool:
        return bool(self.code_override_reason)

    def owner_unit_codes(self):
        return {"jxj"}


@event.listens_for(Firm.name, "set", propagate=True)
def _name_sort(firm, value, _old, _initiator):
    firm.name_sort = pinyin.sort_key(value)


class FirmFact(Versioned, Timestamped, db.Model):
    """One row per firm per year; money in 万元."""

    __tablename__ = "registry_firm_facts"
    __entity__ = "registry.fact"
    __table_args__ = (UniqueConstraint("firm_id", "year"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    firm_id: Mapped[int] = mapped_column(ForeignKey("registry_firms.id"), index=True)
    year: Mapped[int] = mapped_column(Integer, index=True)     # the roll-up reads one year's facts
    revenue: Mapped[Decimal | None] = mapped_column(MONEY)            # 主营业务收入
    output_value: Mapped[Decimal | None] = mapped_column(MONEY)       # 产值
    value_added: Mapped[Decimal | None] = mapped_column(MONEY)        # 增加值
    rd_spend: Mapped[Decimal | None] = mapped_column(MONEY)           # R&D 经费支出
    net_profit: Mapped[Decimal | None] = mapped_column(MONEY)         # 净利润
    invention_patents: Mapped[int | None] = mapped_column(Integer)    # 有效发明专利
    employees: Mapped[int | None] = mapped_column(Integer)
    brand_output: Mapped[Decimal | None] = mapped_column(MONEY)       # 品牌产品产值
    import_batch_id: Mapped[int | None] = mapped_column(Integer, index=True)

    firm: Mapped[Firm] = relationship(back_populates="facts")

    @property
    def audit_label(self) -> str:
        return f"{self.firm.name if self.firm else self.firm_id} · {self.year}"

    def owner_unit_codes(self):
        return {"jxj"}


class Pool(Versioned, Archivable, Timestamped, db.Model):
    """A cultivation pool — data, not code; admins add more."""

    __tablename__ = "registry_pools"
    __entity__ = "registry.pool"

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(48), unique=True)
    name_zh: Mapped[str] = mapped_column(String(100))
    name_en: Mapped[str] = mapped_column(String(160), default="")
    description: Mapped[str] = mapped_column(Text, default="")

    @property
    def audit_label(self) -> str:
        return self.name_zh

    def owner_unit_codes(self):
        return {"jxj"}


class PoolMembership(Versioned, Timestamped, db.Model):
    """Firm in pool from entered_on until exited_on (exclusive). As of D: entered_on <= D < exited_on."""

    __tablename__ = "registry_pool_memberships"
    __entity__ = "registry.membership"
    __table_args__ = (
        CheckConstraint("exited_on IS NULL OR exited_on >= entered_on", name="exit_after_entry"),
        Index("ix_registry_pool_memberships_pool_dates", "pool_id", "entered_on", "exited_on"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    pool_id: Mapped[int] = mapped_column(ForeignKey("registry_pools.id"))
    firm_id: Mapped[int] = mapped_column(ForeignKey("registry_firms.id"), index=True)
    entered_on: Mapped[date] = mapped_column(Date)
    exited_on: Mapped[date | None] = mapped_column(Date)
    reason: Mapped[str] = mapped_column(Text, default="")
    exit_reason: Mapped[str] = mapped_column(Text, default="")
    import_batch_id: Mapped[int | None] = mapped_column(Integer, index=True)

    pool: Mapped[Pool] = relationship()
    firm: Mapped[Firm] = relationship()

    @property
    def audit_label(self) -> str:
        return f"{self.firm.name if self.firm else self.firm_id} @ {self.pool.name_zh if self.pool else self.pool_id}"

    def owner_unit_codes(self):
        return {"jxj"}


class ReconcileTodo(Versioned, Timestamped, db.Model):
    """A row of an applied official list naming a firm that is neither in the registry nor given with a
    valid credit code: kept as a to-do of the pool until an editor enters the code (the firm is found
    or registered and enters the pool on the list's date) or dismisses it. registry.reconcile_todos."""

    __tablename__ = "registry_reconcile_todos"
    __entity__ = "registry.reconcile_todo"
    __table_args__ = (Index("ix_registry_reconcile_todos_pool_status", "pool_id", "status"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    pool_id: Mapped[int] = mapped_column(ForeignKey("registry_pools.id"))
    import_batch_id: Mapped[int | None] = mapped_column(Integer, index=True)    # the reconciliation's batch
    list_name: Mapped[str] = mapped_column(Text, default="")
    as_of: Mapped[date] = mapped_column(Date)
    line: Mapped[int] = mapped_column(Integer)
    name: Mapped[str] = mapped_column(String(255))
    raw: Mapped[str] = mapped_column(Text, default="")
    code: Mapped[str] = mapped_column(String(64), default="")       # what the list gave (invalid or empty)
    status: Mapped[str] = mapped_column(String(12), default="open")  # open | resolved | dismissed
    firm_id: Mapped[int | None] = mapped_column(ForeignKey("registry_firms.id"))
    note: Mapped[str] = mapped_column(Text, default="")
    resolved_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    resolved_by_id: Mapped[int | None] = mapped_column(ForeignKey("core_users.id"))

    pool: Mapped[Pool] = relationship()
    firm: Mapped[Firm | None] = relationship()

    @property
    def audit_label(self) -> str:
        return f"{self.name} @ {self.pool.name_zh if self.pool else self.pool_id}"

    def owner_unit_codes(self):
        return {"jxj"}

"""Finance office records: pre-IPO candidates with a dated stage history, financing events,
listing criteria kept as data. Money in 万元."""
from datetime import date
from decimal import Decimal

from flask_babel import lazy_gettext as _l
from sqlalchemy import (Boolean, CheckConstraint, Date, ForeignKey, Index, Integer, Numeric, String,
                        Text, UniqueConstraint)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from core.db import Archivable, Timestamped, Versioned, db
from core.ranges import Range
from registry.models import Firm

MONEY = Numeric(18, 4)

#: Plausible values of the numeric fields (checked by finance.service and finance.criteria).
#: A financing amount above 10^8 万元 (1万亿元) is a typing error; a criterion's threshold X is
#: 万元 or a percentage, at most 10^8.
RANGES = {
    "amount": Range(_l("融资金额"), 0, 100_000_000, _l("万元")),
    "expected_year": Range(_l("预计上市年份"), 2000, 2100, whole=True),
    "threshold": Range(_l("阈值"), 0, 100_000_000),
    "years": Range(_l("年数"), 1, 10, whole=True),
}

BOARDS = ("沪深主板", "创业板", "科创板", "北交所", "境外")

# The pipeline in order; 退出 (exit, with a reason) can follow any open stage.
STAGES = ("入库", "股份制改造", "辅导备案", "申报受理", "审核通过/注册", "上市")
FIRST_STAGE = STAGES[0]
LISTED = "上市"
EXITED = "退出"
ALL_STAGES = STAGES + (EXITED,)
CLOSING_STAGES = frozenset({LISTED, EXITED})

FINANCING_TYPES = ("IPO", "再融资", "公司债", "企业债", "短期融资券", "中期票据", "其他")

# The plan's direct-financing target: 100亿元 a year, in 万元.
ANNUAL_FINANCING_TARGET = Decimal("1000000")

FINANCE_UNITS = frozenset({"jrb"})


def stage_rank(stage: str) -> int:
    """Position in the pipeline; 退出 ranks after everything (it closes the candidacy)."""
    return STAGES.index(stage) if stage in STAGES else len(STAGES)


class IpoCandidate(Versioned, Archivable, Timestamped, db.Model):
    """A firm in the pre-IPO pool (拟上市企业资源库). Open until it reaches 上市 or 退出.

    `current_stage`/`current_stage_on` mirror the latest IpoStage (kept by the service) so the
    board and the one-open-candidacy rule need no history scan. `closed_on` is the date of 上市/退出.
    """

    __tablename__ = "finance_ipo_candidates"
    __entity__ = "finance.candidate"
    __table_args__ = (
        CheckConstraint("closed_on IS NULL OR closed_on >= entered_on", name="closed_after_entry"),
        Index("ix_finance_ipo_candidates_dates", "entered_on", "closed_on"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    firm_id: Mapped[int] = mapped_column(ForeignKey("registry_firms.id"), index=True)
    entered_on: Mapped[date] = mapped_column(Date)
    board: Mapped[str] = mapped_column(String(16))
    sponsor: Mapped[str] = mapped_column(String(200), default="")       # 保荐机构
    law_firm: Mapped[str] = mapped_column(String(200), default="")      # 律师事务所
    auditor: Mapped[str] = mapped_column(String(200), default="")       # 会计师事务所
    expected_year: Mapped[int | None] = mapped_column(Integer)
    contact_name: Mapped[str] = mapped_column(String(64), default="")   # personal data
    contact_phone: Mapped[str] = mapped_column(String(32), default="")  # personal data
    note: Mapped[str] = mapped_column(Text, default="")
    current_stage: Mapped[str] = mapped_column(String(16), default=FIRST_STAGE, index=True)
    current_stage_on: Mapped[date] = mapped_column(Date)
    closed_on: Mapped[date | None] = mapped_column(Date)
    stock_code: Mapped[str | None] = mapped_column(String(16))
    import_batch_id: Mapped[int | None] = mapped_column(Integer, index=True)

    firm: Mapped[Firm] = relationship(lazy="joined")
    stages: Mapped[list["IpoStage"]] = relationship(
        back_populates="candidate", order_by=lambda: [IpoStage.on, IpoStage.id])

    PERSONAL_FIELDS = frozenset({"contact_name", "contact_phone"})

    @property
    def is_open(self) -> bool:
        return self.current_stage not in CLOSING_STAGES

    @property
    def next_stage(self) -> str | None:
        """The pipeline step after the current one (the board's default move)."""
        rank = stage_rank(self.current_stage)
        return STAGES[rank + 1] if rank + 1 < len(STAGES) else None

    @property
    def audit_label(self) -> str:
        return f"{self.firm.name if self.firm else self.firm_id} · {self.board}"

    def owner_unit_codes(self):
        return FINANCE_UNITS


class IpoStage(Archivable, Timestamped, db.Model):
    """One dated step of a candidate's history; appended by the service, never edited.

    Archivable only so that undoing an import batch can take a step back out; every query
    skips archived steps."""

    __tablename__ = "finance_ipo_stages"
    __entity__ = "finance.stage"

    id: Mapped[int] = mapped_column(primary_key=True)
    candidate_id: Mapped[int] = mapped_column(ForeignKey("finance_ipo_candidates.id"), index=True)
    stage: Mapped[str] = mapped_column(String(16))
    on: Mapped[date] = mapped_column("stage_on", Date, index=True)
    note: Mapped[str] = mapped_column(Text, default="")
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("core_users.id"))
    import_batch_id: Mapped[int | None] = mapped_column(Integer, index=True)

    candidate: Mapped[IpoCandidate] = relationship(back_populates="stages")

    @property
    def audit_label(self) -> str:
        return f"{self.candidate.audit_label if self.candidate else self.candidate_id} · {self.stage}"

    def owner_unit_codes(self):
        return FINANCE_UNITS


class FinancingEvent(Versioned, Archivable, Timestamped, db.Model):
    """Direct financing raised by a firm: type, amount (万元, > 0), date."""

    __tablename__ = "finance_financing_events"
    __entity__ = "finance.financing"
    __table_args__ = (CheckConstraint("amount > 0", name="amount_positive"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    firm_id: Mapped[int] = mapped_column(ForeignKey("registry_firms.id"), index=True)
    kind: Mapped[str] = mapped_column(String(16))
    amount: Mapped[Decimal] = mapped_column(MONEY)
    on: Mapped[date] = mapped_column("event_on", Date, index=True)
    note: Mapped[str] = mapped_column(Text, default="")
    import_batch_id: Mapped[int | None] = mapped_column(Integer, index=True)

    firm: Mapped[Firm] = relationship(lazy="joined")

    @property
    def audit_label(self) -> str:
        return f"{self.firm.name if self.firm else self.firm_id} · {self.kind} · {self.on}"

    def owner_unit_codes(self):
        return FINANCE_UNITS


# kind -> (label, uses `years`, uses `threshold`, threshold unit). Labels are Chinese source
# strings translated in the views.
CRITERION_KINDS = {
    "net_profit_positive_years": ("最近N年净利润均为正", True, False, ""),
    "net_profit_min_each": ("最近N年每年净利润不低于X万元", True, True, "万元"),
    "net_profit_min": ("最近一年净利润不低于X万元", False, True, "万元"),
    "cumulative_net_profit_min": ("最近N年累计净利润不低于X万元", True, True, "万元"),
    "revenue_min": ("最近一年营业收入不低于X万元", False, True, "万元"),
    "cumulative_revenue_min": ("最近N年累计营业收入不低于X万元", True, True, "万元"),
    "rd_intensity_min": ("最近N年累计研发投入占营业收入比例不低于X％", True, True, "%"),
    "rd_spend_min": ("最近N年累计研发投入不低于X万元", True, True, "万元"),
}


class ListingCriterion(Versioned, Archivable, Timestamped, db.Model):
    """One listing condition of a board, as data (admins edit; the seeded ones are examples)."""

    __tablename__ = "finance_listing_criteria"
    __entity__ = "finance.criterion"
    __table_args__ = (UniqueConstraint("board", "key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    board: Mapped[str] = mapped_column(String(16), index=True)
    key: Mapped[str] = mapped_column(String(48))
    label: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(48))
    years: Mapped[int | None] = mapped_column(Integer)
    threshold: Mapped[Decimal | None] = mapped_column(MONEY)
    sort_order: Mapped[int] = mapped_column(Integer, default=0)
    is_example: Mapped[bool] = mapped_column(Boolean, default=False)
    note: Mapped[str] = mapped_column(Text, default="")

    @property
    def audit_label(self) -> str:
        return f"{self.board} · {self.label}"

    def owner_unit_codes(self):
        return FINANCE_UNITS

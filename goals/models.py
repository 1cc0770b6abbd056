"""Goals of the plan, their targets and revisions, reported values, thresholds, snapshots."""
from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import (Boolean, Date, DateTime, ForeignKey, Integer, Numeric, String, Text,
                        UniqueConstraint)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from core.auth.models import Unit, User
from core.db import Timestamped, Versioned, db, utcnow

VALUE = Numeric(18, 4)

KINDS = ("computed", "reported")
# What a goal's figure is (口径): a stock at a date, a cumulative flow over the counting window,
# a flow within each calendar year, a level or ratio, a growth rate, or a reduction.
NATURES = ("stock", "cumulative", "annual_flow", "level", "growth_rate", "reduction")


class Goal(Versioned, Timestamped, db.Model):
    """One target quantity of the plan (附件1 row or 正文 target)."""

    __tablename__ = "goals_goals"
    __entity__ = "goals.goal"

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(64), unique=True)
    position: Mapped[int] = mapped_column(Integer, default=0)
    name_zh: Mapped[str] = mapped_column(String(200))
    name_en: Mapped[str] = mapped_column(String(300), default="")
    category_zh: Mapped[str] = mapped_column(String(64))
    category_en: Mapped[str] = mapped_column(String(128), default="")
    unit_zh: Mapped[str] = mapped_column(String(32), default="")      # unit of measure
    unit_en: Mapped[str] = mapped_column(String(64), default="")
    baseline: Mapped[Decimal | None] = mapped_column(VALUE)
    baseline_year: Mapped[int | None] = mapped_column(Integer)
    kind: Mapped[str] = mapped_column(String(16))                     # computed | reported
    metric: Mapped[str | None] = mapped_column(String(64))
    approximate: Mapped[bool] = mapped_column(Boolean, default=False)
    report_frequency: Mapped[str] = mapped_column(String(8), default="year")   # year | quarter
    source: Mapped[str] = mapped_column(String(64), default="")
    responsible_source: Mapped[str] = mapped_column(String(255), default="")
    plan_text: Mapped[str] = mapped_column(Text, default="")
    note: Mapped[str] = mapped_column(Text, default="")
    conflict_note: Mapped[str] = mapped_column(Text, default="")
    nature: Mapped[str] = mapped_column(String(16), default="stock")
    window_start: Mapped[date | None] = mapped_column(Date)    # counting window (cumulative flows)
    window_end: Mapped[date | None] = mapped_column(Date)
    definition_zh: Mapped[str] = mapped_column(Text, default="")   # 口径, for managers
    definition_en: Mapped[str] = mapped_column(Text, default="")

    unit_links: Mapped[list["GoalUnit"]] = relationship(
        back_populates="goal", order_by="GoalUnit.position", cascade="all, delete-orphan")
    targets: Mapped[list["GoalTarget"]] = relationship(
        back_populates="goal", order_by="GoalTarget.year", cascade="all, delete-orphan")

    @property
    def audit_label(self) -> str:
        return f"{self.name_zh} ({self.key})"

    @property
    def units(self) -> list[Unit]:
        return [link.unit for link in self.unit_links]

    @property
    def lead_unit(self) -> Unit | None:
        return self.unit_links[0].unit if self.unit_links else None

    def owner_unit_codes(self) -> set[str]:
        """The responsible units: their editors may report this goal's values."""
        return {link.unit.code for link in self.unit_links}

    def name(self, lang: str = "zh") -> str:
        return self.name_en if lang == "en" and self.name_en else self.name_zh

    def unit(self, lang: str = "zh") -> str:
        """The unit of the goal's figures (亿元, 家, %, …) in `lang`."""
        return self.unit_en if lang == "en" and self.unit_en else self.unit_zh

    def with_unit(self, label: str, lang: str = "zh") -> str:
        """`label` followed by the goal's unit, as a header: "数值（亿元）", "Value (100 million yuan)"."""
        unit = self.unit(lang)
        if not unit:
            return label
        return f"{label} ({unit})" if lang == "en" else f"{label}（{unit}）"

    def definition(self, lang: str = "zh") -> str:
        return self.definition_en if lang == "en" and self.definition_en else self.definition_zh


class GoalUnit(db.Model):
    """A responsible unit of a goal; position 0 is the lead unit."""

    __tablename__ = "goals_goal_units"
    __table_args__ = (UniqueConstraint("goal_id", "unit_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    goal_id: Mapped[int] = mapped_column(ForeignKey("goals_goals.id"), index=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("core_units.id"), index=True)
    position: Mapped[int] = mapped_column(Integer, default=0)

    goal: Mapped[Goal] = relationship(back_populates="unit_links")
    unit: Mapped[Unit] = relationship(lazy="joined")


class GoalTarget(Versioned, Timestamped, db.Model):
    """A target value for a year, with the wording's source (附件1 or 正文 …)."""

    __tablename__ = "goals_targets"
    __entity__ = "goals.target"
    __table_args__ = (UniqueConstraint("goal_id", "year", "source"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    goal_id: Mapped[int] = mapped_column(ForeignKey("goals_goals.id"), index=True)
    year: Mapped[int] = mapped_column(Integer)
    value: Mapped[Decimal] = mapped_column(VALUE)
    value_max: Mapped[Decimal | None] = mapped_column(VALUE)
    comparator: Mapped[str] = mapped_column(String(8), default=">=")
    approximate: Mapped[bool] = mapped_column(Boolean, default=False)
    source: Mapped[str] = mapped_column(String(64), default="")
    plan_text: Mapped[str] = mapped_column(Text, default="")

    goal: Mapped[Goal] = relationship(back_populates="targets")
    revisions: Mapped[list["TargetRevision"]] = relationship(
        back_populates="target", order_by="TargetRevision.changed_at")

    @property
    def audit_label(self) -> str:
        return f"{self.goal.key if self.goal else self.goal_id} · {self.year} · {self.source}"

    def owner_unit_codes(self) -> set[str]:
        return self.goal.owner_unit_codes() if self.goal else set()


class TargetRevision(db.Model):
    """One admin edit of a target: who, when, old → new."""

    __tablename__ = "goals_target_revisions"

    id: Mapped[int] = mapped_column(primary_key=True)
    target_id: Mapped[int] = mapped_column(ForeignKey("goals_targets.id"), index=True)
    changed_by_id: Mapped[int | None] = mapped_column(ForeignKey("core_users.id"))
    changed_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    old_value: Mapped[Decimal | None] = mapped_column(VALUE)
    new_value: Mapped[Decimal | None] = mapped_column(VALUE)
    old_value_max: Mapped[Decimal | None] = mapped_column(VALUE)
    new_value_max: Mapped[Decimal | None] = mapped_column(VALUE)
    note: Mapped[str] = mapped_column(Text, default="")

    target: Mapped[GoalTarget] = relationship(back_populates="revisions")
    changed_by: Mapped[User | None] = relationship()


class ReportedValue(Versioned, Timestamped, db.Model):
    """A responsible unit's value of a reported goal for one period ("2019" or "2019-Q2")."""

    __tablename__ = "goals_reported_values"
    __entity__ = "goals.report"
    __table_args__ = (UniqueConstraint("goal_id", "period"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    goal_id: Mapped[int] = mapped_column(ForeignKey("goals_goals.id"), index=True)
    period: Mapped[str] = mapped_column(String(8))
    period_end: Mapped[date] = mapped_column(Date)
    value: Mapped[Decimal | None] = mapped_column(VALUE)
    note: Mapped[str] = mapped_column(Text, default="")
    evidence_path: Mapped[str | None] = mapped_column(String(255))   # relative to instance/uploads
    evidence_name: Mapped[str | None] = mapped_column(String(255))   # the uploaded file's own name
    status: Mapped[str] = mapped_column(String(16), default="draft")
    return_reason: Mapped[str] = mapped_column(Text, default="")
    unit_id: Mapped[int | None] = mapped_column(ForeignKey("core_units.id"))
    submitted_by_id: Mapped[int | None] = mapped_column(ForeignKey("core_users.id"))
    submitted_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("core_users.id"))
    decided_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    locked: Mapped[bool] = mapped_column(Boolean, default=False)

    goal: Mapped[Goal] = relationship()
    unit: Mapped[Unit | None] = relationship()
    submitted_by: Mapped[User | None] = relationship(foreign_keys=[submitted_by_id])
    decided_by: Mapped[User | None] = relationship(foreign_keys=[decided_by_id])

    @property
    def audit_label(self) -> str:
        return f"{self.goal.name_zh if self.goal else self.goal_id} · {self.period}"

    def owner_unit_codes(self) -> set[str]:
        return self.goal.owner_unit_codes()


class StatusThreshold(Versioned, db.Model):
    """Status rules as data: `basis` = progress (actual ÷ target) or expected (actual ÷ expected)."""

    __tablename__ = "goals_status_thresholds"
    __entity__ = "goals.threshold"

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(16), unique=True)
    label_zh: Mapped[str] = mapped_column(String(16))
    label_en: Mapped[str] = mapped_column(String(32))
    basis: Mapped[str] = mapped_column(String(16))          # progress | expected | none
    min_ratio: Mapped[Decimal | None] = mapped_column(Numeric(8, 4))
    position: Mapped[int] = mapped_column(Integer, default=0)

    @property
    def audit_label(self) -> str:
        return self.label_zh

    def owner_unit_codes(self) -> set[str]:
        return set()


class GoalSnapshot(db.Model):
    """The nightly value of a goal (trend lines); one per goal per day."""

    __tablename__ = "goals_snapshots"
    __table_args__ = (UniqueConstraint("goal_id", "day"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    goal_id: Mapped[int] = mapped_column(ForeignKey("goals_goals.id"), index=True)
    day: Mapped[date] = mapped_column(Date)
    value: Mapped[Decimal] = mapped_column(VALUE)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class Notification(db.Model):
    """An in-app message to a unit (reminders, returned submissions)."""

    __tablename__ = "goals_notifications"
    __table_args__ = (UniqueConstraint("unit_id", "key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("core_units.id"), index=True)
    key: Mapped[str] = mapped_column(String(128))       # dedup key, e.g. "remind:2019:nc_rate"
    message: Mapped[str] = mapped_column(Text)
    url: Mapped[str | None] = mapped_column(String(255))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    read_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))

    unit: Mapped[Unit] = relationship()


class DataQualityIssue(db.Model):
    """One finding of the nightly data-quality scan (replaced by each run of the same day)."""

    __tablename__ = "goals_data_quality_issues"

    id: Mapped[int] = mapped_column(primary_key=True)
    day: Mapped[date] = mapped_column(Date, index=True)
    kind: Mapped[str] = mapped_column(String(32))       # code_override | long_tenancy | missing_facts
    domain: Mapped[str] = mapped_column(String(32), default="")   # the domain whose check found it (its data)
    firm_id: Mapped[int | None] = mapped_column(Integer)
    firm_name: Mapped[str] = mapped_column(String(255), default="")
    uscc: Mapped[str] = mapped_column(String(18), default="")
    detail: Mapped[str] = mapped_column(Text, default="")


class GoalComment(Versioned, Timestamped, db.Model):
    """分析与建议: a responsible unit's analysis of a goal for one period ("2019" or "2019-Q2")."""

    __tablename__ = "goals_comments"
    __entity__ = "goals.comment"
    __table_args__ = (UniqueConstraint("goal_id", "period", "unit_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    goal_id: Mapped[int] = mapped_column(ForeignKey("goals_goals.id"), index=True)
    period: Mapped[str] = mapped_column(String(8))
    period_end: Mapped[date] = mapped_column(Date)
    unit_id: Mapped[int] = mapped_column(ForeignKey("core_units.id"))
    text: Mapped[str] = mapped_column(Text, default="")
    author_id: Mapped[int | None] = mapped_column(ForeignKey("core_users.id"))

    goal: Mapped[Goal] = relationship()
    unit: Mapped[Unit] = relationship()
    author: Mapped[User | None] = relationship()

    @property
    def audit_label(self) -> str:
        return f"{self.goal.name_zh if self.goal else self.goal_id} · {self.period}"

    def owner_unit_codes(self) -> set[str]:
        """Only the goal's responsible units may write its analysis."""
        return self.goal.owner_unit_codes() if self.goal else set()

"""Incubation records (owner 区科技局): carriers, tenancies, makers counts, R&D institutions, alliances.

As-of rule used throughout: a dated state holds on D when it started on or before D and its end
date is empty or after D (an end date is the first day it no longer holds).
"""
from datetime import date
from decimal import Decimal

from flask_babel import lazy_gettext as _l
from sqlalchemy import (CheckConstraint, Date, ForeignKey, Index, Integer, Numeric, String, Text,
                        UniqueConstraint)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from core.db import Archivable, Timestamped, Versioned, db
from core.ranges import Range
from registry.models import Firm
from registry.queries import period_covers

OWNERS = frozenset({"kjj"})

CARRIER_TYPES = ("众创空间", "孵化器", "加速器", "双创基地/产业园", "高端科创平台")
CARRIER_TYPES_EN = {"众创空间": "Maker space", "孵化器": "Incubator", "加速器": "Accelerator",
                    "双创基地/产业园": "Innovation base / industrial park",
                    "高端科创平台": "High-end S&T platform"}
MAKER_SPACE = "众创空间"
# The carriers whose floor area is 众创孵化面积 (the plan's 50万平方米): maker spaces, incubators and
# accelerators — not innovation bases/industrial parks or high-end S&T platforms.
AREA_CARRIER_TYPES = ("众创空间", "孵化器", "加速器")
LEVELS = ("国家级", "省级", "市级", "区级")
OUTCOMES = ("毕业", "迁出", "注销")
OUTCOMES_EN = {"毕业": "graduated", "迁出": "moved out", "注销": "closed down"}

# R&D institution levels. 省级重点企业研究院 is a provincial recognition of its own (target 8);
# "市级以上企业研发机构" (target 250) = every level except 区级, the key institutes included.
KEY_INSTITUTE = "省级重点企业研究院"
INSTITUTION_LEVELS = ("国家级", KEY_INSTITUTE, "省级", "市级", "区级")
CITY_OR_ABOVE = ("国家级", KEY_INSTITUTE, "省级", "市级")

AREA = Numeric(14, 2)   # square metres

#: Plausible values of the numeric fields (checked by incubation.service; inside their columns).
#: 10,000,000 m² (10 km²) is beyond the largest industrial park of the district.
RANGES = {
    "area_m2": Range(_l("面积"), 0, 10_000_000, _l("平方米")),
    "capacity": Range(_l("可容纳企业数"), 0, 100_000, _l("家"), whole=True),
    "makers": Range(_l("创客人数"), 0, 1_000_000, _l("人"), whole=True),
}


class Carrier(Versioned, Archivable, Timestamped, db.Model):
    """A maker space / incubator / accelerator / base / platform; active as of D when
    opened_on <= D and (closed_on is empty or closed_on > D)."""

    __tablename__ = "incubation_carriers"
    __entity__ = "incubation.carrier"
    __table_args__ = (
        CheckConstraint("closed_on IS NULL OR closed_on >= opened_on", name="closed_after_opened"),
        CheckConstraint("area_m2 IS NULL OR area_m2 >= 0", name="area_not_negative"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    carrier_type: Mapped[str] = mapped_column(String(32), index=True)
    level: Mapped[str] = mapped_column(String(8))
    operator: Mapped[str] = mapped_column(String(200), default="")      # 运营主体
    address: Mapped[str] = mapped_column(String(500), default="")
    town_code: Mapped[str | None] = mapped_column(String(9), index=True)
    area_m2: Mapped[Decimal | None] = mapped_column(AREA)
    capacity: Mapped[int | None] = mapped_column(Integer)                # 可容纳企业数
    opened_on: Mapped[date] = mapped_column(Date)
    recognized_on: Mapped[date | None] = mapped_column(Date)             # 认定日期
    closed_on: Mapped[date | None] = mapped_column(Date)
    note: Mapped[str] = mapped_column(Text, default="")
    import_batch_id: Mapped[int | None] = mapped_column(Integer, index=True)

    tenancies: Mapped[list["Tenancy"]] = relationship(back_populates="carrier",
                                                      order_by="Tenancy.entered_on")

    @property
    def audit_label(self) -> str:
        return self.name

    def owner_unit_codes(self):
        return OWNERS

    def active_on(self, on: date) -> bool:
        return period_covers(self.opened_on, self.closed_on, on)


class Tenancy(Versioned, Archivable, Timestamped, db.Model):
    """A firm in a carrier from entered_on until left_on (exclusive), with the outcome."""

    __tablename__ = "incubation_tenancies"
    __entity__ = "incubation.tenancy"
    __table_args__ = (
        CheckConstraint("left_on IS NULL OR left_on >= entered_on", name="left_after_entered"),
        Index("ix_incubation_tenancies_carrier_dates", "carrier_id", "entered_on", "left_on"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    firm_id: Mapped[int] = mapped_column(ForeignKey("registry_firms.id"), index=True)
    carrier_id: Mapped[int] = mapped_column(ForeignKey("incubation_carriers.id"))
    entered_on: Mapped[date] = mapped_column(Date, index=True)
    left_on: Mapped[date | None] = mapped_column(Date)
    outcome: Mapped[str | None] = mapped_column(String(8))
    note: Mapped[str] = mapped_column(Text, default="")
    import_batch_id: Mapped[int | None] = mapped_column(Integer, index=True)

    firm: Mapped[Firm] = relationship()
    carrier: Mapped[Carrier] = relationship(back_populates="tenancies")

    @property
    def audit_label(self) -> str:
        firm = self.firm.name if self.firm else self.firm_id
        carrier = self.carrier.name if self.carrier else self.carrier_id
        return f"{firm} @ {carrier}"

    def owner_unit_codes(self):
        return OWNERS

    @property
    def is_current(self) -> bool:
        return self.left_on is None


class MakerCount(Versioned, Timestamped, db.Model):
    """Makers (创客) in a carrier in one year."""

    __tablename__ = "incubation_maker_counts"
    __entity__ = "incubation.maker_count"
    __table_args__ = (UniqueConstraint("carrier_id", "year"),
                      CheckConstraint("makers >= 0", name="makers_not_negative"))

    id: Mapped[int] = mapped_column(primary_key=True)
    carrier_id: Mapped[int] = mapped_column(ForeignKey("incubation_carriers.id"), index=True)
    year: Mapped[int] = mapped_column(Integer)
    makers: Mapped[int] = mapped_column(Integer)
    import_batch_id: Mapped[int | None] = mapped_column(Integer, index=True)

    carrier: Mapped[Carrier] = relationship()

    @property
    def audit_label(self) -> str:
        return f"{self.carrier.name if self.carrier else self.carrier_id} · {self.year}"

    def owner_unit_codes(self):
        return OWNERS


class RDInstitution(Versioned, Archivable, Timestamped, db.Model):
    """An enterprise R&D institution (企业研发机构) recognised at a level; counts from
    recognized_on until revoked_on (exclusive)."""

    __tablename__ = "incubation_rd_institutions"
    __entity__ = "incubation.institution"
    __table_args__ = (
        UniqueConstraint("firm_id", "level", "name"),
        CheckConstraint("revoked_on IS NULL OR revoked_on >= recognized_on", name="revoked_after_recognized"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    firm_id: Mapped[int] = mapped_column(ForeignKey("registry_firms.id"), index=True)
    name: Mapped[str] = mapped_column(String(200))
    level: Mapped[str] = mapped_column(String(16), index=True)
    recognized_on: Mapped[date] = mapped_column(Date)
    revoked_on: Mapped[date | None] = mapped_column(Date)
    import_batch_id: Mapped[int | None] = mapped_column(Integer, index=True)

    firm: Mapped[Firm] = relationship()

    @property
    def audit_label(self) -> str:
        return f"{self.name} ({self.level})"

    def owner_unit_codes(self):
        return OWNERS


class Alliance(Versioned, Archivable, Timestamped, db.Model):
    """An industrial technology innovation alliance (产业技术创新联盟)."""

    __tablename__ = "incubation_alliances"
    __entity__ = "incubation.alliance"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    founded_on: Mapped[date] = mapped_column(Date)
    lead_firm_id: Mapped[int | None] = mapped_column(ForeignKey("registry_firms.id"))
    sector: Mapped[str] = mapped_column(String(100), default="")   # 产业领域
    note: Mapped[str] = mapped_column(Text, default="")

    lead_firm: Mapped[Firm | None] = relationship()
    members: Mapped[list["AllianceMember"]] = relationship(back_populates="alliance",
                                                           order_by="AllianceMember.id")

    @property
    def audit_label(self) -> str:
        return self.name

    def owner_unit_codes(self):
        return OWNERS


class AllianceMember(Timestamped, db.Model):
    __tablename__ = "incubation_alliance_members"
    __entity__ = "incubation.alliance_member"
    __table_args__ = (UniqueConstraint("alliance_id", "firm_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    alliance_id: Mapped[int] = mapped_column(ForeignKey("incubation_alliances.id"), index=True)
    firm_id: Mapped[int] = mapped_column(ForeignKey("registry_firms.id"), index=True)
    joined_on: Mapped[date | None] = mapped_column(Date)

    alliance: Mapped[Alliance] = relationship(back_populates="members")
    firm: Mapped[Firm] = relationship()

    @property
    def audit_label(self) -> str:
        return f"{self.firm.name if self.firm else self.firm_id} ∈ {self.alliance.name if self.alliance else ''}"

    def owner_unit_codes(self):
        return OWNERS

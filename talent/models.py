"""Talent records: one Person per human (keyed by a keyed hash of the ID number), their
recognitions (category + programme, employer firm) and the leading-talent teams.

The resident ID number is never stored in clear: `Person.id_hash` is
HMAC-SHA256(PII_HASH_KEY, normalised number) and `Person.id_masked` the display form.
"""
from datetime import date
from decimal import Decimal

from sqlalchemy import Date, ForeignKey, Integer, Numeric, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from core.db import Archivable, Timestamped, Versioned, db
from registry.models import Firm

MONEY = Numeric(18, 4)
TALENT_UNITS = ("rsj", "rcb")

LEADING = "领军人才"
THOUSAND = "千人计划专家"
SMART_MAKER = "智造创客"
HIGH_SKILL = "高技能人才"
MANAGEMENT = "经营管理人才"
CATEGORIES = (LEADING, THOUSAND, SMART_MAKER, HIGH_SKILL, MANAGEMENT)

# Personal fields: written to the audit trail as "***" only.
PERSON_SENSITIVE = frozenset({"name", "id_hash", "id_masked", "birth_year", "sex"})


class _TalentOwned:
    def owner_unit_codes(self):
        return set(TALENT_UNITS)


class Person(_TalentOwned, Versioned, Archivable, Timestamped, db.Model):
    """One human. Found again by `id_hash`; `name` and `id_masked` are personal data."""

    __tablename__ = "talent_persons"
    __entity__ = "talent.person"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(64))
    id_hash: Mapped[str] = mapped_column(String(64), unique=True)
    id_masked: Mapped[str] = mapped_column(String(18))
    birth_year: Mapped[int | None] = mapped_column(Integer)
    sex: Mapped[str | None] = mapped_column(String(1))          # "M" / "F"

    recognitions: Mapped[list["Recognition"]] = relationship(
        back_populates="person", order_by="Recognition.recognized_on")

    @property
    def audit_label(self) -> str:
        """No personal data: the history page is open to every signed-in user."""
        return f"人才#{self.id}"

    @property
    def active_recognitions(self) -> list["Recognition"]:
        return [r for r in self.recognitions if r.archived_at is None]


class Recognition(_TalentOwned, Versioned, Archivable, Timestamped, db.Model):
    """A person recognised in a category under a programme, employed by a firm; support in 万元."""

    __tablename__ = "talent_recognitions"
    __entity__ = "talent.recognition"

    id: Mapped[int] = mapped_column(primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("talent_persons.id"), index=True)
    category: Mapped[str] = mapped_column(String(16), index=True)
    programme: Mapped[str] = mapped_column(String(128), default="")
    firm_id: Mapped[int] = mapped_column(ForeignKey("registry_firms.id"), index=True)
    recognized_on: Mapped[date] = mapped_column(Date, index=True)
    support: Mapped[Decimal | None] = mapped_column(MONEY)          # 万元
    unit_code: Mapped[str] = mapped_column(String(16))              # registering unit: rsj / rcb
    note: Mapped[str] = mapped_column(Text, default="")

    person: Mapped[Person] = relationship(back_populates="recognitions")
    firm: Mapped[Firm] = relationship()

    @property
    def audit_label(self) -> str:
        return f"{self.category} · 人才#{self.person_id}"


class Team(_TalentOwned, Versioned, Archivable, Timestamped, db.Model):
    """A leading-talent team (领军人才团队) at a firm, led by a registered person."""

    __tablename__ = "talent_teams"
    __entity__ = "talent.team"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(128), index=True)
    leader_id: Mapped[int] = mapped_column(ForeignKey("talent_persons.id"), index=True)
    firm_id: Mapped[int] = mapped_column(ForeignKey("registry_firms.id"), index=True)
    programme: Mapped[str] = mapped_column(String(128), default="")
    recognized_on: Mapped[date] = mapped_column(Date, index=True)
    support: Mapped[Decimal | None] = mapped_column(MONEY)          # 万元
    unit_code: Mapped[str] = mapped_column(String(16))

    leader: Mapped[Person] = relationship()
    firm: Mapped[Firm] = relationship()
    memberships: Mapped[list["TeamMember"]] = relationship(back_populates="team", order_by="TeamMember.id")

    @property
    def audit_label(self) -> str:
        return self.name

    @property
    def members(self) -> list[Person]:
        return [m.person for m in self.memberships if m.archived_at is None]


class TeamMember(_TalentOwned, Versioned, Archivable, Timestamped, db.Model):
    """A person's membership of a team; archived when the person leaves (or an import is undone)."""

    __tablename__ = "talent_team_members"
    __entity__ = "talent.team_member"

    id: Mapped[int] = mapped_column(primary_key=True)
    team_id: Mapped[int] = mapped_column(ForeignKey("talent_teams.id"), index=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("talent_persons.id"), index=True)

    team: Mapped[Team] = relationship(back_populates="memberships")
    person: Mapped[Person] = relationship()

    @property
    def audit_label(self) -> str:
        return f"{self.team.name if self.team else self.team_id} · 人才#{self.person_id}"

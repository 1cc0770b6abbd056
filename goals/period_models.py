"""Closed periods: a date whose figures were signed, and each goal's figure frozen on it.

A close is "active" while `active_day` holds its date; reopening clears it (the row stays as
history), so a date can be closed again later. The unique constraint on `active_day` makes a
second close of the same date fail even when two requests race (NULLs never collide).
"""
from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import JSON, Date, DateTime, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from core.auth.models import User
from core.db import Versioned, db, utcnow
from goals.models import VALUE, Goal


class PeriodClose(Versioned, db.Model):
    """A period closed on `day` (a year end, or a quarter end)."""

    __tablename__ = "goals_period_closes"
    __entity__ = "goals.period"

    id: Mapped[int] = mapped_column(primary_key=True)
    day: Mapped[date] = mapped_column(Date, index=True)
    active_day: Mapped[date | None] = mapped_column(Date, unique=True)
    kind: Mapped[str] = mapped_column(String(8))              # year | quarter
    note: Mapped[str] = mapped_column(Text, default="")
    closed_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    closed_by_id: Mapped[int | None] = mapped_column(ForeignKey("core_users.id"))
    reopened_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    reopened_by_id: Mapped[int | None] = mapped_column(ForeignKey("core_users.id"))
    reopen_reason: Mapped[str] = mapped_column(Text, default="")

    closed_by: Mapped[User | None] = relationship(foreign_keys=[closed_by_id])
    reopened_by: Mapped[User | None] = relationship(foreign_keys=[reopened_by_id])
    figures: Mapped[list["PeriodFigure"]] = relationship(
        back_populates="close", cascade="all, delete-orphan", order_by="PeriodFigure.id")

    @property
    def audit_label(self) -> str:
        return self.day.isoformat()

    @property
    def is_open(self) -> bool:
        return self.active_day is None

    def owner_unit_codes(self) -> set[str]:
        return set()     # managers and admins only (goals.close / goals.reopen)


class PeriodFigure(db.Model):
    """One goal's figure as reported on a closed date, with the records behind it."""

    __tablename__ = "goals_period_figures"
    __table_args__ = (UniqueConstraint("close_id", "goal_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    close_id: Mapped[int] = mapped_column(ForeignKey("goals_period_closes.id"), index=True)
    goal_id: Mapped[int] = mapped_column(ForeignKey("goals_goals.id"), index=True)
    actual: Mapped[Decimal | None] = mapped_column(VALUE)
    status: Mapped[str | None] = mapped_column(String(16))
    shown: Mapped[dict] = mapped_column(JSON, default=dict)     # target, expected, progress … as shown
    records: Mapped[list] = mapped_column(JSON, default=list)   # identities and display fields
    record_count: Mapped[int] = mapped_column(Integer, default=0)

    close: Mapped[PeriodClose] = relationship(back_populates="figures")
    goal: Mapped[Goal] = relationship()

"""Data-quality checks on incubation's data, declared in `Domain.quality_checks` and run nightly by goals/.

- long_tenancy: a live tenancy that lasted (or, still open, has lasted until `today`) more than three
  years — longer than the incubation period a carrier may give a firm.
"""
from datetime import date

from sqlalchemy import select

from core.db import db
from core.quality import Finding
from incubation.models import Tenancy
from registry.models import Firm


def _add_years(day: date, years: int) -> date:
    try:
        return day.replace(year=day.year + years)
    except ValueError:  # 29 Feb
        return day.replace(year=day.year + years, day=28)


def long_tenancies(today: date) -> list[Finding]:
    cutoff = _add_years(today, -3)
    stmt = (select(Tenancy, Firm).join(Firm, Firm.id == Tenancy.firm_id)
            .where(Tenancy.archived_at.is_(None), Tenancy.entered_on < cutoff))
    out = []
    for tenancy, firm in db.session.execute(stmt):
        end = tenancy.left_on or today
        if end > _add_years(tenancy.entered_on, 3):
            left = tenancy.left_on.isoformat() if tenancy.left_on else "—"
            out.append(Finding.of_firm("long_tenancy", firm, f"{tenancy.entered_on.isoformat()} → {left}"))
    return out


CHECKS = (long_tenancies,)

"""Read-only queries shared by the pages, the metrics and the timeline (no writes here)."""
from datetime import date

from sqlalchemy import and_, select
from sqlalchemy.orm import selectinload

from core import pinyin
from core.db import db
from incubation.models import Carrier, Tenancy
from registry.queries import in_period

GRADUATION_YEARS = 3   # a tenant longer than this is "due to graduate"


def carrier_active(on: date):
    """SQL condition: carrier opened on or before `on` and not closed by then, not archived."""
    return and_(Carrier.archived_at.is_(None), in_period(Carrier.opened_on, Carrier.closed_on, on))


def tenancy_current(on: date):
    """SQL condition: tenancy entered on or before `on` and not left by then, not archived."""
    return and_(Tenancy.archived_at.is_(None), in_period(Tenancy.entered_on, Tenancy.left_on, on))


def years_before(on: date, years: int) -> date:
    """The same calendar day `years` earlier (29 Feb → 28 Feb)."""
    try:
        return on.replace(year=on.year - years)
    except ValueError:
        return on.replace(year=on.year - years, day=28)


def _with_firm(stmt):
    return stmt.options(selectinload(Tenancy.firm), selectinload(Tenancy.carrier))


def current_tenancies(carrier_id: int, on: date) -> list[Tenancy]:
    stmt = select(Tenancy).where(Tenancy.carrier_id == carrier_id, tenancy_current(on))
    return list(db.session.scalars(_with_firm(stmt).order_by(Tenancy.entered_on, Tenancy.id)))


def past_tenancies(carrier_id: int, on: date) -> list[Tenancy]:
    stmt = select(Tenancy).where(Tenancy.carrier_id == carrier_id, Tenancy.archived_at.is_(None),
                                 Tenancy.left_on.is_not(None), Tenancy.left_on <= on)
    return list(db.session.scalars(_with_firm(stmt).order_by(Tenancy.left_on.desc(), Tenancy.id)))


def due_to_graduate(on: date, years: int = GRADUATION_YEARS) -> list[Tenancy]:
    """Tenants still in an active carrier on `on` who entered more than `years` years before."""
    stmt = (select(Tenancy).join(Tenancy.carrier)
            .where(tenancy_current(on), carrier_active(on), Tenancy.entered_on < years_before(on, years)))
    return list(db.session.scalars(_with_firm(stmt).order_by(Tenancy.entered_on, Tenancy.id)))


def tenancies_by_status(status: str, limit: int | None = None) -> list[Tenancy]:
    """Live tenancies, newest entries first: 'current' (not left), 'left', or any other value for all;
    firm and carrier loaded with them (the list shows both)."""
    stmt = select(Tenancy).where(Tenancy.archived_at.is_(None))
    if status == "current":
        stmt = stmt.where(Tenancy.left_on.is_(None))
    elif status == "left":
        stmt = stmt.where(Tenancy.left_on.is_not(None))
    stmt = stmt.order_by(Tenancy.entered_on.desc(), Tenancy.id.desc()).limit(limit)
    return list(db.session.scalars(_with_firm(stmt)))


def tenancies_of_firm(firm_id: int) -> list[Tenancy]:
    stmt = select(Tenancy).where(Tenancy.firm_id == firm_id, Tenancy.archived_at.is_(None))
    return list(db.session.scalars(_with_firm(stmt).order_by(Tenancy.entered_on)))


def by_name(carriers) -> list[Carrier]:
    """Carriers in pinyin order of their names (a few hundred: sorted here, no stored key)."""
    return sorted(carriers, key=lambda c: (pinyin.sort_key(c.name), c.id))


def carriers(include_archived: bool = False, carrier_type: str | None = None) -> list[Carrier]:
    stmt = select(Carrier)
    if not include_archived:
        stmt = stmt.where(Carrier.archived_at.is_(None))
    if carrier_type:
        stmt = stmt.where(Carrier.carrier_type == carrier_type)
    rows = by_name(db.session.scalars(stmt))
    return sorted(rows, key=lambda c: c.carrier_type)

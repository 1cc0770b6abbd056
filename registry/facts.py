"""Registry annual facts of a firm (money in 万元), each value inside its plausible range (models.RANGES)."""
from __future__ import annotations

from decimal import Decimal

from flask_babel import gettext as _
from sqlalchemy import select

from core.audit import service as audit
from core.errors import ServiceError
from core.db import db
from registry.firms import refuse_archived
from registry.models import RANGES, Firm, FirmFact

FACT_FIELDS = ("revenue", "output_value", "value_added", "rd_spend", "net_profit",
               "invention_patents", "employees", "brand_output")
_INT_FACTS = frozenset({"invention_patents", "employees"})


def upsert_fact(actor, firm: Firm, year: int, batch_id=None, **values) -> str:
    """Set the annual facts of `firm` for `year` (money in 万元). Only the keys given are set
    (None clears). Returns "created" | "updated" | "unchanged"."""
    refuse_archived(firm)
    year = _check_year(year)
    clean = {k: fact_value(k, v) for k, v in values.items()}
    fact = db.session.scalars(select(FirmFact).where(FirmFact.firm_id == firm.id,
                                                     FirmFact.year == year)).first()
    if fact is None:
        fact = FirmFact(firm_id=firm.id, year=year, import_batch_id=batch_id, **clean)
        fact.firm = firm
        db.session.add(fact)
        audit.record(actor, "registry.fact.create", fact, batch_id=batch_id)
        return "created"
    for key, value in clean.items():
        if _differs(getattr(fact, key), value):
            setattr(fact, key, value)
    changes = audit.changes_of(fact)
    if not changes:
        return "unchanged"
    audit.record(actor, "registry.fact.update", fact, changes, batch_id=batch_id)
    return "updated"


def _differs(old, new) -> bool:
    if old is None or new is None:
        return old is not new
    return Decimal(old).compare(Decimal(new)) != 0


def _check_year(year) -> int:
    checked = RANGES["year"].check(year, "year")
    if checked is None:
        raise ServiceError(_("年份无效"), field="year")
    return checked


def fact_value(key: str, value):
    """One fact value checked against RANGES and typed: money as Decimal (万元, 4 places), counts as int."""
    if key not in FACT_FIELDS:
        raise TypeError(f"unknown fact field: {key}")
    number = RANGES[key].check(value, key)
    return number if number is None or key in _INT_FACTS else number.quantize(Decimal("0.0001"))


def facts_of(firm: Firm) -> list[FirmFact]:
    return list(db.session.scalars(select(FirmFact).where(FirmFact.firm_id == firm.id)
                                   .order_by(FirmFact.year)))

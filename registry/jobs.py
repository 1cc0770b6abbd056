"""Data-quality checks on the registry's data, declared in `Domain.quality_checks` and run nightly by goals/.

Each check is `fn(today) -> list[core.quality.Finding]`, one finding per firm:
- code_override: live firms kept with a credit code that failed the check digit (the reason given);
- missing_facts: firms in a pool on `today` without annual facts for the previous year.
"""
from datetime import date

from sqlalchemy import exists, select

from core.db import db
from core.quality import Finding
from registry.models import Firm, FirmFact, Pool, PoolMembership
from registry.queries import member_on


def overridden_codes(today: date) -> list[Finding]:
    stmt = select(Firm).where(Firm.code_override_reason.is_not(None), Firm.code_override_reason != "",
                              Firm.archived_at.is_(None))
    return [Finding.of_firm("code_override", f, f.code_override_reason or "") for f in db.session.scalars(stmt)]


def members_without_facts(today: date) -> list[Finding]:
    year = today.year - 1
    has_fact = exists().where(FirmFact.firm_id == PoolMembership.firm_id, FirmFact.year == year)
    stmt = (select(Firm, Pool).join(PoolMembership, PoolMembership.firm_id == Firm.id)
            .join(Pool, Pool.id == PoolMembership.pool_id)
            .where(member_on(today), ~has_fact).order_by(Firm.name_sort, Firm.id, Pool.id))
    return [Finding.of_firm("missing_facts", firm, f"{pool.name_zh}: {year}")
            for firm, pool in db.session.execute(stmt)]


CHECKS = (overridden_codes, members_without_facts)

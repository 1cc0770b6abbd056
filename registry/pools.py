"""Cultivation pools and firms' memberships: create pools, enter and exit firms, members on a date.

A membership counts on D when entered_on <= D < exited_on (registry.queries.member_on), archived
firms left out. Services take plain values and an explicit actor, write the audit entry and never commit.
"""
from __future__ import annotations

from datetime import date

from flask import has_request_context, request
from flask_babel import gettext as _
from sqlalchemy import event, func, or_, select
from sqlalchemy.orm import Session, contains_eager, joinedload

from core.audit import service as audit
from core.db import db
from core.errors import ServiceError
from registry.firms import refuse_archived
from registry.models import Firm, Pool, PoolMembership
from registry.queries import archived_firm_ids, member_on, period_covers


def pool_by_key(key: str) -> Pool | None:
    return db.session.scalars(select(Pool).where(Pool.key == key)).first()


def active_pools() -> list[Pool]:
    return list(db.session.scalars(select(Pool).where(Pool.archived_at.is_(None)).order_by(Pool.id)))


def create_pool(actor, *, key: str, name_zh: str, name_en: str = "", description: str = "") -> Pool:
    """Add a cultivation pool (admins). `key` is a stable identifier: a-z, 0-9, underscore."""
    key = (key or "").strip().lower()
    if not key or not all(c.isascii() and (c.isalnum() or c == "_") for c in key):
        raise ServiceError(_("标识只能包含小写字母、数字和下划线"), field="key")
    if pool_by_key(key) is not None:
        raise ServiceError(_("该标识已被使用"), field="key")
    if not (name_zh or "").strip():
        raise ServiceError(_("名称不能为空"), field="name_zh")
    pool = Pool(key=key, name_zh=name_zh.strip(), name_en=(name_en or "").strip(),
                description=(description or "").strip())
    db.session.add(pool)
    audit.record(actor, "registry.pool.create", pool)
    return pool


def enter_pool(actor, *, firm: Firm, pool: Pool, entered_on: date, reason: str = "", batch_id=None,
               exited_on: date | None = None, exit_reason: str = "") -> PoolMembership:
    """Put a firm in a pool from `entered_on` (until `exited_on`, exclusive, if given).

    Refused when the firm or pool is archived, or when the dates overlap another membership
    of the same firm in the same pool.
    """
    refuse_archived(firm)
    if pool.archived_at is not None:
        raise ServiceError(_("该培育库已停用"), field="pool")
    if entered_on is None:
        raise ServiceError(_("请填写入库日期"), field="entered_on")
    if exited_on is not None and exited_on < entered_on:
        raise ServiceError(_("出库日期不能早于入库日期"), field="exited_on")
    clash = overlapping_membership(firm, pool, entered_on, exited_on)
    if clash is not None:
        raise ServiceError(_("该企业在此期间已在库中（%(start)s 入库%(end)s），不能重复入库",
                             start=clash.entered_on.isoformat(),
                             end=_("，%(d)s 出库", d=clash.exited_on.isoformat()) if clash.exited_on else ""),
                           field="entered_on")
    membership = PoolMembership(firm_id=firm.id, pool_id=pool.id, entered_on=entered_on,
                                exited_on=exited_on, reason=(reason or "").strip(),
                                exit_reason=(exit_reason or "").strip(), import_batch_id=batch_id)
    membership.firm, membership.pool = firm, pool
    db.session.add(membership)
    audit.record(actor, "registry.membership.create", membership, batch_id=batch_id)
    return membership


def overlapping_membership(firm: Firm, pool: Pool, start: date, end: date | None,
                           exclude_id: int | None = None) -> PoolMembership | None:
    """A membership of `firm` in `pool` whose [entered_on, exited_on) overlaps [start, end)."""
    conds = [PoolMembership.firm_id == firm.id, PoolMembership.pool_id == pool.id,
             or_(PoolMembership.exited_on.is_(None), PoolMembership.exited_on > start)]
    if end is not None:
        conds.append(PoolMembership.entered_on < end)
    if exclude_id is not None:
        conds.append(PoolMembership.id != exclude_id)
    return db.session.scalars(select(PoolMembership).where(*conds)).first()


def exit_pool(actor, membership: PoolMembership, *, exited_on: date, reason: str = "",
              batch_id=None) -> PoolMembership:
    """Record that a firm left a pool on `exited_on` (it counts up to the day before)."""
    if membership.exited_on is not None:
        raise ServiceError(_("该企业已于 %(d)s 出库", d=membership.exited_on.isoformat()), field="exited_on")
    if exited_on is None:
        raise ServiceError(_("请填写出库日期"), field="exited_on")
    if exited_on < membership.entered_on:
        raise ServiceError(_("出库日期不能早于入库日期（%(d)s）", d=membership.entered_on.isoformat()),
                           field="exited_on")
    membership.exited_on = exited_on
    membership.exit_reason = (reason or "").strip()
    audit.record(actor, "registry.membership.exit", membership, batch_id=batch_id)
    return membership


def members_as_of(pool: Pool, on: date) -> list[PoolMembership]:
    """Memberships current on date `on` (entered_on <= on < exited_on), firms loaded; one SELECT."""
    stmt = (select(PoolMembership).join(PoolMembership.firm)
            .where(PoolMembership.pool_id == pool.id, member_on(on), Firm.archived_at.is_(None))
            .options(contains_eager(PoolMembership.firm)).order_by(Firm.name_sort, Firm.id))
    return list(db.session.scalars(stmt))


def member_rows_as_of(pool: Pool, on: date) -> list[tuple[int, int, date]]:
    """(membership id, firm id, entered_on) of members_as_of, as plain rows: at 35,000 members the
    records take seconds to load, these a fraction of that."""
    stmt = (select(PoolMembership.id, PoolMembership.firm_id, PoolMembership.entered_on).join(PoolMembership.firm)
            .where(PoolMembership.pool_id == pool.id, member_on(on), Firm.archived_at.is_(None)))
    return [tuple(r) for r in db.session.execute(stmt)]


def pool_count_as_of(pool: Pool, on: date) -> int:
    """Members on `on`, archived firms left out (as members_as_of)."""
    return member_counts_as_of(on, pool_id=pool.id).get(pool.id, 0)


def member_counts_as_of(on: date, pool_id: int | None = None) -> dict[int, int]:
    """{pool id: members on `on`} for every pool (or one), archived firms left out.

    Counted on the membership index alone, less the memberships of archived firms (few, found
    from the firms' archived_at index): no firm row is read per member. At 100,000 firms and
    50,000 memberships a pool this is a few ms instead of a join of 50,000 firm rows."""
    dated = [member_on(on)]
    if pool_id is not None:
        dated.append(PoolMembership.pool_id == pool_id)
    by_pool = select(PoolMembership.pool_id, func.count()).where(*dated).group_by(PoolMembership.pool_id)
    counts = dict(db.session.execute(by_pool).tuples().all())
    archived_firms = archived_firm_ids()
    for pid, n in db.session.execute(by_pool.where(PoolMembership.firm_id.in_(archived_firms))).tuples():
        counts[pid] -= n
    return counts


def pool_counts(pool: Pool, dates: list[date]) -> list[int]:
    """Member counts at each of `dates`, from one SELECT of the pool's membership intervals."""
    stmt = (select(PoolMembership.entered_on, PoolMembership.exited_on).join(PoolMembership.firm)
            .where(PoolMembership.pool_id == pool.id, Firm.archived_at.is_(None)))
    spans = db.session.execute(stmt).all()
    return [sum(1 for a, b in spans if period_covers(a, b, d)) for d in dates]


def current_membership(firm: Firm, pool: Pool, on: date) -> PoolMembership | None:
    """The firm's membership of `pool` on date `on`, if any (reconciling a published list)."""
    return db.session.scalars(select(PoolMembership).where(
        PoolMembership.firm_id == firm.id, PoolMembership.pool_id == pool.id, member_on(on))).first()


def memberships_of(firm: Firm) -> list[PoolMembership]:
    """The firm's memberships, oldest first, each with its pool (loaded in the same statement)."""
    return list(db.session.scalars(select(PoolMembership).options(joinedload(PoolMembership.pool))
                                   .where(PoolMembership.firm_id == firm.id).order_by(PoolMembership.entered_on)))


_MEMO = "yz.registry.memberships"     # per request, in the WSGI environ (never shared by two requests)


def page_memberships(firm: Firm) -> list[PoolMembership]:
    """memberships_of(firm) read once per request: the firm page's pool table and its timeline
    (registry.timeline) show the same rows. Any flush in the request forgets them."""
    if not has_request_context():
        return memberships_of(firm)
    memo = request.environ.setdefault(_MEMO, {})
    if firm.id not in memo:
        memo[firm.id] = memberships_of(firm)
    return memo[firm.id]


@event.listens_for(Session, "after_flush")
def _forget_page_memberships(_session, _ctx) -> None:
    if has_request_context():
        request.environ.pop(_MEMO, None)


SEED_POOLS = (
    ("single_champion", "单项（隐形）冠军培育库", "Single-champion (hidden champion) cultivation pool"),
    ("high_growth", "高成长性企业培育库", "High-growth firm cultivation pool"),
    ("three_famous", "市级以上\"三名\"企业", "City-level and above \"three famous\" firms"),
    ("national_champion", "国家制造业单项冠军培育", "National manufacturing single-champion cultivation"),
)


def seed_pools() -> str:
    """Insert the plan's cultivation pools that are missing (idempotent; never renames)."""
    added = 0
    for key, zh, en in SEED_POOLS:
        if pool_by_key(key) is None:
            db.session.add(Pool(key=key, name_zh=zh, name_en=en, description=""))
            added += 1
    db.session.flush()
    return f"registry pools: {added} added"

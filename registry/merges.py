"""Merging a duplicate firm into the one kept: facts, memberships and every other domain's links move."""
from __future__ import annotations

from flask_babel import gettext as _
from sqlalchemy import update

from core.audit import service as audit
from core.db import db, utcnow
from core.errors import ServiceError
from registry.facts import FACT_FIELDS, facts_of
from registry.firm_fields import merge_names
from registry.firms import refuse_archived
from registry.models import Firm
from registry.pools import memberships_of, overlapping_membership

#: Tables whose firm links merge_firms handles itself (facts/memberships can conflict).
_SELF_HANDLED = frozenset({"registry_firm_facts", "registry_pool_memberships"})

_FILLABLE = ("registered_on", "firm_type", "legal_rep", "capital_amount", "capital_currency", "capital_raw",
             "business_scope", "address", "town_code", "park", "industry_code", "plan_sector", "stock_code")


def merge_firms(actor, keep: Firm, dup: Firm) -> dict:
    """Merge `dup` into `keep`: every link moves to `keep`, `dup` is archived with merged_into_id.

    Rules: facts of a year `keep` lacks move; for a year both hold, keep's values win and its
    empty values are filled from dup (dup's row stays with the archived dup). Memberships move
    unless they overlap one of keep's in the same pool (then they stay with dup and no longer
    count). Any other table with a foreign key to registry_firms.id (other domains' links) is
    re-pointed generically. keep's empty identity fields are filled from dup; dup's name and
    former names become keep's former names. Audited on both firms. Returns moved counts.
    """
    if keep.id == dup.id:
        raise ServiceError(_("不能将企业与其自身合并"), field="dup")
    refuse_archived(keep)
    refuse_archived(dup)
    moved = {"registry_firm_facts": _merge_facts(actor, keep, dup),
             "registry_pool_memberships": _merge_memberships(actor, keep, dup)}
    moved.update(_move_foreign_links(keep, dup))
    _merge_identity(keep, dup)
    note = _("合并重复记录 %(name)s (%(code)s)", name=dup.name, code=dup.uscc)
    audit.record(actor, "registry.firm.merge", keep, note=note + " " + _moved_text(moved))
    dup.merged_into_id = keep.id
    dup.archived_at = utcnow()
    dup.archived_by_id = getattr(actor, "id", None)
    audit.record(actor, "registry.firm.merged", dup,
                 note=_("已并入 %(name)s (%(code)s)", name=keep.name, code=keep.uscc))
    return moved


def _moved_text(moved: dict) -> str:
    return ", ".join(f"{t}: {n}" for t, n in moved.items() if n)


def _merge_identity(keep: Firm, dup: Firm) -> None:
    for key in _FILLABLE:
        if getattr(keep, key) is None and getattr(dup, key) is not None:
            setattr(keep, key, getattr(dup, key))
    for flag in ("above_scale", "high_tech", "listed"):
        if getattr(dup, flag) and not getattr(keep, flag):
            setattr(keep, flag, True)
    names = merge_names(keep.former_names, [dup.name, *(dup.former_names or [])], exclude=keep.name)
    if names != list(keep.former_names or []):
        keep.former_names = names


def _merge_facts(actor, keep: Firm, dup: Firm) -> int:
    kept = {f.year: f for f in facts_of(keep)}
    moved = 0
    for fact in facts_of(dup):
        target = kept.get(fact.year)
        if target is None:
            fact.firm_id = keep.id
            fact.firm = keep
            audit.record(actor, "registry.fact.move", fact)
            moved += 1
            continue
        for key in FACT_FIELDS:
            if getattr(target, key) is None and getattr(fact, key) is not None:
                setattr(target, key, getattr(fact, key))
        if audit.changes_of(target):
            audit.record(actor, "registry.fact.update", target, note=_("合并时补充"))
    return moved


def _merge_memberships(actor, keep: Firm, dup: Firm) -> int:
    moved = 0
    for m in memberships_of(dup):
        if overlapping_membership(keep, m.pool, m.entered_on, m.exited_on) is not None:
            continue
        m.firm_id = keep.id
        m.firm = keep
        audit.record(actor, "registry.membership.move", m)
        moved += 1
    return moved


def _move_foreign_links(keep: Firm, dup: Firm) -> dict:
    """Re-point every other column that references registry_firms.id from dup to keep."""
    db.session.flush()
    moved = {}
    for table in db.metadata.sorted_tables:
        if table.name in _SELF_HANDLED:
            continue
        for column in table.columns:
            if not any(fk.column.table.name == "registry_firms" for fk in column.foreign_keys):
                continue
            values = {column.name: keep.id}
            if "version" in table.columns:
                values["version"] = table.c.version + 1
            stmt = update(table).where(column == dup.id)
            if table.name == "registry_firms":
                stmt = stmt.where(table.c.id != dup.id)
            try:
                with db.session.begin_nested():
                    count = db.session.execute(stmt.values(**values)).rowcount
            except Exception:  # noqa: BLE001 - a unique constraint in another domain's table
                raise ServiceError(_("无法合并：%(t)s 中两家企业存在冲突的记录，请先处理", t=table.name)) from None
            if count:
                moved[f"{table.name}.{column.name}"] = count
    if moved:
        db.session.expire_all()
    return moved

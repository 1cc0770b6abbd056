"""Firms: the one rule for finding a firm by credit code or registering it, and the firm services.

`find_firm(uscc)` looks a code up (merges followed). `find_or_register_firm(uscc, name, actor=...)`
is the rule every domain's form, import and API uses for "the firm of this credit code": the live
firm, or a new one registered (audited) when the code is unknown and a name is given; otherwise
a ServiceError with the one not-in-registry message. `firm_of_row(uscc, name)` checks the same rule
without writing (an import's validation pass); `known_firm(uscc)` is for links that never register.
A firm registered by another unit than the registry's owner is kept for 区经信局 to review.
Services take plain values and an explicit actor, write the audit entry and never commit.
"""
from __future__ import annotations

from datetime import date

from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy import inspect as sa_inspect

from core import pinyin
from core.audit import service as audit
from core.db import db, insert_rows, pg_planner, utcnow
from core.errors import ServiceError
from core.permissions import can
from core.records import check_version
from registry import uscc as uscc_mod
from registry.firm_fields import merge_names, set_firm_fields, split_names
from registry.models import Firm

#: Codes whose check characters fail but that an admin may accept with a reason.
_OVERRIDABLE = frozenset({"check_digit", "org_check"})


def not_in_registry(*, name_hint: bool = False) -> str:
    """The one message for a credit code the registry does not hold (with a hint to give the name)."""
    if name_hint:
        return _("该信用代码不在企业库中，请填写企业名称，保存时将同时登记该企业")
    return _("该信用代码不在企业库中")


def find_firm(code) -> Firm | None:
    """The firm with this credit code (normalised), following merges to the surviving record."""
    norm = uscc_mod.normalize(code)
    if not norm:
        return None
    firm = db.session.scalars(select(Firm).where(Firm.uscc == norm)).first()
    seen = set()
    while firm is not None and firm.merged_into_id and firm.id not in seen:
        seen.add(firm.id)
        firm = db.session.get(Firm, firm.merged_into_id)
    return firm


def _lookup(stmt):
    """Rows of a lookup of firms by credit code (`Firm.uscc.in_(…)`), planned on the unique index.

    PostgreSQL: on a table an import is still filling (never analysed), its planner took `uscc IN (…)`
    to a scan of the whole table, or to the trigram GIN index (which serves equality too) whose pending
    list — every row the running import wrote — it read through for each lookup: an import of 20,000
    firms spent 150 of its 180 s there, growing with the square of the rows. Here sequential and bitmap
    scans (GIN is only ever read by bitmap) are off for this statement alone, which leaves the btree.
    SQLite looks each value up in its index."""
    with pg_planner(enable_seqscan="off", enable_bitmapscan="off"):
        return db.session.execute(stmt).all()


def firms_by_uscc(codes, chunk: int = 500) -> dict[str, Firm]:
    """{normalised code: firm} for the codes that exist (merged records followed), in few queries."""
    wanted = sorted({uscc_mod.normalize(c) for c in codes if c})
    found: dict[str, Firm] = {}
    for i in range(0, len(wanted), chunk):
        for (firm,) in _lookup(select(Firm).where(Firm.uscc.in_(wanted[i:i + chunk]))):
            found[firm.uscc] = firm
    for code, firm in list(found.items()):
        if firm.merged_into_id:
            found[code] = find_firm(code)
    return found


def validate_code(code, *, actor=None, override_reason: str | None = None) -> str:
    """Normalised valid code, or ServiceError(field="uscc").

    An admin (registry.admin) may accept a code whose check characters fail by giving a reason;
    empty, numeric-corrupted, wrong-length or wrong-character codes are never accepted.
    """
    try:
        return uscc_mod.validate(code)
    except uscc_mod.USCCError as exc:
        reason = (override_reason or "").strip()
        if exc.code in _OVERRIDABLE and reason:
            if actor is None or not can("registry.admin", user=actor):
                raise ServiceError(_("只有管理员可以接受校验未通过的信用代码"), field="uscc") from None
            return uscc_mod.normalize(code)
        raise ServiceError(exc.message, field="uscc") from None


def firm_of_row(uscc, name=None) -> Firm | None:
    """Check the find-or-register rule without writing: the live firm, or None when it will be
    registered (unknown code, valid, with a name). ServiceError: invalid code (field "uscc"),
    archived firm ("uscc"), unknown code without a name ("firm_name")."""
    firm = find_firm(uscc)
    if firm is not None:
        if firm.archived_at is not None:
            raise ServiceError(_("该企业已归档：%(name)s", name=firm.name), field="uscc")
        return firm
    validate_code(uscc)
    if not (name or "").strip():
        raise ServiceError(not_in_registry(name_hint=True), field="firm_name")
    return None


def find_or_register_firm(uscc, name=None, *, actor, batch_id=None) -> Firm:
    """The live firm with credit code `uscc`, or a new firm registered (audited) under `name` when
    the code is unknown. ServiceError as `firm_of_row`. Forms, imports and the API of every domain."""
    firm = firm_of_row(uscc, name)
    if firm is None:
        firm = create_firm(actor, uscc=uscc, name=name.strip(), batch_id=batch_id)
    return firm


def known_firm(uscc, *, field: str = "uscc") -> Firm:
    """The live firm with credit code `uscc`, never registered here (pool entries, alliance members):
    ServiceError on `field` for an invalid code, an unknown one (not_in_registry()) or an archived firm."""
    firm = find_firm(uscc)
    if firm is None:
        try:
            validate_code(uscc)
        except ServiceError as exc:
            raise ServiceError(exc.message, field=field) from None
        raise ServiceError(not_in_registry(), field=field)
    if firm.archived_at is not None:
        raise ServiceError(_("该企业已归档：%(name)s", name=firm.name), field=field)
    return firm


def create_firm(actor, *, uscc, name, batch_id=None, code_override_reason: str | None = None,
                **fields) -> Firm:
    """Register a firm. Raises ServiceError field="uscc" (invalid or taken code) or "name"."""
    code = validate_code(uscc, actor=actor, override_reason=code_override_reason)
    existing = db.session.scalars(select(Firm).where(Firm.uscc == code)).first()
    if existing is not None:
        msg = _("该信用代码已在企业库中：%(name)s", name=existing.name)
        if existing.archived_at is not None:
            msg = _("该信用代码已在企业库中（已归档）：%(name)s，请在修改历史中恢复", name=existing.name)
        raise ServiceError(msg, field="uscc")
    firm = Firm(uscc=code, name="", former_names=[], above_scale=False, high_tech=False, listed=False,
                import_batch_id=batch_id, **_origin(actor))
    if code_override_reason and not uscc_mod.is_valid(code):
        firm.code_override_reason = code_override_reason.strip()
    set_firm_fields(firm, {"name": name, **fields})
    db.session.add(firm)
    audit.record(actor, "registry.firm.create", firm, batch_id=batch_id)
    return firm


class _FirmDraft:
    """A firm not yet written: the field setters work on it as on a Firm (imports' bulk path)."""
    former_names = Firm.former_names
    audit_label = Firm.audit_label

    def __init__(self, values: dict):
        self.__dict__.update(values)


def draft_firm(actor, *, uscc, name, batch_id=None, **fields) -> dict:
    """Check a new firm's values exactly as create_firm does, without an ORM object.

    Returns the attribute values to give `insert_firms`. The caller has established that no firm
    has this code (firms_by_uscc); a concurrent insert of it fails on the unique index.
    """
    code = validate_code(uscc, actor=actor)
    draft = _FirmDraft({**_NEW_FIRM, "uscc": code, "import_batch_id": batch_id, **_origin(actor)})
    set_firm_fields(draft, {"name": name, **fields})
    return vars(draft)


def insert_firms(actor, drafts: list[dict], *, batch_id=None) -> list[int]:
    """Insert drafted firms in one statement and audit each as create_firm does. Returns the ids."""
    if not drafts:
        return []
    # not the ORM's bulk insert: every row has every column, so this is one executemany;
    # one statement, one time of creation for its firms
    now = utcnow()
    insert_rows(Firm.__table__, [{**{_COLUMN_OF[k]: v for k, v in d.items()}, "name_sort": pinyin.sort_key(d["name"]),
                                  "created_at": now, "updated_at": now} for d in drafts])
    codes = [values["uscc"] for values in drafts]
    id_of = dict(tuple(row) for row in _lookup(select(Firm.uscc, Firm.id).where(Firm.uscc.in_(codes))))
    ids = [id_of[code] for code in codes]
    for firm_id, values in zip(ids, drafts):
        ref = audit.AuditRef("registry.firm", str(firm_id), f"{values['name']} ({values['uscc']})"[:255], 1)
        audit.record(actor, "registry.firm.create", ref, audit.changes_of_new(Firm, values), batch_id=batch_id)
    return ids


def update_firm(firm: Firm, actor, *, version: int | None, batch_id=None, note: str = "",
                replace_former: bool = False, **fields) -> bool:
    """Change a firm's fields; `version` from the edit form (None: internal caller, no stale check).

    A new name moves the old one into former_names. former_names given are added to the stored
    ones, or replace them with `replace_former` (the edit form). Returns True when something changed.
    """
    if version is not None:
        check_version(firm, version)
    refuse_archived(firm)
    if replace_former and "former_names" in fields:
        names = merge_names([], split_names(fields.pop("former_names")), exclude=firm.name)
        if names != list(firm.former_names or []):
            firm.former_names = names
    set_firm_fields(firm, fields)
    changes = audit.changes_of(firm)
    if not changes:
        return False
    audit.record(actor, "registry.firm.update", firm, changes, batch_id=batch_id, note=note)
    return True


def upsert_firm(actor, *, uscc, name, batch_id=None, **fields) -> tuple[Firm, str]:
    """Create or update by credit code (imports). Returns (firm, "created"|"updated"|"unchanged")."""
    firm = find_firm(uscc)
    if firm is None:
        return create_firm(actor, uscc=uscc, name=name, batch_id=batch_id, **fields), "created"
    changed = update_firm(firm, actor, version=None, batch_id=batch_id, name=name, **fields)
    return firm, "updated" if changed else "unchanged"


def set_listed(firm: Firm, *, stock_code, actor, on: date | None = None, batch_id=None) -> bool:
    """Mark a firm listed (上市) with its stock code; `on` is noted in the audit entry."""
    note = _("上市日期 %(on)s", on=on.isoformat()) if on else ""
    return update_firm(firm, actor, version=None, batch_id=batch_id, note=note,
                       listed=True, stock_code=stock_code)


_COLUMN_OF = {a.key: a.columns[0].key for a in sa_inspect(Firm).column_attrs}
#: Attribute values of a new firm before its fields are set (the column defaults, explicitly).
_NEW_FIRM = {**{a.key: None for a in sa_inspect(Firm).column_attrs if a.key != "id"},
             "name": "", "above_scale": False, "high_tech": False, "listed": False, "version": 1}


def _origin(actor) -> dict:
    """Who registers a firm: the actor's unit, and whether 区经信局 should review it (the actor
    may not edit the registry: another unit's editor; never the system — CLI, jobs, seeders)."""
    unit = getattr(getattr(actor, "unit", None), "code", None)
    return {"created_by_unit": unit,
            "needs_review": actor is not None and unit is not None and not can("registry.edit", user=actor)}


def firms_to_review() -> list[Firm]:
    """Live firms another unit's user registered, not yet reviewed by 区经信局, newest first."""
    stmt = (select(Firm).where(Firm.needs_review.is_(True), Firm.reviewed_at.is_(None), Firm.archived_at.is_(None))
            .order_by(Firm.created_at.desc(), Firm.id.desc()))
    return list(db.session.scalars(stmt))


def mark_firm_reviewed(firm: Firm, *, actor) -> None:
    """区经信局 has checked a firm another unit registered: it leaves the review list (audited)."""
    if firm.reviewed_at is not None:
        raise ServiceError(_("该企业已审核"))
    firm.reviewed_at = utcnow()
    firm.reviewed_by_id = getattr(actor, "id", None)
    audit.record(actor, "registry.firm.review", firm)


def refuse_archived(firm: Firm) -> None:
    """ServiceError when `firm` is archived (it can no longer be changed)."""
    if firm.archived_at is not None:
        raise ServiceError(_("该企业已归档，不能修改：%(name)s", name=firm.name))

"""Registry services: firms, annual facts, cultivation pools, merges. The only writers of registry tables.

Services take plain values and an explicit actor, write the audit entry and never commit.
Rule breaches raise ServiceError(message, field=...) with a Chinese message.
"""
from __future__ import annotations

from datetime import date
from decimal import Decimal, InvalidOperation

from flask_babel import gettext as _
from sqlalchemy import and_, func, or_, select, update
from sqlalchemy import inspect as sa_inspect

from core.audit import service as audit
from core.db import db, insert_rows, utcnow
from core.errors import ServiceError
from core.permissions import can
from core.records import check_version
from registry import reference, uscc as uscc_mod
from registry.capital import CapitalError, parse_capital
from registry.models import PLAN_SECTORS, Firm, FirmFact, Pool, PoolMembership

#: Firm attributes a caller may set through create_firm / update_firm.
FIRM_FIELDS = frozenset({
    "name", "former_names", "registered_on", "firm_type", "legal_rep", "capital", "capital_amount",
    "capital_currency", "capital_raw", "business_scope", "address", "town_code", "park",
    "industry_code", "plan_sector", "above_scale", "high_tech", "listed", "stock_code",
})
FACT_FIELDS = ("revenue", "output_value", "value_added", "rd_spend", "net_profit",
               "invention_patents", "employees", "brand_output")
_INT_FACTS = frozenset({"invention_patents", "employees"})
_SIGNED_FACTS = frozenset({"net_profit"})
#: Codes whose check characters fail but that an admin may accept with a reason.
_OVERRIDABLE = frozenset({"check_digit", "org_check"})
#: Tables whose firm links merge_firms handles itself (facts/memberships can conflict).
_SELF_HANDLED = frozenset({"registry_firm_facts", "registry_pool_memberships"})


# ----------------------------------------------------------------------------- firms

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


def firms_by_uscc(codes, chunk: int = 500) -> dict[str, Firm]:
    """{normalised code: firm} for the codes that exist (merged records followed), in few queries."""
    wanted = sorted({uscc_mod.normalize(c) for c in codes if c})
    found: dict[str, Firm] = {}
    for i in range(0, len(wanted), chunk):
        for firm in db.session.scalars(select(Firm).where(Firm.uscc.in_(wanted[i:i + chunk]))):
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
                import_batch_id=batch_id)
    if code_override_reason and not uscc_mod.is_valid(code):
        firm.code_override_reason = code_override_reason.strip()
    _set_firm_fields(firm, {"name": name, **fields})
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
    draft = _FirmDraft({**_NEW_FIRM, "uscc": code, "import_batch_id": batch_id})
    _set_firm_fields(draft, {"name": name, **fields})
    return vars(draft)


def insert_firms(actor, drafts: list[dict], *, batch_id=None) -> list[int]:
    """Insert drafted firms in one statement and audit each as create_firm does. Returns the ids."""
    if not drafts:
        return []
    # not the ORM's bulk insert: every row has every column, so this is one executemany;
    # one statement, one time of creation for its firms
    now = utcnow()
    insert_rows(Firm.__table__, [{**{_COLUMN_OF[k]: v for k, v in d.items()}, "created_at": now, "updated_at": now}
                                 for d in drafts])
    codes = [values["uscc"] for values in drafts]
    id_of = dict(db.session.execute(select(Firm.uscc, Firm.id).where(Firm.uscc.in_(codes))).all())
    ids = [id_of[code] for code in codes]
    for firm_id, values in zip(ids, drafts):
        ref = audit.AuditRef("registry.firm", str(firm_id), f"{values['name']} ({values['uscc']})"[:255], 1)
        audit.record(actor, "registry.firm.create", ref, audit.changes_of_new(Firm, values), batch_id=batch_id)
    return ids


def ensure_firm(actor, *, uscc, name=None, batch_id=None) -> Firm:
    """Find the firm, or create it when a name is given; else ServiceError field="uscc"."""
    firm = find_firm(uscc)
    if firm is not None:
        if firm.archived_at is not None:
            raise ServiceError(_("该企业已归档：%(name)s", name=firm.name), field="uscc")
        return firm
    if not (name or "").strip():
        validate_code(uscc)
        raise ServiceError(_("该信用代码不在企业库中"), field="uscc")
    return create_firm(actor, uscc=uscc, name=name, batch_id=batch_id)


def update_firm(firm: Firm, actor, *, version: int | None, batch_id=None, note: str = "",
                replace_former: bool = False, **fields) -> bool:
    """Change a firm's fields; `version` from the edit form (None: internal caller, no stale check).

    A new name moves the old one into former_names. former_names given are added to the stored
    ones, or replace them with `replace_former` (the edit form). Returns True when something changed.
    """
    if version is not None:
        check_version(firm, version)
    _refuse_archived(firm)
    if replace_former and "former_names" in fields:
        names = _merge_names([], _split_names(fields.pop("former_names")), exclude=firm.name)
        if names != list(firm.former_names or []):
            firm.former_names = names
    _set_firm_fields(firm, fields)
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


def _refuse_archived(firm: Firm) -> None:
    if firm.archived_at is not None:
        raise ServiceError(_("该企业已归档，不能修改：%(name)s", name=firm.name))


def _set_firm_fields(firm: Firm, fields: dict) -> None:
    unknown = set(fields) - FIRM_FIELDS
    if unknown:
        raise TypeError(f"unknown firm fields: {sorted(unknown)}")
    if "capital" in fields:
        fields = dict(fields)
        fields.update(capital_fields(fields.pop("capital")))
    for key, value in fields.items():
        _SETTERS.get(key, _set_text)(firm, key, value)
    if firm.stock_code and not firm.listed:
        firm.listed = True


def capital_fields(raw) -> dict:
    """Registered capital text → capital_raw/amount/currency (registry.capital rules)."""
    raw = "" if raw is None else str(raw).strip()
    try:
        cap = parse_capital(raw)
    except CapitalError as exc:
        raise ServiceError(exc.message, field="capital") from None
    if len(raw) > _TEXT_LIMITS["capital_raw"]:
        raise ServiceError(_("内容过长（最多 %(n)s 个字符）", n=_TEXT_LIMITS["capital_raw"]), field="capital")
    return {"capital_raw": raw or None, "capital_amount": cap.amount if cap else None,
            "capital_currency": cap.currency if cap else None}


_TEXT_LIMITS = {c.key: getattr(c.type, "length", None) for c in Firm.__table__.c}


def _set_text(firm, key, value) -> None:
    value = (str(value).strip() or None) if value is not None else None
    limit = _TEXT_LIMITS[key]
    if value is not None and limit and len(value) > limit:
        raise ServiceError(_("内容过长（最多 %(n)s 个字符）", n=limit), field=key)
    if getattr(firm, key) != value:
        setattr(firm, key, value)


def _set_name(firm, _key, value) -> None:
    name = (value or "").strip()
    if not name:
        raise ServiceError(_("企业名称不能为空"), field="name")
    if len(name) > 255:
        raise ServiceError(_("企业名称过长"), field="name")
    if firm.name and firm.name != name:
        firm.former_names = _merge_names(firm.former_names, [firm.name], exclude=name)
    if firm.name != name:
        firm.name = name


def _merge_names(current, extra, *, exclude: str) -> list:
    out = []
    for n in list(current or []) + list(extra):
        n = (n or "").strip()
        if n and n != exclude and n not in out:
            out.append(n)
    return out


def _split_names(value) -> list:
    if isinstance(value, str):
        return value.replace("；", ";").replace("，", ";").replace(",", ";").split(";")
    return list(value or [])


def _set_former_names(firm, _key, value) -> None:
    merged = _merge_names(firm.former_names, _split_names(value), exclude=firm.name)
    if merged != list(firm.former_names or []):
        firm.former_names = merged


def _set_town(firm, _key, value) -> None:
    code = None
    if value:
        found = reference.town_by_name(value)
        if found is None:
            raise ServiceError(_("未知的街道/镇：%(v)s", v=value), field="town_code")
        code = found[0]
    if firm.town_code != code:
        firm.town_code = code


def _set_industry(firm, _key, value) -> None:
    code = resolve_industry(value)
    if firm.industry_code != code:
        firm.industry_code = code


def resolve_industry(value) -> str | None:
    """GB/T 4754-2017 code from a code ("3831", "C") or an exact name; ServiceError when unknown."""
    if value is None or not str(value).strip():
        return None
    text = str(value).strip()
    code = reference.industry_code(text.split()[0]) or reference.industry_code(text)
    if code is None:
        row = reference.industry_by_name(text)
        if row is None:
            raise ServiceError(_("未知的国民经济行业（GB/T 4754-2017）：%(v)s", v=text), field="industry_code")
        code = row["code"]
    return code


def _set_sector(firm, _key, value) -> None:
    value = (value or "").strip() or None
    if value is not None and value not in PLAN_SECTORS:
        raise ServiceError(_("未知的规划产业类别：%(v)s", v=value), field="plan_sector")
    if firm.plan_sector != value:
        firm.plan_sector = value


def _set_bool(firm, key, value) -> None:
    value = bool(value)
    if getattr(firm, key) != value:
        setattr(firm, key, value)


def _set_plain(firm, key, value) -> None:
    if getattr(firm, key) != value:
        setattr(firm, key, value)


def _set_amount(firm, key, value) -> None:
    if value is not None:
        value = Decimal(str(value))
        if value < 0:
            raise ServiceError(_("注册资本不能为负数"), field="capital")
    if firm.capital_amount is None or value is None:
        if firm.capital_amount != value:
            firm.capital_amount = value
    elif firm.capital_amount.compare(value) != 0:
        firm.capital_amount = value


_SETTERS = {
    "name": _set_name, "former_names": _set_former_names, "town_code": _set_town,
    "industry_code": _set_industry, "plan_sector": _set_sector, "above_scale": _set_bool,
    "high_tech": _set_bool, "listed": _set_bool, "registered_on": _set_plain,
    "capital_amount": _set_amount,
}


# ----------------------------------------------------------------------------- facts

def upsert_fact(actor, firm: Firm, year: int, batch_id=None, **values) -> str:
    """Set the annual facts of `firm` for `year` (money in 万元). Only the keys given are set
    (None clears). Returns "created" | "updated" | "unchanged"."""
    _refuse_archived(firm)
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
    try:
        year = int(year)
    except (TypeError, ValueError):
        raise ServiceError(_("年份无效"), field="year") from None
    if not 1949 <= year <= 2100:
        raise ServiceError(_("年份应在 1949–2100 之间"), field="year")
    return year


def fact_value(key: str, value):
    """One fact value checked and typed: money as Decimal (万元, 4 places), counts as int."""
    if key not in FACT_FIELDS:
        raise TypeError(f"unknown fact field: {key}")
    if value is None or value == "":
        return None
    try:
        number = Decimal(str(value).replace(",", "").strip())
    except InvalidOperation:
        raise ServiceError(_("不是有效的数字：%(v)s", v=value), field=key) from None
    if not number.is_finite():
        raise ServiceError(_("不是有效的数字：%(v)s", v=value), field=key)
    if number < 0 and key not in _SIGNED_FACTS:
        raise ServiceError(_("不能为负数"), field=key)
    if key in _INT_FACTS:
        if number != number.to_integral_value():
            raise ServiceError(_("应为整数"), field=key)
        return int(number)
    if abs(number) >= Decimal("1e14"):
        raise ServiceError(_("数值过大"), field=key)
    return number.quantize(Decimal("0.0001"))


def facts_of(firm: Firm) -> list[FirmFact]:
    return list(db.session.scalars(select(FirmFact).where(FirmFact.firm_id == firm.id)
                                   .order_by(FirmFact.year)))


# ----------------------------------------------------------------------------- pools

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
    _refuse_archived(firm)
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


def _as_of_conditions(on: date):
    return and_(PoolMembership.entered_on <= on,
                or_(PoolMembership.exited_on.is_(None), PoolMembership.exited_on > on),
                Firm.archived_at.is_(None))


def members_as_of(pool: Pool, on: date) -> list[PoolMembership]:
    """Memberships current on date `on` (entered_on <= on < exited_on), firms loaded; one SELECT."""
    from sqlalchemy.orm import contains_eager
    stmt = (select(PoolMembership).join(PoolMembership.firm)
            .where(PoolMembership.pool_id == pool.id, _as_of_conditions(on))
            .options(contains_eager(PoolMembership.firm)).order_by(Firm.name))
    return list(db.session.scalars(stmt))


def member_rows_as_of(pool: Pool, on: date) -> list[tuple[int, int, date]]:
    """(membership id, firm id, entered_on) of members_as_of, as plain rows: at 35,000 members the
    records take seconds to load, these a fraction of that."""
    stmt = (select(PoolMembership.id, PoolMembership.firm_id, PoolMembership.entered_on).join(PoolMembership.firm)
            .where(PoolMembership.pool_id == pool.id, _as_of_conditions(on)))
    return [tuple(r) for r in db.session.execute(stmt)]


def pool_count_as_of(pool: Pool, on: date) -> int:
    """Members on `on`, archived firms left out (as members_as_of)."""
    return member_counts_as_of(on, pool_id=pool.id).get(pool.id, 0)


def member_counts_as_of(on: date, pool_id: int | None = None) -> dict[int, int]:
    """{pool id: members on `on`} for every pool (or one), archived firms left out.

    Counted on the membership index alone, less the memberships of archived firms (few, found
    from the firms' archived_at index): no firm row is read per member. At 100,000 firms and
    50,000 memberships a pool this is a few ms instead of a join of 50,000 firm rows."""
    dated = [PoolMembership.entered_on <= on,
             or_(PoolMembership.exited_on.is_(None), PoolMembership.exited_on > on)]
    if pool_id is not None:
        dated.append(PoolMembership.pool_id == pool_id)
    by_pool = select(PoolMembership.pool_id, func.count()).where(*dated).group_by(PoolMembership.pool_id)
    counts = dict(db.session.execute(by_pool).tuples().all())
    archived_firms = select(Firm.id).where(Firm.archived_at.is_not(None))
    for pid, n in db.session.execute(by_pool.where(PoolMembership.firm_id.in_(archived_firms))).tuples():
        counts[pid] -= n
    return counts


def pool_counts(pool: Pool, dates: list[date]) -> list[int]:
    """Member counts at each of `dates`, from one SELECT of the pool's membership intervals."""
    stmt = (select(PoolMembership.entered_on, PoolMembership.exited_on).join(PoolMembership.firm)
            .where(PoolMembership.pool_id == pool.id, Firm.archived_at.is_(None)))
    spans = db.session.execute(stmt).all()
    return [sum(1 for a, b in spans if a <= d and (b is None or b > d)) for d in dates]


def memberships_of(firm: Firm) -> list[PoolMembership]:
    return list(db.session.scalars(select(PoolMembership).where(PoolMembership.firm_id == firm.id)
                                   .order_by(PoolMembership.entered_on)))


def current_membership(firm: Firm, pool: Pool, on: date) -> PoolMembership | None:
    return db.session.scalars(select(PoolMembership).where(
        PoolMembership.firm_id == firm.id, PoolMembership.pool_id == pool.id,
        PoolMembership.entered_on <= on,
        or_(PoolMembership.exited_on.is_(None), PoolMembership.exited_on > on))).first()


# ----------------------------------------------------------------------------- merge

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
    _refuse_archived(keep)
    _refuse_archived(dup)
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
    names = _merge_names(keep.former_names, [dup.name, *(dup.former_names or [])], exclude=keep.name)
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


# ----------------------------------------------------------------------------- seed

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

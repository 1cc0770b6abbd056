"""Incubation services: the only place that changes incubation data. Callers commit.

Every rule is a ServiceError(field=...) here, so the forms, the API and the imports share it:
- a tenancy's left_on is not before its entered_on;
- one firm's tenancies in the same carrier never overlap (periods are [entered_on, left_on));
- a tenancy starts on or after the carrier opened and before it closed.
"""
from datetime import date

from flask_babel import gettext as _
from sqlalchemy import func, select

from core import dates
from core.audit import service as audit
from core.db import db
from core.errors import ServiceError
from incubation.models import (CARRIER_TYPES, INSTITUTION_LEVELS, LEVELS, OUTCOMES, RANGES, Alliance,
                               AllianceMember, Carrier, MakerCount, RDInstitution, Tenancy)
from registry import service as registry
from registry.queries import in_period

CARRIER_FIELDS = ("name", "carrier_type", "level", "operator", "address", "town_code", "area_m2",
                  "capacity", "opened_on", "recognized_on", "closed_on", "note")


# --------------------------------------------------------------------------- carriers

def carrier_by_name(name: str) -> Carrier | None:
    """The carrier called `name` (surrounding spaces ignored), archived ones included."""
    name = (name or "").strip()
    return db.session.scalars(select(Carrier).where(Carrier.name == name)).first() if name else None


def create_carrier(actor, *, batch_id: int | None = None, **fields) -> Carrier:
    """Register a carrier. Fields: see CARRIER_FIELDS (name, carrier_type, level, opened_on required).

    Raises ServiceError for a duplicate name, an unknown type/level, closed_on before opened_on,
    or a negative area/capacity.
    """
    values = _carrier_values(fields)
    _check_carrier(values, None)
    carrier = Carrier(**values, import_batch_id=batch_id)
    db.session.add(carrier)
    audit.record(actor, "incubation.carrier.create", carrier, batch_id=batch_id)
    return carrier


def update_carrier(carrier: Carrier, actor, *, batch_id: int | None = None, **fields) -> bool:
    """Change a carrier's fields (only those given). Returns False when nothing changed.

    Besides the create rules: moving opened_on/closed_on must keep every tenancy inside the
    carrier's open period.
    """
    values = {**{k: getattr(carrier, k) for k in CARRIER_FIELDS}, **_carrier_values(fields)}
    _check_carrier(values, carrier)
    for key, value in values.items():
        if getattr(carrier, key) != value:
            setattr(carrier, key, value)
    changes = audit.changes_of(carrier)
    if not changes:
        return False
    audit.record(actor, "incubation.carrier.update", carrier, changes, batch_id=batch_id)
    return True


def _carrier_values(fields: dict) -> dict:
    unknown = set(fields) - set(CARRIER_FIELDS)
    if unknown:
        raise TypeError(f"unknown carrier fields: {sorted(unknown)}")
    out = dict(fields)
    for key in ("name", "operator", "address", "note"):
        if key in out:
            out[key] = (out[key] or "").strip()
    if "town_code" in out:
        out["town_code"] = out["town_code"] or None
    return out


def _check_carrier(values: dict, carrier: Carrier | None) -> None:
    if not values.get("name"):
        raise ServiceError(_("请填写载体名称"), field="name")
    other = carrier_by_name(values["name"])
    if other is not None and other is not carrier:
        raise ServiceError(_("已有同名载体：%(name)s", name=values["name"]), field="name")
    if values.get("carrier_type") not in CARRIER_TYPES:
        raise ServiceError(_("载体类型无效，应为：%(choices)s", choices="、".join(CARRIER_TYPES)),
                           field="carrier_type")
    if values.get("level") not in LEVELS:
        raise ServiceError(_("载体级别无效，应为：%(choices)s", choices="、".join(LEVELS)), field="level")
    _check_carrier_numbers(values)
    _check_carrier_dates(values, carrier)


def _check_carrier_numbers(values: dict) -> None:
    for key in ("area_m2", "capacity"):
        if key in values:
            values[key] = RANGES[key].check(values[key], key)


def _check_carrier_dates(values: dict, carrier: Carrier | None) -> None:
    opened, closed = values.get("opened_on"), values.get("closed_on")
    if opened is None:
        raise ServiceError(_("请填写启用日期"), field="opened_on")
    if closed is not None and closed < opened:
        raise ServiceError(_("关闭日期不能早于启用日期"), field="closed_on")
    if carrier is None or carrier.id is None:
        return
    live = [t for t in carrier.tenancies if t.archived_at is None]
    early = [t for t in live if t.entered_on < opened]
    if early:
        raise ServiceError(_("已有企业在 %(date)s 入驻，启用日期不能晚于该日期",
                             date=min(t.entered_on for t in early).isoformat()), field="opened_on")
    if closed is not None and any(t.entered_on >= closed or t.left_on is None or t.left_on > closed
                                  for t in live):
        raise ServiceError(_("关闭日期之后仍有在孵企业，请先为这些企业办理毕业或迁出"), field="closed_on")


# --------------------------------------------------------------------------- tenancies

def register_tenancy(actor, *, carrier: Carrier, uscc: str, entered_on: date, firm_name: str | None = None,
                     left_on: date | None = None, outcome: str | None = None, note: str = "",
                     batch_id: int | None = None) -> Tenancy:
    """Register a firm's entry into `carrier`. When the credit code is not in the registry and
    `firm_name` is given, the firm is created too (registry validation) in the same transaction.

    Raises ServiceError on the tenancy rules (module docstring), an unknown firm without a name
    (field firm_name), or a credit code the registry refuses (field uscc).
    """
    check_tenancy_period(carrier, entered_on, left_on, outcome)
    firm = registry.find_or_register_firm(uscc, firm_name, actor=actor, batch_id=batch_id)
    check_no_overlap(firm.id, carrier, entered_on, left_on, None)
    tenancy = Tenancy(firm=firm, carrier=carrier, entered_on=entered_on, left_on=left_on,
                      outcome=outcome or None, note=(note or "").strip(), import_batch_id=batch_id)
    db.session.add(tenancy)
    audit.record(actor, "incubation.tenancy.create", tenancy, batch_id=batch_id)
    return tenancy


def update_tenancy(tenancy: Tenancy, actor, *, entered_on: date, left_on: date | None,
                   outcome: str | None, note: str = "", batch_id: int | None = None) -> bool:
    """Correct a tenancy's dates, outcome or note; same rules as registering. False if unchanged."""
    check_tenancy_period(tenancy.carrier, entered_on, left_on, outcome)
    check_no_overlap(tenancy.firm_id, tenancy.carrier, entered_on, left_on, tenancy)
    tenancy.entered_on, tenancy.left_on = entered_on, left_on
    tenancy.outcome, tenancy.note = outcome or None, (note or "").strip()
    changes = audit.changes_of(tenancy)
    if not changes:
        return False
    audit.record(actor, "incubation.tenancy.update", tenancy, changes, batch_id=batch_id)
    return True


def end_tenancy(tenancy: Tenancy, actor, *, outcome: str, left_on: date, note: str = "") -> Tenancy:
    """Graduate (毕业), move out (迁出) or close (注销) a current tenant on `left_on`.

    Raises ServiceError when the tenancy has already ended, the outcome is unknown, or the date
    is before the entry date or after the carrier closed.
    """
    if tenancy.left_on is not None:
        raise ServiceError(_("该企业已于 %(date)s 离开该载体", date=tenancy.left_on.isoformat()))
    check_tenancy_period(tenancy.carrier, tenancy.entered_on, left_on, outcome, require_outcome=True)
    tenancy.left_on, tenancy.outcome = left_on, outcome
    if note:
        tenancy.note = "\n".join(filter(None, [tenancy.note, note.strip()]))
    verb = {"毕业": "graduate", "迁出": "move_out", "注销": "close"}[outcome]
    audit.record(actor, f"incubation.tenancy.{verb}", tenancy)
    return tenancy


def graduate_tenancy(tenancy: Tenancy, actor, *, on: date, note: str = "") -> Tenancy:
    return end_tenancy(tenancy, actor, outcome="毕业", left_on=on, note=note)


def check_tenancy_period(carrier: Carrier, entered_on: date | None, left_on: date | None,
                  outcome: str | None, *, require_outcome: bool = False) -> None:
    if carrier is None:
        raise ServiceError(_("请选择载体"), field="carrier")
    if carrier.archived_at is not None:
        raise ServiceError(_("该载体已归档：%(name)s", name=carrier.name), field="carrier")
    if entered_on is None:
        raise ServiceError(_("请填写入孵日期"), field="entered_on")
    if entered_on < carrier.opened_on:
        raise ServiceError(_("入孵日期不能早于载体启用日期（%(date)s）", date=carrier.opened_on.isoformat()),
                           field="entered_on")
    if carrier.closed_on is not None and entered_on >= carrier.closed_on:
        raise ServiceError(_("载体已于 %(date)s 关闭，入孵日期须早于关闭日期", date=carrier.closed_on.isoformat()),
                           field="entered_on")
    _check_exit(carrier, entered_on, left_on, outcome, require_outcome)


def _check_exit(carrier, entered_on, left_on, outcome, require_outcome) -> None:
    if left_on is not None and left_on < entered_on:
        raise ServiceError(_("离开日期不能早于入孵日期（%(date)s）", date=entered_on.isoformat()),
                           field="left_on")
    if left_on is not None and carrier.closed_on is not None and left_on > carrier.closed_on:
        raise ServiceError(_("离开日期不能晚于载体关闭日期（%(date)s）", date=carrier.closed_on.isoformat()),
                           field="left_on")
    if outcome and outcome not in OUTCOMES:
        raise ServiceError(_("去向无效，应为：%(choices)s", choices="、".join(OUTCOMES)), field="outcome")
    if (require_outcome or left_on is not None) and not outcome:
        raise ServiceError(_("请选择去向（毕业、迁出或注销）"), field="outcome")
    if outcome and left_on is None:
        raise ServiceError(_("填写了去向时须同时填写离开日期"), field="left_on")


def check_no_overlap(firm_id: int, carrier: Carrier, entered_on: date, left_on: date | None,
                   own: Tenancy | None) -> None:
    """Periods [a, b) overlap when each starts before the other ends (an open end never ends)."""
    stmt = select(Tenancy).where(Tenancy.firm_id == firm_id, Tenancy.carrier_id == carrier.id,
                                 Tenancy.archived_at.is_(None))
    if left_on is not None:
        stmt = stmt.where(Tenancy.entered_on < left_on)
    stmt = stmt.where((Tenancy.left_on.is_(None)) | (Tenancy.left_on > entered_on))
    if own is not None and own.id is not None:
        stmt = stmt.where(Tenancy.id != own.id)
    clash = db.session.scalars(stmt.order_by(Tenancy.entered_on)).first()
    if clash is not None:
        until = clash.left_on.isoformat() if clash.left_on else _("至今")
        raise ServiceError(_("该企业在本载体已有重叠的入孵记录（%(start)s 至 %(end)s）",
                             start=clash.entered_on.isoformat(), end=until), field="entered_on")


def find_tenancy(firm_id: int, carrier_id: int, entered_on: date) -> Tenancy | None:
    stmt = select(Tenancy).where(Tenancy.firm_id == firm_id, Tenancy.carrier_id == carrier_id,
                                 Tenancy.entered_on == entered_on, Tenancy.archived_at.is_(None))
    return db.session.scalars(stmt).first()


# --------------------------------------------------------------------------- makers

def set_maker_count(actor, *, carrier: Carrier, year: int, makers: int,
                    batch_id: int | None = None) -> tuple[MakerCount, str]:
    """Record the number of makers in `carrier` in `year`; returns (row, created|updated|unchanged)."""
    if year is None or not 2000 <= year <= dates.today().year + 1:
        raise ServiceError(_("年份无效"), field="year")
    if makers is None:
        raise ServiceError(_("请填写创客人数"), field="makers")
    makers = RANGES["makers"].check(makers, "makers")
    row = db.session.scalars(select(MakerCount).where(MakerCount.carrier_id == carrier.id,
                                                      MakerCount.year == year)).first()
    if row is not None and row.makers == makers:
        return row, "unchanged"
    verb = "update" if row is not None else "create"
    if row is None:
        row = MakerCount(carrier=carrier, year=year, import_batch_id=batch_id)
        db.session.add(row)
    row.makers = makers
    audit.record(actor, f"incubation.maker_count.{verb}", row, batch_id=batch_id)
    return row, verb + "d"


# --------------------------------------------------------------------------- R&D institutions

def register_institution(actor, *, uscc: str, name: str, level: str, recognized_on: date,
                         firm_name: str | None = None, revoked_on: date | None = None,
                         batch_id: int | None = None) -> RDInstitution:
    """Register a firm's R&D institution; an unknown firm is created when `firm_name` is given."""
    _check_institution(name, level, recognized_on, revoked_on)
    firm = registry.find_or_register_firm(uscc, firm_name, actor=actor, batch_id=batch_id)
    if institution_of(firm.id, level, name.strip()) is not None:
        raise ServiceError(_("该企业已登记同名同级别的研发机构"), field="name")
    inst = RDInstitution(firm=firm, name=name.strip(), level=level, recognized_on=recognized_on,
                         revoked_on=revoked_on, import_batch_id=batch_id)
    db.session.add(inst)
    audit.record(actor, "incubation.institution.create", inst, batch_id=batch_id)
    return inst


def update_institution(inst: RDInstitution, actor, *, name: str, level: str, recognized_on: date,
                       revoked_on: date | None, batch_id: int | None = None) -> bool:
    """Correct an institution; False when nothing changed."""
    _check_institution(name, level, recognized_on, revoked_on)
    other = institution_of(inst.firm_id, level, name.strip())
    if other is not None and other is not inst:
        raise ServiceError(_("该企业已登记同名同级别的研发机构"), field="name")
    inst.name, inst.level = name.strip(), level
    inst.recognized_on, inst.revoked_on = recognized_on, revoked_on
    changes = audit.changes_of(inst)
    if not changes:
        return False
    audit.record(actor, "incubation.institution.update", inst, changes, batch_id=batch_id)
    return True


def institution_of(firm_id: int, level: str, name: str) -> RDInstitution | None:
    stmt = select(RDInstitution).where(RDInstitution.firm_id == firm_id, RDInstitution.level == level,
                                       RDInstitution.name == name)
    return db.session.scalars(stmt).first()


def _check_institution(name, level, recognized_on, revoked_on) -> None:
    if not (name or "").strip():
        raise ServiceError(_("请填写研发机构名称"), field="name")
    if level not in INSTITUTION_LEVELS:
        raise ServiceError(_("研发机构级别无效，应为：%(choices)s", choices="、".join(INSTITUTION_LEVELS)),
                           field="level")
    if recognized_on is None:
        raise ServiceError(_("请填写认定日期"), field="recognized_on")
    if revoked_on is not None and revoked_on < recognized_on:
        raise ServiceError(_("撤销日期不能早于认定日期"), field="revoked_on")


# --------------------------------------------------------------------------- alliances

def create_alliance(actor, *, name: str, founded_on: date, sector: str = "", note: str = "",
                    lead_uscc: str | None = None) -> Alliance:
    """Register an industrial technology innovation alliance; the lead firm must be in the registry."""
    name = (name or "").strip()
    if not name:
        raise ServiceError(_("请填写联盟名称"), field="name")
    if founded_on is None:
        raise ServiceError(_("请填写成立日期"), field="founded_on")
    if db.session.scalars(select(Alliance).where(Alliance.name == name)).first() is not None:
        raise ServiceError(_("已有同名联盟：%(name)s", name=name), field="name")
    lead = registry.known_firm(lead_uscc, field="lead_uscc") if lead_uscc else None
    alliance = Alliance(name=name, founded_on=founded_on, sector=(sector or "").strip(),
                        note=(note or "").strip(), lead_firm=lead)
    db.session.add(alliance)
    audit.record(actor, "incubation.alliance.create", alliance)
    if lead is not None:
        add_alliance_member(actor, alliance=alliance, uscc=lead.uscc, joined_on=founded_on)
    return alliance


def add_alliance_member(actor, *, alliance: Alliance, uscc: str, joined_on: date | None = None) -> AllianceMember:
    """Add a registry firm to an alliance (once)."""
    firm = registry.known_firm(uscc)
    exists = db.session.scalars(select(AllianceMember).where(AllianceMember.alliance_id == alliance.id,
                                                             AllianceMember.firm_id == firm.id)).first()
    if exists is not None:
        raise ServiceError(_("该企业已是联盟成员"), field="uscc")
    if joined_on is not None and joined_on < alliance.founded_on:
        raise ServiceError(_("加入日期不能早于联盟成立日期"), field="joined_on")
    member = AllianceMember(alliance=alliance, firm=firm, joined_on=joined_on)
    db.session.add(member)
    audit.record(actor, "incubation.alliance_member.create", member)
    return member


# --------------------------------------------------------------------------- reads used by pages

def current_tenant_counts(on: date) -> dict[int, int]:
    """Current tenants as of `on` of every carrier that has any, by carrier id (one query for a list)."""
    stmt = (select(Tenancy.carrier_id, func.count(Tenancy.id))
            .where(Tenancy.archived_at.is_(None), in_period(Tenancy.entered_on, Tenancy.left_on, on))
            .group_by(Tenancy.carrier_id))
    return dict(db.session.execute(stmt).tuples().all())


def tenancy_counts(carrier: Carrier, on: date) -> tuple[int, int]:
    """(current tenants as of `on`, all tenancies ever) of a carrier."""
    live = select(func.count(Tenancy.id)).where(Tenancy.carrier_id == carrier.id,
                                                Tenancy.archived_at.is_(None))
    current = live.where(in_period(Tenancy.entered_on, Tenancy.left_on, on))
    return db.session.scalar(current), db.session.scalar(live)

"""Talent services: register people, their recognitions and teams; count them as of a date.

Privacy rules kept here, so forms, imports and the CLI get them alike:
- the clear resident ID number goes in through :func:`person_key` and never comes out — only
  its keyed hash (HMAC-SHA256 with ``PII_HASH_KEY``) and masked form are kept;
- audit entries of a Person carry "***" for every personal field;
- error messages never contain the number (talent.resident_id guarantees that for its own).
Services take an explicit actor, write the audit trail and never commit.
"""
import hashlib
import hmac
import unicodedata
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import func, select
from sqlalchemy.orm import selectinload

from core import dates
from core.audit import service as audit
from core.db import db
from core.errors import ServiceError
from core.records import archive, restore
from registry import service as registry
from registry.models import Firm
from talent import resident_id
from talent.models import (CATEGORIES, LEADING, PERSON_SENSITIVE, RANGES, TALENT_UNITS, THOUSAND, Person,
                           Recognition, Team, TeamMember)

LEADING_CATEGORIES = (LEADING, THOUSAND)


@dataclass(frozen=True)
class PersonKey:
    """What the system keeps of an ID number: keyed hash, masked form, birth year, sex."""

    hash: str
    masked: str
    birth_year: int
    sex: str

    def __repr__(self) -> str:  # never print the hash in logs by accident
        return f"PersonKey({self.masked})"


def hash_id(number: str) -> str:
    """HMAC-SHA256 of the normalised number under the configured PII_HASH_KEY (hex)."""
    key = current_app.config.get("PII_HASH_KEY")
    if not key:
        raise RuntimeError("PII_HASH_KEY is not configured")
    return hmac.new(str(key).encode("utf-8"), number.encode("ascii"), hashlib.sha256).hexdigest()


def person_key(raw, *, field: str = "id_number") -> PersonKey:
    """Validate a resident ID number (GB 11643) and reduce it to a :class:`PersonKey`.

    Raises ServiceError(field=`field`) with a message that never contains the number.
    """
    try:
        number = resident_id.validate(raw)
    except resident_id.ResidentIDError as exc:
        raise ServiceError(id_message(exc), field=field) from None
    return PersonKey(hash_id(number), resident_id.mask(number), int(number[6:10]),
                     "M" if int(number[16]) % 2 else "F")


def id_message(exc: resident_id.ResidentIDError) -> str:
    messages = {
        "empty": _("身份证号码不能为空。"),
        "length": _("身份证号码应为18位（不受理15位旧版号码）。"),
        "charset": _("身份证号码应为17位数字加1位数字或X。"),
        "region": _("身份证号码前两位不是有效的省级行政区划代码。"),
        "birth_date": _("身份证号码中的出生日期（第7–14位）无效。"),
        "check_digit": _("身份证号码校验位（第18位）不正确，请核对号码。"),
    }
    return messages.get(exc.code, exc.message)


def find_person(key: PersonKey) -> Person | None:
    """The person with this ID (archived ones included), or None."""
    return db.session.scalars(select(Person).where(Person.id_hash == key.hash)).first()


def _same_name(a: str, b: str) -> bool:
    def norm(s):
        return "".join(unicodedata.normalize("NFKC", s or "").split()).replace("•", "·")
    return norm(a) == norm(b)


def _clean_name(name: str | None) -> str:
    name = (name or "").strip()
    if not name:
        raise ServiceError(_("请填写姓名"), field="name")
    if len(name) > 64:
        raise ServiceError(_("姓名不能超过64个字符"), field="name")
    return name


def ensure_person(actor, key: PersonKey, name: str, *, batch_id=None) -> tuple[Person, bool]:
    """Find the person by ID or create them; (person, created).

    Raises ServiceError(field="name") when the ID is registered under another name.
    """
    name = _clean_name(name)
    person = find_person(key)
    if person is not None:
        if not _same_name(person.name, name):
            raise ServiceError(_("该身份证号码已登记在另一姓名下，请核对姓名（如需更正，请在人员页面修改姓名）"),
                               field="name")
        if person.archived_at is not None:
            restore(person, actor, note=_("重新登记"))
        return person, False
    person = Person(name=name, id_hash=key.hash, id_masked=key.masked, birth_year=key.birth_year, sex=key.sex)
    db.session.add(person)
    audit.record(actor, "talent.person.create", person, batch_id=batch_id, sensitive=PERSON_SENSITIVE)
    return person, True


def update_person(actor, person: Person, *, name: str) -> bool:
    """Correct a person's name (personal data: audited as "***"). True when changed."""
    person.name = _clean_name(name)
    if not audit.changes_of(person):
        return False
    audit.record(actor, "talent.person.update", person, sensitive=PERSON_SENSITIVE)
    return True


# --------------------------------------------------------------------------- recognitions

def _check_category(category: str) -> str:
    if category not in CATEGORIES:
        raise ServiceError(_("人才类别无效"), field="category")
    return category


def _check_unit(unit_code: str) -> str:
    if unit_code not in TALENT_UNITS:
        raise ServiceError(_("登记单位应为区人力社保局或区委人才办"), field="unit_code")
    return unit_code


def _check_date(on, field: str = "recognized_on", today: date | None = None) -> date:
    if not isinstance(on, date):
        raise ServiceError(_("请填写认定日期（YYYY-MM-DD）"), field=field)
    if on > (today or dates.today()):
        raise ServiceError(_("认定日期不能晚于今天"), field=field)
    if on.year < 1950:
        raise ServiceError(_("认定日期不能早于1950年"), field=field)
    return on


def _check_support(value) -> Decimal | None:
    return RANGES["support"].check(value, "support")


def _firm(actor, uscc: str, firm_name: str | None, batch_id) -> Firm:
    if not (uscc or "").strip():
        raise ServiceError(_("请填写用人单位的统一社会信用代码"), field="uscc")
    return registry.find_or_register_firm(uscc, firm_name, actor=actor, batch_id=batch_id)


def _active_recognition(person: Person, category: str, programme: str) -> Recognition | None:
    if person.id is None:
        return None
    stmt = select(Recognition).where(Recognition.person_id == person.id, Recognition.category == category,
                                     Recognition.programme == programme, Recognition.archived_at.is_(None))
    return db.session.scalars(stmt).first()


def register_talent(actor, *, key: PersonKey, name: str, category: str, programme: str = "",
                    uscc: str, firm_name: str | None = None, recognized_on: date, support=None,
                    unit_code: str, note: str = "", batch_id=None) -> tuple[Recognition, str]:
    """Register a recognition of the person with ID `key`: (recognition, "created"|"updated"|"unchanged").

    One person, one record: a known ID adds the recognition to that person. The same
    (category, programme) registered again — e.g. by the other talent unit — updates the
    existing recognition (firm, date, support) instead of adding a second one.
    """
    values = dict(category=_check_category(category), programme=(programme or "").strip()[:128],
                  recognized_on=_check_date(recognized_on), support=_check_support(support),
                  unit_code=_check_unit(unit_code))
    firm = _firm(actor, uscc, firm_name, batch_id)
    person, person_created = ensure_person(actor, key, name, batch_id=batch_id)
    rec = _active_recognition(person, values["category"], values["programme"])
    if rec is None:
        rec = Recognition(person=person, firm_id=firm.id, note=(note or "").strip(), **values)
        db.session.add(rec)
        audit.record(actor, "talent.recognition.create", rec, batch_id=batch_id)
        return rec, "created"
    return rec, _refresh_recognition(actor, rec, firm, values, note, batch_id)


def _refresh_recognition(actor, rec, firm, values, note, batch_id) -> str:
    rec.firm_id = firm.id
    rec.recognized_on = values["recognized_on"]
    if values["support"] is not None:
        rec.support = values["support"]
    if note:
        rec.note = note.strip()
    if not audit.changes_of(rec):
        return "unchanged"
    audit.record(actor, "talent.recognition.update", rec, batch_id=batch_id)
    return "updated"


def update_recognition(actor, rec: Recognition, *, programme: str, uscc: str, firm_name: str | None = None,
                       recognized_on: date, support=None, note: str = "") -> bool:
    """Edit a recognition's programme, employer, date, support and note. True when changed."""
    programme = (programme or "").strip()[:128]
    twin = _active_recognition(rec.person, rec.category, programme)
    if twin is not None and twin.id != rec.id:
        raise ServiceError(_("该人员在此类别下已有同一项目的认定"), field="programme")
    firm = _firm(actor, uscc, firm_name, None)
    rec.programme, rec.firm_id = programme, firm.id
    rec.recognized_on = _check_date(recognized_on)
    rec.support = _check_support(support)
    rec.note = (note or "").strip()
    if not audit.changes_of(rec):
        return False
    audit.record(actor, "talent.recognition.update", rec)
    return True


# --------------------------------------------------------------------------- teams

def _registered(key: PersonKey, field: str, message: str) -> Person:
    person = find_person(key)
    if person is None or person.archived_at is not None:
        raise ServiceError(message, field=field)
    return person


def _member_persons(keys, leader: Person) -> list[Person]:
    persons, seen = [], {leader.id}
    for pos, key in enumerate(keys, start=1):
        person = _registered(key, "member_ids", _("第%(n)s位成员尚未登记为人才，请先登记", n=pos))
        if person.id not in seen:
            seen.add(person.id)
            persons.append(person)
    return persons


def _team_by_name(name: str, firm_id: int) -> Team | None:
    stmt = select(Team).where(Team.name == name, Team.firm_id == firm_id, Team.archived_at.is_(None))
    return db.session.scalars(stmt).first()


def _team_values(name, programme, recognized_on, support, unit_code) -> dict:
    name = (name or "").strip()
    if not name:
        raise ServiceError(_("请填写团队名称"), field="name")
    if len(name) > 128:
        raise ServiceError(_("团队名称不能超过128个字符"), field="name")
    return dict(name=name, programme=(programme or "").strip()[:128], recognized_on=_check_date(recognized_on),
                support=_check_support(support), unit_code=_check_unit(unit_code))


def register_team(actor, *, name: str, uscc: str, firm_name: str | None = None, leader: PersonKey,
                  members=(), programme: str = "", recognized_on: date, support=None, unit_code: str,
                  batch_id=None) -> tuple[Team, str]:
    """Register a leading-talent team: (team, "created"|"updated"|"unchanged").

    Leader and members must already be registered as talents (found by ID). A team is
    identified by name + firm; registering it again updates it.
    """
    values = _team_values(name, programme, recognized_on, support, unit_code)
    firm = _firm(actor, uscc, firm_name, batch_id)
    head = _registered(leader, "leader_id", _("团队负责人尚未登记为人才，请先登记"))
    persons = _member_persons(members, head)
    team = _team_by_name(values["name"], firm.id)
    if team is None:
        team = Team(leader_id=head.id, firm_id=firm.id, **values)
        db.session.add(team)
        audit.record(actor, "talent.team.create", team, batch_id=batch_id)
        set_team_members(actor, team, persons, batch_id=batch_id)
        return team, "created"
    team.leader_id, team.recognized_on, team.programme = head.id, values["recognized_on"], values["programme"]
    if values["support"] is not None:
        team.support = values["support"]
    changed = bool(audit.changes_of(team))
    if changed:
        audit.record(actor, "talent.team.update", team, batch_id=batch_id)
    changed |= set_team_members(actor, team, persons, batch_id=batch_id)
    return team, "updated" if changed else "unchanged"


def update_team(actor, team: Team, *, name: str, uscc: str, leader: PersonKey | None = None, programme: str = "",
                recognized_on: date, support=None) -> bool:
    """Edit a team's name, firm, leader (None keeps it), programme, date and support. True when changed."""
    values = _team_values(name, programme, recognized_on, support, team.unit_code)
    firm = _firm(actor, uscc, None, None)
    twin = _team_by_name(values["name"], firm.id)
    if twin is not None and twin.id != team.id:
        raise ServiceError(_("该企业已有同名的人才团队"), field="name")
    if leader is not None:
        team.leader_id = _registered(leader, "leader_id", _("团队负责人尚未登记为人才，请先登记")).id
    team.name, team.firm_id = values["name"], firm.id
    team.programme, team.recognized_on, team.support = values["programme"], values["recognized_on"], values["support"]
    if not audit.changes_of(team):
        return False
    audit.record(actor, "talent.team.update", team)
    return True


def set_team_members(actor, team: Team, persons: list[Person], *, batch_id=None) -> bool:
    """Make `persons` the team's members: new memberships created, departed ones archived."""
    wanted = {p.id: p for p in persons if p.id != team.leader_id}
    current = {m.person_id: m for m in team.memberships if m.archived_at is None}
    changed = False
    for person_id, membership in current.items():
        if person_id not in wanted:
            archive(membership, actor, note=_("移出团队"))
            changed = True
    for person_id, person in wanted.items():
        if person_id not in current:
            membership = TeamMember(team=team, person=person)
            db.session.add(membership)
            audit.record(actor, "talent.team_member.create", membership, batch_id=batch_id)
            changed = True
    return changed


def add_team_members(actor, team: Team, keys) -> int:
    """Add the registered persons with these IDs to the team; returns how many were added."""
    leader = db.session.get(Person, team.leader_id)
    before = {p.id for p in team.members}
    persons = team.members + [p for p in _member_persons(keys, leader) if p.id not in before]
    set_team_members(actor, team, persons)
    return len({p.id for p in team.members} - before)


def remove_team_member(actor, team: Team, person_id: int) -> None:
    """Archive the person's membership of the team (ServiceError when not a member)."""
    membership = next((m for m in team.memberships if m.person_id == person_id and m.archived_at is None), None)
    if membership is None:
        raise ServiceError(_("该人员不是团队成员"))
    archive(membership, actor, note=_("移出团队"))


def member_keys(raw: str, *, field: str = "member_ids") -> list[PersonKey]:
    """Split a list of ID numbers (one per line, or separated by ,，;；、 or spaces) into keys.

    A bad number is reported by its position only (never echoed).
    """
    text = raw or ""
    for sep in ",，;；、\r\n\t":
        text = text.replace(sep, " ")
    keys = []
    for pos, part in enumerate(text.split(), start=1):
        try:
            keys.append(person_key(part, field=field))
        except ServiceError as exc:
            raise ServiceError(_("第%(n)s个成员身份证号码有误：%(msg)s", n=pos, msg=exc.message), field=field) from None
    return keys


# --------------------------------------------------------------------------- counting as of a date

def _counted(as_of: date, categories, *, supported_only: bool = False, since: date | None = None):
    """Active recognitions of active persons in `categories` recognised on or before `as_of`
    (and on or after `since`, for a flow counted within a window)."""
    stmt = (select(Recognition).join(Person, Person.id == Recognition.person_id)
            .where(Recognition.category.in_(tuple(categories)), Recognition.recognized_on <= as_of,
                   Recognition.archived_at.is_(None), Person.archived_at.is_(None)))
    if since is not None:
        stmt = stmt.where(Recognition.recognized_on >= since)
    if supported_only:
        stmt = stmt.where(Recognition.support > 0)
    return stmt


def count_persons(as_of: date, categories, *, supported_only: bool = False, since: date | None = None) -> int:
    """Distinct persons (never recognitions) counted by :func:`_counted`."""
    sub = _counted(as_of, categories, supported_only=supported_only, since=since).with_only_columns(
        Recognition.person_id)
    return db.session.scalar(select(func.count(func.distinct(sub.subquery().c.person_id)))) or 0


def counted_recognitions(as_of: date, categories, *, supported_only: bool = False,
                          one_per_category: bool = True, since: date | None = None) -> list[Recognition]:
    """The recognitions behind a count; by default one per (person, category): the earliest."""
    stmt = _counted(as_of, categories, supported_only=supported_only, since=since).order_by(
        Recognition.recognized_on, Recognition.id)
    seen, out = set(), []
    for rec in db.session.scalars(stmt):
        if not one_per_category or (rec.person_id, rec.category) not in seen:
            seen.add((rec.person_id, rec.category))
            out.append(rec)
    return out


def counted_places(as_of: date, categories, place, *, supported_only: bool = False,
                   since: date | None = None) -> dict:
    """{place: count} of counted_recognitions' rows (one per person and category, the earliest),
    each placed by `place`, a column of its firm (registry.queries.place_column); plain rows."""
    stmt = (_counted(as_of, categories, supported_only=supported_only, since=since)
            .with_only_columns(Recognition.person_id, Recognition.category, place)
            .outerjoin(Firm, Firm.id == Recognition.firm_id).order_by(Recognition.recognized_on, Recognition.id))
    seen, out = set(), {}
    for person_id, category, key in db.session.execute(stmt):
        if (person_id, category) not in seen:
            seen.add((person_id, category))
            out[key] = out.get(key, 0) + 1
    return out


def _teams_stmt(as_of: date, since: date | None = None):
    stmt = select(Team).where(Team.recognized_on <= as_of, Team.archived_at.is_(None))
    return stmt if since is None else stmt.where(Team.recognized_on >= since)


def count_teams(as_of: date, since: date | None = None) -> int:
    """Leading-talent teams recognised on or before `as_of` (and on or after `since`), not archived."""
    return db.session.scalar(select(func.count()).select_from(_teams_stmt(as_of, since).subquery())) or 0


def counted_teams(as_of: date, since: date | None = None) -> list[Team]:
    return list(db.session.scalars(_teams_stmt(as_of, since).order_by(Team.recognized_on, Team.id)))


def category_counts(as_of: date) -> dict[str, int]:
    """Distinct persons per category as of `as_of` (a person in two categories counts in both)."""
    return {c: count_persons(as_of, (c,)) for c in CATEGORIES}


def firm_aggregates(as_of: date) -> list[dict]:
    """Per firm and category: distinct persons and total support (万元) — no personal data."""
    stmt = (select(Firm.id, Firm.uscc, Firm.name, Recognition.category,
                   func.count(func.distinct(Recognition.person_id)), func.sum(Recognition.support))
            .join(Firm, Firm.id == Recognition.firm_id)
            .where(Recognition.id.in_(_counted(as_of, CATEGORIES).with_only_columns(Recognition.id)))
            .group_by(Firm.id, Firm.uscc, Firm.name, Firm.name_sort, Recognition.category)
            .order_by(Firm.name_sort, Firm.id, Recognition.category))
    return [dict(firm_id=r[0], uscc=r[1], firm_name=r[2], category=r[3], persons=r[4], support=r[5])
            for r in db.session.execute(stmt)]


def list_persons(*, category: str | None = None, q: str | None = None, limit: int = 500) -> list[Person]:
    """Active persons, optionally with a recognition in `category` or a name containing `q`."""
    stmt = (select(Person).where(Person.archived_at.is_(None)).order_by(Person.id.desc()).limit(limit)
            .options(selectinload(Person.recognitions).selectinload(Recognition.firm)))   # the list shows both
    if category:
        stmt = stmt.where(Person.id.in_(select(Recognition.person_id).where(
            Recognition.category == category, Recognition.archived_at.is_(None))))
    if q:
        stmt = stmt.where(Person.name.contains(q.strip()))
    return list(db.session.scalars(stmt))


def list_teams(limit: int = 500) -> list[Team]:
    stmt = select(Team).where(Team.archived_at.is_(None)).order_by(Team.recognized_on.desc(), Team.id.desc())
    return list(db.session.scalars(stmt.limit(limit)))


def firm_recognitions(firm_id: int) -> list[Recognition]:
    stmt = (select(Recognition).where(Recognition.firm_id == firm_id, Recognition.archived_at.is_(None))
            .order_by(Recognition.recognized_on))
    return list(db.session.scalars(stmt))


def firm_teams(firm_id: int) -> list[Team]:
    stmt = select(Team).where(Team.firm_id == firm_id, Team.archived_at.is_(None)).order_by(Team.recognized_on)
    return list(db.session.scalars(stmt))

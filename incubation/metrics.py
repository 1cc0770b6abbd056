"""Incubation indicators for goals/: each computable as of any date D, with the records behind it.

Counting rules (archived records never count):
- maker_spaces: carriers of type 众创空间 recognised (or, when no recognition date, opened) on or
  before D and not closed by D (closed_on empty or after D).
- incubated_firms: distinct firms with a tenancy entered 2017-01-01..2019-12-31 and on or before
  D — a firm counts once however many carriers it passes through, dated by its first entry in
  the window; graduated firms keep counting; tenancies of an archived carrier, and archived
  (deleted in error, or merged into another) firms, do not count.
- incubation_area: sum of area_m2 of carriers of the AREA_CARRIER_TYPES (众创空间, 孵化器,
  加速器) active on D (opened_on <= D < closed_on), m².
- makers: the yearly makers counts of the window's years (2017..2019, up to D's year) summed
  over every carrier — cumulative, not the latest year alone; a carrier closed later keeps the
  years it reported; archived carriers do not count.
- provincial_research_institutes: R&D institutions at level 省级重点企业研究院 recognised on or
  before D and not revoked by D.
- rd_institutions: R&D institutions at 市级以上 levels (国家级, 省级重点企业研究院, 省级, 市级)
  recognised on or before D and not revoked by D.
- innovation_alliances: alliances founded 2017-01-01..D.
"""
from datetime import date
from decimal import Decimal

from sqlalchemy import and_, func, select
from sqlalchemy.orm import selectinload

from core import pinyin
from core.db import db
from core.indicators import Indicator, Parts
from incubation.models import (AREA_CARRIER_TYPES, CITY_OR_ABOVE, KEY_INSTITUTE, MAKER_SPACE, Alliance,
                               Carrier, MakerCount, RDInstitution, Tenancy)
from incubation.queries import by_name, carrier_active
from registry.models import Firm
from registry.queries import archived_firm_ids, in_period, place_column

# Working targets for the summary page; goals/ holds the official ones.
TARGETS: dict[str, Decimal] = {
    "maker_spaces": Decimal(50),
    "incubated_firms": Decimal(2000),
    "incubation_area": Decimal(500000),
    "makers": Decimal(20000),
    "provincial_research_institutes": Decimal(8),
    "rd_institutions": Decimal(250),
    "innovation_alliances": Decimal(3),
}
UNITS = {"incubation_area": "m²"}

# Column headers of the drill-down tables (msgids; English in messages.po).
RECORD_LABELS = {
    "uscc": "统一社会信用代码", "firm_name": "企业名称", "carrier_name": "载体名称", "carrier_type": "载体类型",
    "level": "级别", "recognized_on": "认定日期", "opened_on": "启用日期", "entered_on": "入孵日期",
    "area_m2": "面积（平方米）", "year": "年份", "makers": "创客人数", "institution_name": "研发机构名称",
    "alliance_name": "联盟名称", "founded_on": "成立日期", "members": "成员数",
}

PLAN_START = date(2017, 1, 1)
INCUBATION_WINDOW = (date(2017, 1, 1), date(2019, 12, 31))


def _firm(firm) -> dict:
    return {"firm_id": firm.id, "uscc": firm.uscc, "firm_name": firm.name}


def _carrier(c: Carrier) -> dict:
    return {"carrier_id": c.id, "carrier_name": c.name, "carrier_type": c.carrier_type, "level": c.level}


# --------------------------------------------------------------------------- maker spaces

def _maker_spaces_stmt(as_of: date):
    started = func.coalesce(Carrier.recognized_on, Carrier.opened_on)
    return select(Carrier).where(Carrier.carrier_type == MAKER_SPACE, Carrier.archived_at.is_(None),
                                 in_period(started, Carrier.closed_on, as_of))


def maker_space_records(as_of: date) -> list[dict]:
    rows = by_name(db.session.scalars(_maker_spaces_stmt(as_of)))
    return [{**_carrier(c), "recognized_on": c.recognized_on, "opened_on": c.opened_on} for c in rows]


def maker_spaces(as_of: date) -> int:
    return db.session.scalar(select(func.count()).select_from(_maker_spaces_stmt(as_of).subquery()))


# --------------------------------------------------------------------------- incubated firms

def _incubated_stmt(as_of: date):
    """(firm, first entry in the window): one row per firm, however many carriers.

    Read from the tenancies of the window (their entered_on index), less those of archived carriers and
    firms (few, from their archived_at indexes): given joins, SQLite walked every live firm and probed
    its tenancies (70–170 ms at 100,000 firms, against 7 ms this way)."""
    start, end = INCUBATION_WINDOW
    archived_carriers = select(Carrier.id).where(Carrier.archived_at.is_not(None))
    archived_firms = archived_firm_ids()
    return (select(Tenancy.firm_id, func.min(Tenancy.entered_on).label("entered_on"))
            .where(Tenancy.archived_at.is_(None), Tenancy.entered_on >= start, Tenancy.entered_on <= min(end, as_of),
                   Tenancy.carrier_id.not_in(archived_carriers), Tenancy.firm_id.not_in(archived_firms))
            .group_by(Tenancy.firm_id))


def incubated_records(as_of: date) -> list[dict]:
    """One row per firm: its first entry in the window and the carrier(s) it entered that day."""
    firsts = {p.firm_id: p.entered_on for p in db.session.execute(_incubated_stmt(as_of))}
    if not firsts:
        return []
    start, _end = INCUBATION_WINDOW
    stmt = (select(Tenancy.firm_id, Tenancy.entered_on, Carrier).join(Carrier, Carrier.id == Tenancy.carrier_id)
            .where(Tenancy.archived_at.is_(None), Carrier.archived_at.is_(None), Tenancy.entered_on >= start,
                   Tenancy.firm_id.in_(list(firsts))).order_by(Carrier.name, Carrier.id))
    carrier_of: dict = {}
    for firm_id, entered_on, carrier in db.session.execute(stmt):
        if entered_on == firsts[firm_id]:
            carrier_of.setdefault(firm_id, carrier)
    firms = _load_firms(set(firsts))
    out = [{**_firm(firms[fid]), **_carrier(carrier_of[fid]), "entered_on": firsts[fid]} for fid in firsts]
    return sorted(out, key=lambda r: (r["entered_on"], r["firm_name"]))


def incubated_firms(as_of: date) -> int:
    return db.session.scalar(select(func.count()).select_from(_incubated_stmt(as_of).subquery()))


def incubated_places(as_of: date, by: str) -> Parts:
    """incubated_firms by the firm's town or park: one aggregate over the counted firms."""
    counted = _incubated_stmt(as_of).subquery()
    place = place_column(by)
    stmt = select(place, func.count()).select_from(counted).join(Firm, Firm.id == counted.c.firm_id).group_by(place)
    return Parts("count", {key: Decimal(n) for key, n in db.session.execute(stmt)})


def _load_firms(ids: set[int]) -> dict:
    if not ids:
        return {}
    return {f.id: f for f in db.session.scalars(select(Firm).where(Firm.id.in_(ids)))}


# --------------------------------------------------------------------------- area

def _area_carriers(as_of: date):
    return and_(carrier_active(as_of), Carrier.carrier_type.in_(AREA_CARRIER_TYPES))


def area_records(as_of: date) -> list[dict]:
    rows = by_name(db.session.scalars(select(Carrier).where(_area_carriers(as_of))))
    return [{**_carrier(c), "area_m2": c.area_m2 or Decimal(0)} for c in rows]


def incubation_area(as_of: date) -> Decimal:
    total = db.session.scalar(select(func.sum(Carrier.area_m2)).where(_area_carriers(as_of)))
    return Decimal(total or 0)


# --------------------------------------------------------------------------- makers

def _maker_stmt(as_of: date):
    start, end = INCUBATION_WINDOW
    return (select(MakerCount, Carrier).join(Carrier, Carrier.id == MakerCount.carrier_id)
            .where(Carrier.archived_at.is_(None), MakerCount.year >= start.year,
                   MakerCount.year <= min(end.year, as_of.year)))


def maker_records(as_of: date) -> list[dict]:
    """Every carrier's count for each year of the window up to as_of's year (all are added up)."""
    rows = db.session.execute(_maker_stmt(as_of))
    rows = sorted(rows, key=lambda mc: (mc[0].year, pinyin.sort_key(mc[1].name), mc[1].id))
    return [{**_carrier(c), "year": m.year, "makers": m.makers} for m, c in rows]


def makers(as_of: date) -> int:
    stmt = _maker_stmt(as_of).with_only_columns(func.coalesce(func.sum(MakerCount.makers), 0))
    return int(db.session.scalar(stmt) or 0)


# --------------------------------------------------------------------------- R&D institutions

def _institutions_stmt(as_of: date, levels):
    return (select(RDInstitution).where(RDInstitution.archived_at.is_(None), RDInstitution.level.in_(levels),
                                        in_period(RDInstitution.recognized_on, RDInstitution.revoked_on, as_of))
            .options(selectinload(RDInstitution.firm)))


def _institution_records(as_of: date, levels) -> list[dict]:
    rows = db.session.scalars(_institutions_stmt(as_of, levels).order_by(RDInstitution.recognized_on))
    return [{**_firm(i.firm), "institution_id": i.id, "institution_name": i.name, "level": i.level,
             "recognized_on": i.recognized_on} for i in rows]


def _count(stmt) -> int:
    return db.session.scalar(select(func.count()).select_from(stmt.subquery()))


def key_institute_records(as_of: date) -> list[dict]:
    return _institution_records(as_of, (KEY_INSTITUTE,))


def provincial_research_institutes(as_of: date) -> int:
    return _count(_institutions_stmt(as_of, (KEY_INSTITUTE,)))


def rd_institution_records(as_of: date) -> list[dict]:
    return _institution_records(as_of, CITY_OR_ABOVE)


def rd_institutions(as_of: date) -> int:
    return _count(_institutions_stmt(as_of, CITY_OR_ABOVE))


# --------------------------------------------------------------------------- alliances

def _alliances_stmt(as_of: date):
    return select(Alliance).where(Alliance.archived_at.is_(None), Alliance.founded_on >= PLAN_START,
                                  Alliance.founded_on <= as_of)


def alliance_records(as_of: date) -> list[dict]:
    rows = db.session.scalars(_alliances_stmt(as_of).options(selectinload(Alliance.lead_firm))
                              .order_by(Alliance.founded_on))
    out = []
    for a in rows:
        lead = _firm(a.lead_firm) if a.lead_firm else {"firm_id": None, "uscc": "", "firm_name": ""}
        out.append({**lead, "alliance_id": a.id, "alliance_name": a.name, "founded_on": a.founded_on,
                    "members": len(a.members)})
    return out


def innovation_alliances(as_of: date) -> int:
    return _count(_alliances_stmt(as_of))


METRIC_ORDER = tuple(TARGETS)


def summary(as_of: date) -> list[dict]:
    """The seven numbers with their targets and progress (0–1+, None when no target)."""
    from core import indicators
    out = []
    for name in METRIC_ORDER:
        ind = indicators.get(name)[0]
        value = Decimal(ind.compute(as_of))
        target = TARGETS[name]
        out.append({"name": name, "label_zh": ind.label_zh, "label_en": ind.label_en, "value": value,
                    "target": target, "unit": UNITS.get(name, ""),
                    "progress": (value / target) if target else None})
    return out


METRICS = (
    Indicator("maker_spaces", compute=maker_spaces, records=maker_space_records, domain="incubation",
              label_zh="众创空间", label_en="Maker spaces"),
    Indicator("incubated_firms", compute=incubated_firms, records=incubated_records, domain="incubation",
              label_zh="新增孵化创新型小微企业", label_en="Newly incubated small and micro firms",
              places=incubated_places),
    Indicator("incubation_area", compute=incubation_area, records=area_records, domain="incubation",
              label_zh="孵化面积（平方米）", label_en="Incubation area (m²)"),
    Indicator("makers", compute=makers, records=maker_records, domain="incubation",
              label_zh="创客人数", label_en="Makers"),
    Indicator("provincial_research_institutes", compute=provincial_research_institutes, records=key_institute_records, domain="incubation",
              label_zh="省级重点企业研究院", label_en="Provincial key enterprise research institutes"),
    Indicator("rd_institutions", compute=rd_institutions, records=rd_institution_records, domain="incubation",
              label_zh="市级以上企业研发机构", label_en="City-level and above enterprise R&D institutions"),
    Indicator("innovation_alliances", compute=innovation_alliances, records=alliance_records, domain="incubation",
              label_zh="新增产业技术创新联盟", label_en="New industrial technology innovation alliances"),
)

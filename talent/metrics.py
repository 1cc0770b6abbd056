"""Talent indicators for goals/, each as of any date D. Counts are of distinct persons, never records.

Rules (records archived, and persons archived, are never counted). The plan's talent flows
("至2019年 … 支持/引进/培养") count recognitions inside the window 2017-01-01..2019-12-31 only
(up to D when D is earlier); the management-talent pool (总量) is a stock and counts every
recognition on or before D:
- leading_talents: persons with a 领军人才 or 千人计划专家 recognition with support > 0 万元,
  recognised in the window (the plan counts "supported" leading talents). A person holding
  both categories, or registered by both 区人力社保局 and 区委人才办, counts once.
- leading_talent_teams: 领军人才团队 recognised in the window.
- smart_makers / high_skill_talents: persons with a recognition in 智造创客 / 高技能人才 in the window.
- management_talents: persons with a 经营管理人才 recognition on or before D.

Records behind the numbers carry no personal data (no name, no ID, not even masked — those
are for the talent units only): firm, category, date, support and an opaque person reference
``P000123`` so a drill-down can see that two rows are one person.
"""
from datetime import date
from decimal import Decimal

from core.indicators import Indicator, Parts
from registry.queries import place_column
from talent import service
from talent.models import HIGH_SKILL, MANAGEMENT, SMART_MAKER

WINDOW = (date(2017, 1, 1), date(2019, 12, 31))     # the plan's counting window for the flows


def _upto(as_of: date) -> date:
    return min(as_of, WINDOW[1])


def person_ref(person_id: int) -> str:
    """Opaque, non-personal reference of a person (the database id)."""
    return f"P{person_id:06d}"


def _records(recognitions) -> list[dict]:
    return [{"firm_id": r.firm_id, "uscc": r.firm.uscc, "firm_name": r.firm.name, "category": r.category,
             "person": person_ref(r.person_id), "recognized_on": r.recognized_on, "support": r.support}
            for r in recognitions]


def _one_per_person(recognitions) -> list:
    seen, out = set(), []
    for rec in recognitions:
        if rec.person_id not in seen:
            seen.add(rec.person_id)
            out.append(rec)
    return out


def leading_records(as_of: date) -> list[dict]:
    recs = service.counted_recognitions(_upto(as_of), service.LEADING_CATEGORIES, supported_only=True,
                                        since=WINDOW[0])
    return _records(_one_per_person(recs))


def leading_talents(as_of: date) -> int:
    return service.count_persons(_upto(as_of), service.LEADING_CATEGORIES, supported_only=True, since=WINDOW[0])


def team_records(as_of: date) -> list[dict]:
    return [{"firm_id": t.firm_id, "uscc": t.firm.uscc, "firm_name": t.firm.name, "team": t.name,
             "members": len(t.members) + 1, "recognized_on": t.recognized_on, "support": t.support}
            for t in service.counted_teams(_upto(as_of), since=WINDOW[0])]


def leading_talent_teams(as_of: date) -> int:
    return service.count_teams(_upto(as_of), since=WINDOW[0])


def _category_metric(name: str, category: str, label_en: str, flow: bool = True) -> Indicator:
    def window(as_of: date) -> dict:
        return {"as_of": _upto(as_of), "since": WINDOW[0]} if flow else {"as_of": as_of}

    def records(as_of: date) -> list[dict]:
        return _records(service.counted_recognitions(categories=(category,), **window(as_of)))

    def compute(as_of: date) -> int:
        return service.count_persons(categories=(category,), **window(as_of))

    def places(as_of: date, by: str) -> Parts:
        counts = service.counted_places(categories=(category,), place=place_column(by), **window(as_of))
        return Parts("count", {key: Decimal(n) for key, n in counts.items()})

    compute.__name__ = name
    return Indicator(name, compute=compute, records=records, domain="talent", label_zh=category, label_en=label_en,
                     places=places)


_CATEGORY_METRICS = (
    _category_metric("smart_makers", SMART_MAKER, "Smart-manufacturing makers"),
    _category_metric("high_skill_talents", HIGH_SKILL, "High-skill talents"),
    _category_metric("management_talents", MANAGEMENT, "Business management talents", flow=False),
)
smart_makers, high_skill_talents, management_talents = (m.compute for m in _CATEGORY_METRICS)

METRICS = (
    Indicator("leading_talents", compute=leading_talents, records=leading_records, domain="talent",
              label_zh="领军人才（获资助）",
              label_en="Leading talents (supported)"),
    Indicator("leading_talent_teams", compute=leading_talent_teams, records=team_records, domain="talent",
              label_zh="领军人才团队",
              label_en="Leading-talent teams"),
    *_CATEGORY_METRICS,
)

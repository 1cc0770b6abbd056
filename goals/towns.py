"""Every computed goal broken down by street/town (街道/镇) or by park (园区) as of a date.

The breakdown reads the records behind each goal's figure (core.indicators.records) and places
each record by its firm's town or park; a record of a carrier (no firm) by the carrier's town
(carriers have no park). Records whose firm or carrier has no town (park) go to the "未标注"
row, which is always shown: nothing is dropped. A metric that declares its own aggregate by town
(core.indicators.Parts: pools, the fact ratios and sector outputs, incubated firms, talent
categories) is split by that one SQL query instead of its records — at 100,000 firms the records
took seconds per goal (bench/towns_reconcile.py) — and only when its parts agree with the figure;
the records stay the fallback, and the tests check that both ways give the same numbers.

How a record weighs is found from the records and the figure itself, so the parts always add up
to the district figure:
- count: one per record (or per distinct person, for talent goals counted by person);
- sum: a numeric field of the records sums to the figure (also ÷ 10,000 for 亿元 from 万元); the
  parts are exact and add up to the figure as rounded to its 4 places;
- ratio: two numeric fields whose sums' quotient × 100 (or × 1,000,000) is the figure — each
  town's ratio is computed over its own firms and the parts do not add up (shown as such);
- none of these: the goal is listed as not decomposable, with the district figure only.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import TYPE_CHECKING

from sqlalchemy import or_, select
from sqlalchemy.orm import contains_eager

from core import indicators
from core.db import db
from goals import rollup as ru
from goals.models import Goal
from incubation.models import Carrier

if TYPE_CHECKING:          # pandas (with numpy, ~40 MB) is imported by the functions that use it
    import pandas as pd
from registry import reference, service as registry
from registry.models import PARKS, Firm, PoolMembership
from registry.queries import member_on

UNMARKED = "none"             # the key of the 未标注 row
_SCALES = (Decimal(1), Decimal(10000))
_RATIO_SCALES = (Decimal(100), Decimal(1_000_000), Decimal(1))
_ALL_FIRMS_FROM = 5000        # ids at which one scan of every firm beats IN lists


@dataclass
class GoalBreakdown:
    goal: Goal
    total: Decimal | None
    mode: str | None                         # count | distinct | sum | ratio | None
    values: dict[str, Decimal] = field(default_factory=dict)     # unit key → value
    records: dict[str, list[dict]] = field(default_factory=dict)  # unit key → records

    @property
    def additive(self) -> bool:
        return self.mode in ("count", "distinct", "sum")


def units(by: str) -> list[tuple[str, str]]:
    """(key, label) of the rows: the 25 towns or the parks, then 未标注."""
    base = reference.towns() if by == "town" else [(p, p) for p in PARKS]
    return [*base, (UNMARKED, "未标注")]


def breakdown(as_of: date, by: str = "town", goals=None, *, aggregates: bool = True) -> list[GoalBreakdown]:
    """Every computed goal (or `goals`) split by town or park (module docstring).

    `aggregates=False` places every record even where the metric declares its own aggregate
    (the tests compare both ways; the records are what the aggregates must agree with)."""
    goals = list(goals) if goals is not None else [g for g in db.session.scalars(ru.goals_query())
                                                   if g.kind == "computed" and g.metric]
    out = []
    with indicators.shared_results():
        for goal in goals:
            out.append(_one(goal, as_of, by, aggregates))
    return out


def _one(goal: Goal, as_of: date, by: str, aggregates: bool = True) -> GoalBreakdown:
    if not goal.metric or indicators.get(goal.metric) is None:
        return GoalBreakdown(goal, None, None)
    total = indicators.compute(goal.metric, as_of)
    total = None if total is None else Decimal(str(total))
    fast = _from_parts(goal, total, indicators.places(goal.metric, as_of, by)) if aggregates else None
    if fast is not None:
        return fast
    recs = list(indicators.records(goal.metric, as_of))
    places = _placed(recs, by)
    result = GoalBreakdown(goal, total, None)
    for i, key in enumerate(places):
        result.records.setdefault(key, []).append(recs[i])
    mode, weights = _weight(recs, total)
    result.mode = mode
    if mode == "ratio":
        result.values = _ratios(places, *weights)
    elif mode is not None:
        for key, w in zip(places, weights):
            result.values[key] = result.values.get(key, Decimal(0)) + w
    return result


def _from_parts(goal: Goal, total: Decimal | None, parts: indicators.Parts | None) -> GoalBreakdown | None:
    """The breakdown from the metric's own aggregate (core.indicators.Parts), when it agrees with the
    figure: additive parts must add up to it, a ratio's summed numerator and denominator must give it."""
    if parts is None or total is None:
        return None
    values = {key or UNMARKED: v for key, v in _merged(parts.values).items()}
    if parts.mode in ("count", "sum"):
        if sum(values.values(), Decimal(0)).quantize(Decimal("0.0001")) != total.quantize(Decimal("0.0001")):
            return None
        return GoalBreakdown(goal, total, parts.mode, {k: v for k, v in values.items() if parts.mode == "sum" or v})
    num = sum((n for n, _d in values.values()), Decimal(0))
    den = sum((d for _n, d in values.values()), Decimal(0))
    if parts.mode != "ratio" or not den or _quantised(num, den, parts.scale) != total:
        return None
    return GoalBreakdown(goal, total, "ratio", {k: _quantised(n, d, parts.scale) for k, (n, d) in values.items() if d})


def _merged(values: dict) -> dict:
    """Parts keyed None and "" (no town) are one 未标注 part."""
    out: dict = {}
    for key, value in values.items():
        key = key or None
        if key in out:
            value = tuple(a + b for a, b in zip(out[key], value)) if isinstance(value, tuple) else out[key] + value
        out[key] = value
    return out


def _quantised(n: Decimal, d: Decimal, scale: Decimal) -> Decimal:
    return (n / d * scale).quantize(Decimal("0.0001"))


def _placed(recs: list[dict], by: str) -> list[str]:
    """Each record's unit key (town code, park, or UNMARKED)."""
    firm_place = _firm_places({r["firm_id"] for r in recs if r.get("firm_id")}, by)
    carrier_place = _carrier_places({r["carrier_id"] for r in recs if r.get("carrier_id") and not r.get("firm_id")}, by)
    keys = []
    for r in recs:
        place = firm_place.get(r.get("firm_id")) if r.get("firm_id") else carrier_place.get(r.get("carrier_id"))
        keys.append(place or UNMARKED)
    return keys


def _firm_places(ids: set[int], by: str) -> dict[int, str | None]:
    if not ids:
        return {}
    column = Firm.town_code if by == "town" else Firm.park
    if len(ids) >= _ALL_FIRMS_FROM:      # one scan of every firm, shared by the goals of one breakdown
        return indicators.shared(("goals.towns.places", by), lambda: dict(
            db.session.execute(select(Firm.id, column)).tuples().all()))
    ordered, out = sorted(ids), {}
    for i in range(0, len(ordered), 900):
        out.update(db.session.execute(select(Firm.id, column).where(Firm.id.in_(ordered[i:i + 900]))).tuples().all())
    return out


def _carrier_places(ids: set[int], by: str) -> dict[int, str | None]:
    if not ids or by != "town":
        return {}
    return dict(db.session.execute(select(Carrier.id, Carrier.town_code).where(Carrier.id.in_(sorted(ids))))
                .tuples().all())


def _weight(recs: list[dict], total: Decimal | None):
    """(mode, per-record weights, or (numerators, denominators, scale)) — see the module docstring."""
    if total is None:
        return None, None
    if Decimal(len(recs)) == total:
        return "count", [Decimal(1)] * len(recs)
    persons = [r.get("person") for r in recs]
    if recs and all(persons) and Decimal(len(set(persons))) == total:
        seen: set = set()
        return "distinct", [Decimal(0) if p in seen or seen.add(p) else Decimal(1) for p in persons]
    numeric = _numeric_columns(recs)
    sums = {key: sum(col, Decimal(0)) for key, col in numeric.items()}
    for key, col in numeric.items():
        for scale in _SCALES:
            if _close(sums[key] / scale, total):
                return "sum", [v / scale for v in col] if scale != 1 else col
    for num in numeric:
        for den in numeric:
            for scale in _RATIO_SCALES:
                if num != den and sums[den] and _close(sums[num] / sums[den] * scale, total):
                    return "ratio", (numeric[num], numeric[den], scale)
    return None, None


def _numeric_columns(recs: list[dict]) -> dict[str, list[Decimal]]:
    skip = {"firm_id", "carrier_id", "institution_id", "alliance_id", "year", "uscc"}
    out = {}
    for key in (recs[0].keys() if recs else ()):
        if key in skip:
            continue
        values = [_number(r.get(key)) for r in recs]
        if any(v is not None for v in values) and all(v is not None or r.get(key) in (None, "") for v, r in zip(values, recs)):
            out[key] = [v or Decimal(0) for v in values]
    return out


def _number(value) -> Decimal | None:
    if isinstance(value, bool) or value is None:
        return None
    try:
        number = Decimal(str(value))
    except InvalidOperation:
        return None
    return number if number.is_finite() else None


def _ratios(places: list[str], nums, dens, scale) -> dict[str, Decimal]:
    acc: dict[str, list[Decimal]] = {}
    for key, n, d in zip(places, nums, dens):
        pair = acc.setdefault(key, [Decimal(0), Decimal(0)])
        pair[0] += n
        pair[1] += d
    return {k: _quantised(n, d, scale) for k, (n, d) in acc.items() if d}


def _close(a: Decimal, b: Decimal) -> bool:
    """Equal up to the figure's own rounding (figures are quantised to 4 places)."""
    return abs(a - b) <= Decimal("0.00005") + abs(b) * Decimal("1e-12")


def parts_total(row: GoalBreakdown) -> Decimal:
    """The sum of an additive row's parts, rounded as the figure is (4 places)."""
    return sum(row.values.values(), Decimal(0)).quantize(Decimal("0.0001"))


def matrix(rows: list[GoalBreakdown], by: str, lang: str = "zh") -> pd.DataFrame:
    """Goals × units (plus 全区), the table of the page and the export."""
    import pandas as pd
    labels = units(by)
    data = {label: [r.values.get(key) if r.mode else None for r in rows] for key, label in labels}
    frame = pd.DataFrame(data, index=[r.goal.name(lang) for r in rows])
    frame["全区"] = [r.total for r in rows]
    return frame


# ----------------------------------------------------------------------------- a town's page, JSON

#: The records of these goals are listed on a town's page, under these headings.
LISTED = (("incubated_firms", "在孵企业（新增孵化）"), ("pre_ipo_pool", "拟上市企业"))


@dataclass
class TownDetail:
    code: str
    as_of: date
    rows: list[GoalBreakdown]
    pools: list[tuple]            # (Pool, [PoolMembership] of the town's firms)
    listed: list[tuple]           # (heading, [record])


def town_detail(code: str, as_of: date) -> TownDetail:
    """A town's (or UNMARKED's) figures against the district's, its pool members, its listed records."""
    rows = breakdown(as_of, "town")
    pools = [(p, _members_in(p, as_of, code)) for p in registry.active_pools()]
    listed = [(label, records_in(r.goal.metric, as_of, code)) for key, label in LISTED for r in rows
              if r.goal.metric == key]
    return TownDetail(code, as_of, rows, pools, listed)


def _members_in(pool, as_of: date, code: str) -> list[PoolMembership]:
    """The pool's members on as_of whose firm is in the town (or has none): filtered in SQL."""
    place = or_(Firm.town_code.is_(None), Firm.town_code == "") if code == UNMARKED else Firm.town_code == code
    stmt = (select(PoolMembership).join(PoolMembership.firm)
            .where(PoolMembership.pool_id == pool.id, member_on(as_of), Firm.archived_at.is_(None), place)
            .options(contains_eager(PoolMembership.firm)).order_by(Firm.name))
    return list(db.session.scalars(stmt))


def records_in(metric: str, as_of: date, code: str, by: str = "town") -> list[dict]:
    """The records of a goal placed in one town or park (UNMARKED: none)."""
    recs = list(indicators.records(metric, as_of))
    return [rec for rec, key in zip(recs, _placed(recs, by)) if key == code]


def _num(value):
    return None if value is None else (int(value) if value == value.to_integral_value() else float(value))


def _unit(goal: Goal, lang: str) -> str:
    return (goal.unit_en if lang == "en" else "") or goal.unit_zh


def as_dict(rows: list[GoalBreakdown], by: str, as_of: date, lang: str = "zh") -> dict:
    """The breakdown as the API and the CLI print it: units, and per goal its parts and the figure."""
    return {"as_of": as_of.isoformat(), "by": by,
            "units": [{"key": key, "label": label} for key, label in units(by)],
            "goals": [{"key": r.goal.key, "name": r.goal.name(lang), "unit": _unit(r.goal, lang), "mode": r.mode,
                       "additive": r.additive, "total": _num(r.total),
                       "values": {k: _num(v) for k, v in r.values.items()} if r.mode else {},
                       "parts_total": _num(parts_total(r)) if r.additive else None} for r in rows]}


def town_dict(town: TownDetail, name: str, lang: str = "zh") -> dict:
    """A town's page as JSON: its figures against the district's, pool members, listed records."""
    figures = []
    for r in town.rows:
        value = r.values.get(town.code, Decimal(0) if r.additive else None) if r.mode else None
        figures.append({"key": r.goal.key, "name": r.goal.name(lang), "unit": _unit(r.goal, lang), "mode": r.mode,
                        "value": _num(value), "total": _num(r.total),
                        "share": float(value / r.total) if r.additive and r.total else None})
    return {"code": town.code, "name": name, "as_of": town.as_of.isoformat(), "goals": figures,
            "pools": [{"key": p.key, "name": p.name_en if lang == "en" and p.name_en else p.name_zh,
                       "firms": [{"id": m.firm_id, "uscc": m.firm.uscc, "name": m.firm.name,
                                  "entered_on": m.entered_on.isoformat()} for m in members]}
                      for p, members in town.pools],
            "listed": [{"label": label, "records": [{k: rec.get(k) for k in ("firm_id", "uscc", "firm_name")}
                                                    for rec in recs]} for label, recs in town.listed]}

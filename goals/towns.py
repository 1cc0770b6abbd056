"""Every computed goal broken down by street/town (街道/镇) or by park (园区) as of a date.

The breakdown reads the records behind each goal's figure (core.indicators.records) and places
each record by its firm's town or park; a record of a carrier (no firm) by the carrier's town
(carriers have no park). Records whose firm or carrier has no town (park) go to the "未标注"
row, which is always shown: nothing is dropped.

How a record weighs is found from the records and the figure itself, so the parts always add up
to the district figure:
- count: one per record (or per distinct person, for talent goals counted by person);
- sum: a numeric field of the records sums to the figure (also ÷ 10,000 for 亿元 from 万元);
- ratio: two numeric fields whose sums' quotient × 100 (or × 1,000,000) is the figure — each
  town's ratio is computed over its own firms and the parts do not add up (shown as such);
- none of these: the goal is listed as not decomposable, with the district figure only.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

import pandas as pd
from sqlalchemy import select

from core import indicators
from core.db import db
from goals import rollup as ru
from goals.models import Goal
from incubation.models import Carrier
from registry import reference
from registry.models import PARKS, Firm

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


def breakdown(as_of: date, by: str = "town", goals=None) -> list[GoalBreakdown]:
    """Every computed goal (or `goals`) split by town or park (module docstring)."""
    goals = list(goals) if goals is not None else [g for g in db.session.scalars(ru.goals_query())
                                                   if g.kind == "computed" and g.metric]
    out = []
    with indicators.shared_results():
        for goal in goals:
            out.append(_one(goal, as_of, by))
    return out


def _one(goal: Goal, as_of: date, by: str) -> GoalBreakdown:
    if not goal.metric or indicators.get(goal.metric) is None:
        return GoalBreakdown(goal, None, None)
    total = indicators.compute(goal.metric, as_of)
    total = None if total is None else Decimal(str(total))
    recs = list(indicators.records(goal.metric, as_of))
    frame = _placed(recs, by)
    mode, weight = _weight(frame, recs, total)
    result = GoalBreakdown(goal, total, mode)
    if frame.empty:
        return result
    result.records = {k: [recs[i] for i in idx] for k, idx in frame.groupby("unit").groups.items()}
    if mode in ("count", "distinct", "sum"):
        sums = frame.assign(w=weight).groupby("unit")["w"].sum()
        result.values = {k: _dec(v) for k, v in sums.items()}
    elif mode == "ratio":
        result.values = _ratios(frame, weight)
    return result


def _placed(recs: list[dict], by: str) -> pd.DataFrame:
    """One row per record: its unit key (town code, park, or UNMARKED)."""
    firm_place = _firm_places({r["firm_id"] for r in recs if r.get("firm_id")}, by)
    carrier_place = _carrier_places({r["carrier_id"] for r in recs if r.get("carrier_id") and not r.get("firm_id")}, by)
    keys = []
    for r in recs:
        place = firm_place.get(r.get("firm_id")) if r.get("firm_id") else carrier_place.get(r.get("carrier_id"))
        keys.append(place or UNMARKED)
    return pd.DataFrame({"unit": keys}, index=range(len(recs)))


def _firm_places(ids: set[int], by: str) -> dict[int, str | None]:
    if not ids:
        return {}
    column = Firm.town_code if by == "town" else Firm.park
    if len(ids) >= _ALL_FIRMS_FROM:
        return dict(db.session.execute(select(Firm.id, column)).tuples().all())
    ordered, out = sorted(ids), {}
    for i in range(0, len(ordered), 900):
        out.update(db.session.execute(select(Firm.id, column).where(Firm.id.in_(ordered[i:i + 900]))).tuples().all())
    return out


def _carrier_places(ids: set[int], by: str) -> dict[int, str | None]:
    if not ids or by != "town":
        return {}
    return dict(db.session.execute(select(Carrier.id, Carrier.town_code).where(Carrier.id.in_(sorted(ids))))
                .tuples().all())


def _weight(frame: pd.DataFrame, recs: list[dict], total: Decimal | None):
    """(mode, per-record weights or (numerator, denominator, scale)) — see the module docstring."""
    if total is None:
        return None, None
    if Decimal(len(recs)) == total:
        return "count", pd.Series(1, index=frame.index)
    persons = [r.get("person") for r in recs]
    if all(persons) and Decimal(len(set(persons))) == total:
        first = pd.Series(persons).duplicated()
        return "distinct", (~first).astype(int)
    numeric = _numeric_columns(recs)
    for name, col in numeric.items():
        for scale in _SCALES:
            if _close(Decimal(str(col.sum())) / scale, total):
                return "sum", col / float(scale)
    for num in numeric:
        for den in numeric:
            for scale in _RATIO_SCALES:
                s_den = numeric[den].sum()
                if num != den and s_den and _close(Decimal(str(numeric[num].sum() / s_den)) * scale, total):
                    return "ratio", (numeric[num], numeric[den], scale)
    return None, None


def _numeric_columns(recs: list[dict]) -> dict[str, pd.Series]:
    skip = {"firm_id", "carrier_id", "institution_id", "alliance_id", "year", "uscc"}
    out = {}
    for key in (recs[0].keys() if recs else ()):
        if key in skip:
            continue
        col = pd.to_numeric(pd.Series([r.get(key) for r in recs], dtype="object"), errors="coerce")
        if col.notna().any():
            out[key] = col.fillna(0).astype(float)
    return out


def _ratios(frame: pd.DataFrame, weight) -> dict[str, Decimal]:
    num, den, scale = weight
    sums = frame.assign(n=num, d=den).groupby("unit")[["n", "d"]].sum()
    return {k: (_dec(row.n / row.d) * scale).quantize(Decimal("0.0001")) for k, row in sums.iterrows() if row.d}


def _close(a: Decimal, b: Decimal) -> bool:
    return abs(a - b) <= max(Decimal("0.005"), abs(b) * Decimal("0.000001"))


def _dec(value) -> Decimal:
    return Decimal(str(round(float(value), 4))).normalize() + 0


def matrix(rows: list[GoalBreakdown], by: str, lang: str = "zh") -> pd.DataFrame:
    """Goals × units (plus 全区), the table of the page and the export."""
    labels = units(by)
    data = {label: [r.values.get(key) if r.mode else None for r in rows] for key, label in labels}
    frame = pd.DataFrame(data, index=[r.goal.name(lang) for r in rows])
    frame["全区"] = [r.total for r in rows]
    return frame

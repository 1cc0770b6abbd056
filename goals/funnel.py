"""The cohort funnel: does the plan's chain work? 在孵 → 毕业 → 高成长 → 单项冠军 → 拟上市 → 上市.

A cohort is the set of firms whose first incubation (a tenancy in any carrier, or in the carriers
chosen by the filters) — or, with basis "pool", whose first entry into a cultivation pool — fell in
one calendar year. For a cohort and an as-of date D:
- a firm *reached* a stage when the stage's date is on or before D (dates below; a stage reached
  without the one before it still counts for that stage, e.g. a firm that entered the high-growth
  pool straight from its tenancy);
- conversion from the previous stage = firms that reached both ÷ firms that reached the previous one;
- median time between stages = median days from the previous stage's date to this one's, over the
  firms that reached both in that order;
- *where firms left*: for each firm, its furthest stage by D and the reason it left there, if it did
  (moved out of the carrier, closed down, exited the pool, left the pre-IPO pool, merged).

Stage dates: 在孵 first tenancy's entry; 毕业 first tenancy that ended with outcome 毕业; 高成长 first
entry into the high-growth pool; 单项冠军 first entry into the single-champion or national
single-champion pool; 拟上市 entry into the pre-IPO pool; 上市 the IPO stage 上市. Archived records
and archived firms never count. Cohort tables use pandas (medians, pivots over cohorts).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import TYPE_CHECKING

from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select

from core.db import db
from finance.models import EXITED, LISTED, IpoCandidate, IpoStage
from incubation.models import Carrier, Tenancy
from registry.models import Firm, Pool, PoolMembership

if TYPE_CHECKING:          # pandas (with numpy, ~40 MB) is imported by the functions that use it
    import pandas as pd

STAGES = ("incubated", "graduated", "high_growth", "champion", "pre_ipo", "listed")
STAGE_LABELS = {"incubated": _l("在孵"), "graduated": _l("毕业"), "high_growth": _l("高成长"),
                "champion": _l("单项冠军"), "pre_ipo": _l("拟上市"), "listed": _l("上市")}
LEAVE_LABELS = {"moved_out": _l("迁出载体"), "closed": _l("注销"), "pool_exit": _l("退出培育库"),
                "ipo_exit": _l("退出拟上市企业库"), "merged": _l("被合并")}
HIGH_GROWTH_POOLS = ("high_growth",)
CHAMPION_POOLS = ("single_champion", "national_champion")
COHORT_BASES = ("incubation", "pool")


@dataclass(frozen=True)
class Filters:
    """What narrows a cohort: carrier or carrier type (basis incubation), the firm's town and sector."""
    basis: str = "incubation"
    carrier_id: int | None = None
    carrier_type: str | None = None
    town_code: str | None = None
    sector: str | None = None

    def as_args(self) -> dict:
        return {k: v for k, v in (("basis", self.basis if self.basis != "incubation" else None),
                                  ("carrier", self.carrier_id), ("carrier_type", self.carrier_type),
                                  ("town", self.town_code), ("sector", self.sector)) if v}


@dataclass
class Stage:
    key: str
    firm_ids: list[int]
    conversion: float | None = None          # from the previous stage, 0..1
    median_days: float | None = None         # from the previous stage

    @property
    def reached(self) -> int:
        return len(self.firm_ids)

    @property
    def label(self) -> str:
        return str(STAGE_LABELS[self.key])


@dataclass
class Funnel:
    cohort: int
    as_of: date
    filters: Filters
    firm_ids: list[int]
    stages: list[Stage] = field(default_factory=list)
    left: list[dict] = field(default_factory=list)   # {stage, reason, firm_ids}

    @property
    def size(self) -> int:
        return len(self.firm_ids)

    def as_dict(self) -> dict:
        return {"cohort": self.cohort, "as_of": self.as_of.isoformat(), "basis": self.filters.basis,
                "filters": self.filters.as_args(), "size": self.size,
                "stages": [{"key": s.key, "label": s.label, "reached": s.reached, "firm_ids": s.firm_ids,
                            "conversion": s.conversion, "median_days": s.median_days} for s in self.stages],
                "left": [{"stage": r["stage"], "stage_label": str(STAGE_LABELS[r["stage"]]),
                          "reason": r["reason"], "reason_label": str(LEAVE_LABELS[r["reason"]]),
                          "count": len(r["firm_ids"]), "firm_ids": r["firm_ids"]} for r in self.left]}


# --------------------------------------------------------------------------- cohort membership

def _firm_filters(stmt, flt: Filters):
    if flt.town_code:
        stmt = stmt.where(Firm.town_code == flt.town_code)
    if flt.sector:
        stmt = stmt.where(Firm.plan_sector == flt.sector)
    return stmt


def _first_incubation(flt: Filters, as_of: date):
    stmt = (select(Tenancy.firm_id, func.min(Tenancy.entered_on).label("start"))
            .join(Carrier, Carrier.id == Tenancy.carrier_id).join(Firm, Firm.id == Tenancy.firm_id)
            .where(Tenancy.archived_at.is_(None), Carrier.archived_at.is_(None), Tenancy.entered_on <= as_of,
                   Firm.archived_at.is_(None)))
    if flt.carrier_id:
        stmt = stmt.where(Tenancy.carrier_id == flt.carrier_id)
    if flt.carrier_type:
        stmt = stmt.where(Carrier.carrier_type == flt.carrier_type)
    return _firm_filters(stmt, flt).group_by(Tenancy.firm_id)


def _first_pool_entry(flt: Filters, as_of: date):
    stmt = (select(PoolMembership.firm_id, func.min(PoolMembership.entered_on).label("start"))
            .join(Pool, Pool.id == PoolMembership.pool_id).join(Firm, Firm.id == PoolMembership.firm_id)
            .where(Pool.archived_at.is_(None), PoolMembership.entered_on <= as_of,
                   Firm.archived_at.is_(None)))
    return _firm_filters(stmt, flt).group_by(PoolMembership.firm_id)


# --------------------------------------------------------------------------- stage dates

def _stage_queries(cohort_ids, as_of: date, basis: str) -> dict:
    """One grouped query per stage: firm id → the stage's first date on or before as_of, for the firms of
    `cohort_ids` (a subquery of firm ids). With basis "incubation" the cohort's own start is its 在孵 date."""
    queries = {
        "graduated": select(Tenancy.firm_id, func.min(Tenancy.left_on))
        .where(Tenancy.firm_id.in_(cohort_ids), Tenancy.archived_at.is_(None), Tenancy.outcome == "毕业",
               Tenancy.left_on <= as_of).group_by(Tenancy.firm_id),
        "high_growth": _pool_entries(HIGH_GROWTH_POOLS, cohort_ids, as_of),
        "champion": _pool_entries(CHAMPION_POOLS, cohort_ids, as_of),
        "pre_ipo": select(IpoCandidate.firm_id, func.min(IpoCandidate.entered_on))
        .where(IpoCandidate.firm_id.in_(cohort_ids), IpoCandidate.archived_at.is_(None),
               IpoCandidate.entered_on <= as_of).group_by(IpoCandidate.firm_id),
        "listed": select(IpoCandidate.firm_id, func.min(IpoStage.on))
        .join(IpoStage, IpoStage.candidate_id == IpoCandidate.id)
        .where(IpoCandidate.firm_id.in_(cohort_ids), IpoCandidate.archived_at.is_(None),
               IpoStage.archived_at.is_(None), IpoStage.stage == LISTED, IpoStage.on <= as_of)
        .group_by(IpoCandidate.firm_id),
    }
    if basis != "incubation":
        queries["incubated"] = (select(Tenancy.firm_id, func.min(Tenancy.entered_on))
                                .join(Carrier, Carrier.id == Tenancy.carrier_id)
                                .where(Tenancy.firm_id.in_(cohort_ids), Tenancy.archived_at.is_(None),
                                       Carrier.archived_at.is_(None), Tenancy.entered_on <= as_of)
                                .group_by(Tenancy.firm_id))
    return queries


def _pool_entries(keys, cohort_ids, as_of: date):
    return (select(PoolMembership.firm_id, func.min(PoolMembership.entered_on))
            .join(Pool, Pool.id == PoolMembership.pool_id)
            .where(Pool.key.in_(keys), PoolMembership.firm_id.in_(cohort_ids), PoolMembership.entered_on <= as_of)
            .group_by(PoolMembership.firm_id))


def _leave_queries(cohort_ids, as_of: date) -> dict:
    """One query per reason for leaving: the firms of `cohort_ids` that left that way by as_of."""
    tenancy_out = lambda outcome: (select(Tenancy.firm_id).distinct().where(  # noqa: E731
        Tenancy.firm_id.in_(cohort_ids), Tenancy.archived_at.is_(None), Tenancy.outcome == outcome,
        Tenancy.left_on <= as_of))
    return {
        "moved_out": tenancy_out("迁出"), "closed": tenancy_out("注销"),
        "pool_exit": select(PoolMembership.firm_id).distinct().join(Pool).where(
            PoolMembership.firm_id.in_(cohort_ids), Pool.key.in_(HIGH_GROWTH_POOLS + CHAMPION_POOLS),
            PoolMembership.exited_on <= as_of),
        "ipo_exit": select(IpoCandidate.firm_id).distinct().join(IpoStage).where(
            IpoCandidate.firm_id.in_(cohort_ids), IpoStage.stage == EXITED, IpoStage.archived_at.is_(None),
            IpoStage.on <= as_of),
        "merged": select(Firm.id).where(Firm.id.in_(cohort_ids), Firm.merged_into_id.is_not(None)),
    }


def frame(as_of: date, flt: Filters = Filters()) -> pd.DataFrame:
    """Every firm in any cohort up to as_of: its cohort year, each stage's date (NaT when not reached)
    and one boolean column per reason for leaving. A fixed number of grouped queries, whatever the
    number of firms or cohorts (SQL does the grouping; pandas the medians and pivots)."""
    import pandas as pd
    starts_stmt = _first_pool_entry(flt, as_of) if flt.basis == "pool" else _first_incubation(flt, as_of)
    starts = dict(db.session.execute(starts_stmt).all())
    data = pd.DataFrame({"start": pd.to_datetime(pd.Series(starts, dtype="object"))})
    data.index.name = "firm_id"
    data["cohort"] = data["start"].dt.year.astype("Int64")
    # a cheap superset of the cohort firms (SQLite would re-run the grouped start query in each IN);
    # the reindex below keeps exactly the cohort's firms
    cohort_ids = select(PoolMembership.firm_id if flt.basis == "pool" else Tenancy.firm_id)
    stage_sql = _stage_queries(cohort_ids, as_of, flt.basis)
    for key in STAGES:
        found = data["start"] if key == "incubated" and flt.basis == "incubation" else \
            pd.to_datetime(pd.Series(dict(db.session.execute(stage_sql[key]).all()), dtype="object"))
        data[key] = found.reindex(data.index)
    for reason, stmt in _leave_queries(cohort_ids, as_of).items():
        data[reason] = data.index.isin(list(db.session.scalars(stmt)))
    return data


# reasons that end a firm's path at each furthest stage
_LEAVES_AT = {"incubated": ("closed", "moved_out", "merged"), "graduated": ("closed", "merged"),
              "high_growth": ("pool_exit", "merged"), "champion": ("pool_exit", "merged"),
              "pre_ipo": ("ipo_exit", "merged"), "listed": ("merged",)}


def _left_table(cohort: pd.DataFrame) -> list[dict]:
    import pandas as pd
    rows: dict[tuple[str, str], list[int]] = {}
    for fid, rec in cohort.iterrows():
        furthest = next((s for s in reversed(STAGES) if pd.notna(rec[s])), None)
        if furthest is None:
            continue
        reason = next((r for r in _LEAVES_AT[furthest] if rec[r]), None)
        if reason:
            rows.setdefault((furthest, reason), []).append(int(fid))
    return [{"stage": s, "reason": r, "firm_ids": sorted(ids)}
            for (s, r), ids in sorted(rows.items(), key=lambda kv: (STAGES.index(kv[0][0]), kv[0][1]))]


# --------------------------------------------------------------------------- the funnel

def _stages(cohort: pd.DataFrame) -> list[Stage]:
    out = []
    for i, key in enumerate(STAGES):
        stage = Stage(key, sorted(int(x) for x in cohort.index[cohort[key].notna()]))
        if i:
            prev = STAGES[i - 1]
            before = cohort[cohort[prev].notna()]
            both = before[before[key].notna()]
            stage.conversion = round(len(both) / len(before), 4) if len(before) else None
            gaps = (both[key] - both[prev]).dt.days
            gaps = gaps[gaps >= 0]
            stage.median_days = float(gaps.median()) if len(gaps) else None
        out.append(stage)
    return out


def funnel(cohort: int, as_of: date, flt: Filters = Filters(), data: pd.DataFrame | None = None) -> Funnel:
    """The funnel of one cohort year as of `as_of` (see the module docstring for every rule).
    `data`: the frame(as_of, flt) already read (the overview reads it once for every cohort)."""
    data = frame(as_of, flt) if data is None else data
    members = data[data["cohort"] == cohort]
    result = Funnel(cohort, as_of, flt, sorted(int(x) for x in members.index))
    result.stages = _stages(members)
    result.left = _left_table(members)
    return result


def cohort_years(as_of: date, flt: Filters = Filters(), data: pd.DataFrame | None = None) -> list[int]:
    """The cohort years that have firms up to as_of."""
    data = frame(as_of, flt) if data is None else data
    return sorted(int(y) for y in data["cohort"].dropna().unique())


def overview(as_of: date, flt: Filters = Filters(), data: pd.DataFrame | None = None) -> pd.DataFrame:
    """One row per cohort year: cohort size and how many reached each stage by as_of."""
    data = frame(as_of, flt) if data is None else data
    table = data.groupby("cohort")[list(STAGES)].count()
    table.insert(0, "size", data.groupby("cohort").size())
    table = table.reset_index().astype(int)
    return table[["cohort", "size", *STAGES]]


def firms_of(ids: list[int]) -> list[Firm]:
    if not ids:
        return []
    found: list[Firm] = []
    ids = sorted(ids)
    for i in range(0, len(ids), 900):      # bound the IN list (SQLite's variable limit)
        found.extend(db.session.scalars(select(Firm).where(Firm.id.in_(ids[i:i + 900]))))
    return sorted(found, key=lambda f: (f.name_sort, f.id))

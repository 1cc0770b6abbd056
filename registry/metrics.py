"""Registry indicators for goals/: pool counts and ratios over the firms' annual facts.

Pool counts are the members as of the date (entered_on <= D < exited_on, archived firms left out).

Fact ratios use one reference year: the latest year <= as_of.year - 1 that has any facts for the
population (annual statistics are complete only after the year ends); if there is none, the
year as_of.year itself when it has facts. No facts at all, or a zero denominator → None.
Populations use the firms' current flags and industry codes (not historical ones):
- "manufacturing" = GB/T 4754-2017 门类 C (大类 13–43), "industrial" = 门类 B, C, D (大类 06–46);
- firms without an industry code are in neither; archived (and merged) firms are left out.
Money is in 万元 in the facts; results are in the goal's unit (%, 件, 亿元).
"""
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Callable

from sqlalchemy import DDL, and_, case, event, func, or_, select

from core import dataversion, indicators
from core.db import UNMANAGED_PREFIXES, db
from core.indicators import Indicator, Parts
from registry import service
from registry.queries import member_on, place_column
from registry.models import Firm, FirmFact, Pool, PoolMembership

HUNDRED = Decimal(100)

#: PostgreSQL: the firms the fact sums read (live, above scale or in a plan sector: about 8 % of them),
#: with every column the sums use, so that _totals_stmt reads them from this index alone instead of
#: scanning the whole firm table with its long business scopes (100,000 firms: 124 ms → 29 ms for a
#: year's sums, what the dashboard computes again after a facts write). SQLite reads its smaller table
#: fast enough (bench/scale.py). The migration creates the same; its predicate must stay figure_firms()
#: for the planner to use it (tests/registry/test_metrics.py checks).
FIGURES_INDEX = "ix_registry_firms_figures"
PG_FIGURES_INDEX_DDL = (
    f"CREATE INDEX IF NOT EXISTS {FIGURES_INDEX} ON registry_firms (id) "
    "INCLUDE (archived_at, plan_sector, above_scale, high_tech, industry_code) "
    "WHERE archived_at IS NULL AND (above_scale IS true OR plan_sector IS NOT NULL)")
UNMANAGED_PREFIXES.add(FIGURES_INDEX)


@event.listens_for(Firm.__table__, "after_create")
def _create_figures_index(_table, connection, **_kw) -> None:
    """create_all (tests, benchmarks) builds the index as the migration does."""
    if connection.dialect.name == "postgresql":
        connection.execute(DDL(PG_FIGURES_INDEX_DDL))


# ----------------------------------------------------------------------------- pools

def _pool_metric(key: str, name: str, label_zh: str, label_en: str) -> Indicator:
    def records(as_of: date) -> list[dict]:
        pool = service.pool_by_key(key)
        if pool is None:
            return []
        return [{"firm_id": m.firm_id, "uscc": m.firm.uscc, "firm_name": m.firm.name,
                 "entered_on": m.entered_on.isoformat(), "reason": m.reason}
                for m in service.members_as_of(pool, as_of)]

    def compute(as_of: date) -> int:
        return _pool_counts(as_of).get(key, 0)

    def places(as_of: date, by: str) -> Parts | None:
        pool = service.pool_by_key(key)
        return None if pool is None else Parts("count", _pool_places(pool.id, as_of, by))

    compute.__name__ = f"pool_{name}"
    return Indicator(name, compute=compute, records=records, domain="registry", label_zh=label_zh, label_en=label_en,
                     places=places)


def _pool_places(pool_id: int, as_of: date, by: str) -> dict:
    """{town or park: members on as_of} of one pool (archived firms left out): one aggregate for
    every pool of a breakdown (shared)."""
    def query():
        place = place_column(by)
        stmt = (select(PoolMembership.pool_id, place, func.count()).select_from(PoolMembership)
                .join(Firm, Firm.id == PoolMembership.firm_id)
                .where(member_on(as_of), Firm.archived_at.is_(None)).group_by(PoolMembership.pool_id, place))
        out: dict = {}
        for pid, key, n in db.session.execute(stmt):
            out.setdefault(pid, {})[key] = Decimal(n)
        return out
    return indicators.shared(("registry.pool_places", as_of, by), query).get(pool_id, {})


POOL_METRICS = (
    _pool_metric("single_champion", "single_champion_pool", "单项（隐形）冠军培育入库数",
                 "Firms in the single-champion cultivation pool"),
    _pool_metric("high_growth", "high_growth_pool", "高成长性企业培育入库数", "Firms in the high-growth cultivation pool"),
    _pool_metric("three_famous", "three_famous", "市级以上“三名”企业数", "City-level and above \"three famous\" firms"),
    _pool_metric("national_champion", "national_champion_cultivation", "国家制造业单项冠军培育企业数",
                 "Firms in national single-champion cultivation"),
)


def _pool_counts(as_of: date) -> dict[str, int]:
    """{pool key: members on as_of}: one pass for every pool metric of a roll-up (shared)."""
    def query():
        counts = service.member_counts_as_of(as_of)
        return {p.key: counts.get(p.id, 0) for p in db.session.scalars(select(Pool))}
    return indicators.shared(("registry.pool_counts", as_of), query)


# ----------------------------------------------------------------------------- populations

def _manufacturing():
    return or_(Firm.industry_code == "C", func.substr(Firm.industry_code, 1, 2).between("13", "43"))


def _industrial():
    return or_(Firm.industry_code.in_(("B", "C", "D")),
               func.substr(Firm.industry_code, 1, 2).between("06", "46"))


def _above_scale(*extra):
    return (Firm.archived_at.is_(None), Firm.above_scale.is_(True), *extra)


def reference_year(as_of: date, conditions) -> int | None:
    """Latest fact year <= as_of.year - 1 for the population, else as_of.year if it has facts."""
    base = select(func.max(FirmFact.year)).join(FirmFact.firm).where(*conditions)
    year = db.session.scalar(base.where(FirmFact.year <= as_of.year - 1))
    if year is not None:
        return year
    return db.session.scalar(base.where(FirmFact.year == as_of.year))


def _pick_year(as_of: date, years) -> int | None:
    """reference_year's rule over the years that have facts."""
    earlier = [y for y in years if y <= as_of.year - 1]
    if earlier:
        return max(earlier)
    return as_of.year if as_of.year in years else None


def _rows(as_of: date, conditions) -> list[tuple[Firm, FirmFact]]:
    year = reference_year(as_of, conditions)
    if year is None:
        return []
    stmt = (select(Firm, FirmFact).join(FirmFact, FirmFact.firm_id == Firm.id)
            .where(FirmFact.year == year, *conditions).order_by(Firm.name_sort, Firm.id))
    return list(db.session.execute(stmt).tuples())


#: The populations of the ratios, and the sums taken over their facts (SQL expressions).
POPULATIONS = {
    "above_scale_manufacturing": lambda: _above_scale(_manufacturing()),
    "above_scale_industrial": lambda: _above_scale(_industrial()),
}
SUMS = {
    "rd_spend": lambda: FirmFact.rd_spend, "revenue": lambda: FirmFact.revenue,
    "value_added": lambda: FirmFact.value_added, "output_value": lambda: FirmFact.output_value,
    "brand_output": lambda: FirmFact.brand_output, "invention_patents": lambda: FirmFact.invention_patents,
    "high_tech_value_added": lambda: case((Firm.high_tech.is_(True), FirmFact.value_added), else_=None),
}


def _fact_totals(as_of: date, every_year: bool = False) -> list[tuple]:
    """Sums of the live firms' facts grouped by year, plan sector and population membership.

    Every ratio and sector output of a roll-up is read from it (shared within the roll-up by
    core.indicators.shared_results). Only the years a reference year can be are read — the
    latest year before as_of's with any facts, and as_of's own — unless `every_year`.

    The two years' groups are one query each, cached by year (core.dataversion): the dashboard's figures
    as of today and a year before share the reference year they both read, and a write to one year's
    facts leaves the other years' sums cached. `every_year` reads every year in one statement."""
    def query():
        if every_year:              # one statement, however many years there are
            return [tuple(row) for row in db.session.execute(_totals_stmt(FirmFact.year <= as_of.year))]
        latest = _latest_year(as_of)
        years = [as_of.year] if latest is None else sorted({latest, as_of.year})
        return [row for year in years for row in _year_totals(year)]
    return indicators.shared(("registry.fact_totals", as_of, every_year), query)


def _totals_stmt(years):
    """The groups of _fact_totals for the facts whose year meets `years` (an SQL condition)."""
    keys = [FirmFact.year, Firm.plan_sector, *_members()]
    return (select(*keys, func.count(), *(func.sum(SUMS[n]()).label(n) for n in SUMS))
            .select_from(FirmFact).join(Firm, FirmFact.firm_id == Firm.id)
            .where(years, *figure_firms())
            .group_by(*keys))


def _members() -> list:
    """One 1/0 column per population (POPULATIONS), grouped on by the sums."""
    return [case((and_(*POPULATIONS[p]()), 1), else_=0).label(p) for p in POPULATIONS]


def figure_firms() -> list:
    """The firms whose facts the sums read: live, above scale or in a plan sector (FIGURES_INDEX's predicate)."""
    return [Firm.archived_at.is_(None), or_(Firm.above_scale.is_(True), Firm.plan_sector.is_not(None))]


def _year_totals(year: int) -> tuple[tuple, ...]:
    """_fact_totals' groups of one year (cached until a commit writes the facts or the firms' figure columns)."""
    return dataversion.cached(("registry.year_totals", year), lambda: tuple(
        tuple(row) for row in db.session.execute(_totals_stmt(FirmFact.year == year))))


def _latest_year(as_of: date) -> int | None:
    """The latest year <= as_of.year - 1 with any facts (the index on year answers it)."""
    return indicators.shared(("registry.latest_fact_year", as_of), lambda: db.session.scalar(
        select(func.max(FirmFact.year)).where(FirmFact.year <= as_of.year - 1)))


def _totals_by_year(as_of: date, keep) -> dict[int, list]:
    """{year: [count, *sums]} over the groups of _fact_totals for which keep(group) holds."""
    by_year = _add_up(_fact_totals(as_of), keep)
    latest = _latest_year(as_of)
    if latest is not None and latest not in by_year:     # no facts of that year here: look further back
        by_year = _add_up(_fact_totals(as_of, every_year=True), keep)
    return by_year


def _add_up(rows, keep) -> dict[int, list]:
    width = 2 + len(POPULATIONS)
    out: dict[int, list] = {}
    for row in rows:
        if keep(row):
            acc = out.setdefault(row[0], [0] + [Decimal(0)] * len(SUMS))
            acc[0] += row[width]
            for i, value in enumerate(row[width + 1:], 1):
                acc[i] += _dec(value)
    return out


def population_sums(population: str, as_of: date) -> dict | None:
    """{"year", "count", <sum name>: Decimal, ...} over the population's facts of the reference year."""
    column = 2 + list(POPULATIONS).index(population)
    by_year = _totals_by_year(as_of, lambda row: row[column] == 1)
    year = _pick_year(as_of, by_year)
    if year is None:
        return None
    count, *sums = by_year[year]
    return {"year": year, "count": count, **dict(zip(SUMS, sums))}


@dataclass(frozen=True)
class Ratio:
    """sum(numerator) / sum(denominator) × scale over a population's facts of the reference year."""
    population: str                                          # a key of POPULATIONS
    numerator: Callable[[Firm, FirmFact], Decimal | None]    # per firm, for the records
    denominator: Callable[[Firm, FirmFact], Decimal | None]
    num_sum: str                                             # the same as keys of SUMS (the number)
    den_sum: str
    scale: Decimal = HUNDRED
    num_label: str = "numerator"
    den_label: str = "denominator"

    def compute(self, as_of: date):
        sums = population_sums(self.population, as_of)
        if sums is None or not sums["count"] or sums[self.den_sum] == 0:
            return None
        return (sums[self.num_sum] / sums[self.den_sum] * self.scale).quantize(Decimal("0.0001"))

    def places(self, as_of: date, by: str) -> Parts | None:
        sums = population_sums(self.population, as_of)
        if sums is None:
            return None
        column = 2 + list(POPULATIONS).index(self.population)
        num, den = list(SUMS).index(self.num_sum), list(SUMS).index(self.den_sum)
        values: dict = {}
        for row in _place_sums(sums["year"], by):
            if row[column] == 1:
                pair = values.setdefault(row[0], [Decimal(0), Decimal(0)])
                pair[0] += row[num - len(SUMS)]
                pair[1] += row[den - len(SUMS)]
        return Parts("ratio", {k: tuple(v) for k, v in values.items()}, self.scale)

    def records(self, as_of: date) -> list[dict]:
        return [{"firm_id": f.id, "uscc": f.uscc, "firm_name": f.name, "year": x.year,
                 self.num_label: _plain(self.numerator(f, x)), self.den_label: _plain(self.denominator(f, x))}
                for f, x in _rows(as_of, POPULATIONS[self.population]())]


def _dec(value) -> Decimal:
    return Decimal(0) if value is None else Decimal(str(value))


def _plain(value):
    return None if value is None else (int(value) if isinstance(value, int) else str(value))


def _ratio_metric(name: str, label_zh: str, label_en: str, ratio: Ratio) -> Indicator:
    return Indicator(name, compute=ratio.compute, records=ratio.records, domain="registry",
                     label_zh=label_zh, label_en=label_en, places=ratio.places)


RATIO_METRICS = (
    _ratio_metric(
        "rd_intensity_above_scale_mfg", "规上制造业研发经费支出占主营业务收入比重",
        "R&D spend as share of revenue, above-scale manufacturing",
        Ratio("above_scale_manufacturing", lambda f, x: x.rd_spend, lambda f, x: x.revenue,
              num_sum="rd_spend", den_sum="revenue", num_label="rd_spend", den_label="revenue")),
    _ratio_metric(
        "value_added_rate_above_scale_mfg", "规上制造业增加值率", "Value-added rate, above-scale manufacturing",
        Ratio("above_scale_manufacturing", lambda f, x: x.value_added, lambda f, x: x.output_value,
              num_sum="value_added", den_sum="output_value", num_label="value_added", den_label="output_value")),
    _ratio_metric(
        "brand_output_share", "品牌产品产值占规上产值比重", "Brand-product output share of above-scale output",
        Ratio("above_scale_industrial", lambda f, x: x.brand_output, lambda f, x: x.output_value,
              num_sum="brand_output", den_sum="output_value", num_label="brand_output", den_label="output_value")),
    _ratio_metric(
        "patents_per_10bn_revenue", "规上工业每百亿元主营业务收入有效发明专利数",
        "Valid invention patents per 10 bn yuan revenue, above-scale industry",
        # revenue 万元 → 百亿元: ÷ 1,000,000, i.e. patents / revenue × 1e6
        Ratio("above_scale_industrial", lambda f, x: x.invention_patents, lambda f, x: x.revenue,
              num_sum="invention_patents", den_sum="revenue", scale=Decimal(1_000_000),
              num_label="invention_patents", den_label="revenue")),
    _ratio_metric(
        "hightech_value_added_share", "高新技术产业增加值占规上工业比重",
        "High-tech value added as share of above-scale industry",
        Ratio("above_scale_industrial", lambda f, x: x.value_added if f.high_tech else None,
              lambda f, x: x.value_added, num_sum="high_tech_value_added", den_sum="value_added",
              num_label="high_tech_value_added", den_label="value_added")),
)


# ----------------------------------------------------------------------------- sectors

def _sector_conditions(sector: str):
    return (Firm.archived_at.is_(None), Firm.plan_sector == sector)


def _sector_rows(as_of: date, sector: str):
    return _rows(as_of, _sector_conditions(sector))


def sector_output(as_of: date, sector: str):
    """Sum of 产值 of firms whose plan sector is `sector`, in 亿元 (万元 / 10000); None without facts."""
    by_year = _totals_by_year(as_of, lambda row: row[1] == sector)
    year = _pick_year(as_of, by_year)
    if year is None:
        return None
    output = by_year[year][1 + list(SUMS).index("output_value")]
    return (output / Decimal(10000)).quantize(Decimal("0.0001"))


def sector_output_places(as_of: date, by: str, sector: str) -> Parts | None:
    """sector_output by town or park: 产值 of the sector's firms in the same year, 亿元 (exact parts)."""
    year = _pick_year(as_of, _totals_by_year(as_of, lambda row: row[1] == sector))
    if year is None:
        return None
    col = list(SUMS).index("output_value") - len(SUMS)
    values: dict = {}
    for row in _place_sums(year, by):
        if row[1] == sector:
            values[row[0]] = values.get(row[0], Decimal(0)) + row[col] / Decimal(10000)
    return Parts("sum", values)


def _place_sums(year: int, by: str) -> list[tuple]:
    """_fact_totals' sums of one year grouped by town (or park) too: (place, plan sector, population
    flags…, sums…), exact in 万元 on SQLite as well (summed in ten-thousandths, the columns' scale):
    the parts equal those of the records to the last digit. Shared within a breakdown."""
    def query():
        keys = [place_column(by), Firm.plan_sector, *_members()]
        stmt = (select(*keys, *(func.sum(func.round(SUMS[n]() * 10000)) for n in SUMS))
                .select_from(FirmFact).join(Firm, FirmFact.firm_id == Firm.id)
                .where(FirmFact.year == year, *figure_firms())
                .group_by(*keys))
        return [(*row[:len(keys)], *(_dec(v) / 10000 for v in row[len(keys):])) for row in db.session.execute(stmt)]
    return indicators.shared(("registry.place_sums", year, by), query)


def sector_output_records(as_of: date, sector: str) -> list[dict]:
    return [{"firm_id": f.id, "uscc": f.uscc, "firm_name": f.name, "year": x.year,
             "plan_sector": sector, "output_value": _plain(x.output_value)}
            for f, x in _sector_rows(as_of, sector)]


METRICS = (
    *POOL_METRICS,
    *RATIO_METRICS,
    Indicator("sector_output:", compute=sector_output, records=sector_output_records, domain="registry",
              label_zh="规划产业产值（亿元）", label_en="Plan-sector output (100 m yuan)", parametrised=True,
              places=sector_output_places),
)

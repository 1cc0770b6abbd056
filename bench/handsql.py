"""One hand-written SQL query per goal: the baseline the roll-up is compared with.

Each computed goal's metric written directly in SQL (the counting rules of the domains' metrics
modules), each reported goal as "latest approved value on or before D". Parameters: :d (as-of
date), :y (its year), :y0 (1 January of that year), :w0 and :w1 (the plan's counting window for the
flows, 2017-01-01..2019-12-31) and :wy0, :wy1 (its first and last year). A flow counted in the window
is counted up to D or the window's end, whichever is earlier (the roll-up counts a windowed goal at its
window's end once that has passed). Runs on SQLite and PostgreSQL.
"""
from __future__ import annotations

from datetime import date

MFG = "(f.industry_code = 'C' OR substr(f.industry_code, 1, 2) BETWEEN '13' AND '43')"
IND = "(f.industry_code IN ('B', 'C', 'D') OR substr(f.industry_code, 1, 2) BETWEEN '06' AND '46')"
PLAN_WINDOW = (date(2017, 1, 1), date(2019, 12, 31))     # the plan's counting window of the flows


def _pool(key: str) -> str:
    return f"""SELECT count(*) FROM registry_pool_memberships m
        JOIN registry_pools p ON p.id = m.pool_id JOIN registry_firms f ON f.id = m.firm_id
        WHERE p.key = '{key}' AND m.entered_on <= :d AND (m.exited_on IS NULL OR m.exited_on > :d)
          AND f.archived_at IS NULL"""


def _facts_of(population: str, select: str) -> str:
    """`select` over the population's facts of the reference year (metrics.reference_year's rule)."""
    return f"""WITH pop AS (SELECT x.*, f.high_tech AS ht FROM registry_firm_facts x
                           JOIN registry_firms f ON f.id = x.firm_id
                           WHERE f.archived_at IS NULL AND {population}),
        yr AS (SELECT COALESCE((SELECT max(year) FROM pop WHERE year <= :y - 1),
                               (SELECT max(year) FROM pop WHERE year = :y)) AS year)
        SELECT {select} FROM pop JOIN yr ON pop.year = yr.year"""


def _ratio(population: str, num: str, den: str, scale: str = "100.0") -> str:
    """No facts or a zero denominator: NULL; numerators all empty: 0."""
    return _facts_of(population, f"COALESCE(sum({num}), 0) * {scale} / NULLIF(sum({den}), 0)")


def _sector(sector: str) -> str:
    """No facts of the sector: NULL; facts with every output empty: 0."""
    return _facts_of(f"f.plan_sector = '{sector}'",
                     "CASE WHEN count(*) > 0 THEN COALESCE(sum(output_value), 0) / 10000.0 END")


def _persons(categories: tuple[str, ...], supported: bool = False, window: bool = True) -> str:
    """Distinct live persons with a live recognition in `categories`: recognised in the plan window up
    to D (a flow), or on or before D (window=False: a stock); `supported`: with support > 0 万元."""
    cats = ", ".join(f"'{c}'" for c in categories)
    extra = " AND r.support > 0" if supported else ""
    if window:
        extra += " AND r.recognized_on >= :w0 AND r.recognized_on <= :w1"
    return f"""SELECT count(DISTINCT r.person_id) FROM talent_recognitions r
        JOIN talent_persons p ON p.id = r.person_id
        WHERE r.category IN ({cats}) AND r.recognized_on <= :d AND r.archived_at IS NULL
          AND p.archived_at IS NULL{extra}"""


def _institutions(levels: tuple[str, ...]) -> str:
    lv = ", ".join(f"'{v}'" for v in levels)
    return f"""SELECT count(*) FROM incubation_rd_institutions WHERE archived_at IS NULL AND level IN ({lv})
        AND recognized_on <= :d AND (revoked_on IS NULL OR revoked_on > :d)"""


METRIC_SQL = {
    "single_champion_pool": _pool("single_champion"),
    "high_growth_pool": _pool("high_growth"),
    "three_famous": _pool("three_famous"),
    "national_champion_cultivation": _pool("national_champion"),
    "rd_intensity_above_scale_mfg": _ratio(f"f.above_scale AND {MFG}", "rd_spend", "revenue"),
    "value_added_rate_above_scale_mfg": _ratio(f"f.above_scale AND {MFG}", "value_added", "output_value"),
    "brand_output_share": _ratio(f"f.above_scale AND {IND}", "brand_output", "output_value"),
    "patents_per_10bn_revenue": _ratio(f"f.above_scale AND {IND}", "invention_patents", "revenue", "1000000.0"),
    "hightech_value_added_share": _ratio(f"f.above_scale AND {IND}",
                                         "CASE WHEN ht THEN value_added END", "value_added"),
    "maker_spaces": """SELECT count(*) FROM incubation_carriers WHERE carrier_type = '众创空间'
        AND archived_at IS NULL AND COALESCE(recognized_on, opened_on) <= :d
        AND (closed_on IS NULL OR closed_on > :d)""",
    "incubated_firms": """SELECT count(DISTINCT t.firm_id) FROM incubation_tenancies t
        JOIN incubation_carriers c ON c.id = t.carrier_id JOIN registry_firms f ON f.id = t.firm_id
        WHERE t.archived_at IS NULL AND c.archived_at IS NULL AND f.archived_at IS NULL
          AND t.entered_on >= :w0 AND t.entered_on <= :d AND t.entered_on <= :w1""",
    "incubation_area": """SELECT COALESCE(sum(area_m2), 0) FROM incubation_carriers WHERE archived_at IS NULL
        AND carrier_type IN ('众创空间', '孵化器', '加速器')
        AND opened_on <= :d AND (closed_on IS NULL OR closed_on > :d)""",
    "makers": """SELECT COALESCE(sum(m.makers), 0) FROM incubation_maker_counts m
        JOIN incubation_carriers c ON c.id = m.carrier_id
        WHERE c.archived_at IS NULL AND m.year >= :wy0 AND m.year <= :y AND m.year <= :wy1""",
    "provincial_research_institutes": _institutions(("省级重点企业研究院",)),
    "rd_institutions": _institutions(("国家级", "省级重点企业研究院", "省级", "市级")),
    "innovation_alliances": """SELECT count(*) FROM incubation_alliances WHERE archived_at IS NULL
        AND founded_on >= :w0 AND founded_on <= :d AND founded_on <= :w1""",
    "leading_talents": _persons(("领军人才", "千人计划专家"), supported=True),
    "leading_talent_teams": """SELECT count(*) FROM talent_teams WHERE archived_at IS NULL
        AND recognized_on >= :w0 AND recognized_on <= :d AND recognized_on <= :w1""",
    "smart_makers": _persons(("智造创客",)),
    "high_skill_talents": _persons(("高技能人才",)),
    "management_talents": _persons(("经营管理人才",), window=False),
    "pre_ipo_pool": """SELECT count(*) FROM finance_ipo_candidates WHERE archived_at IS NULL
        AND entered_on <= :d AND (closed_on IS NULL OR closed_on > :d)""",
    "direct_financing": """SELECT COALESCE(sum(amount), 0) FROM finance_financing_events
        WHERE archived_at IS NULL AND event_on >= :y0 AND event_on <= :d""",
}

REPORTED_SQL = """SELECT value FROM goals_reported_values WHERE goal_id = :goal AND status = 'approved'
    AND period_end <= :d AND value IS NOT NULL ORDER BY period_end DESC, id DESC LIMIT 1"""


def sql_for(goal) -> tuple[str, dict] | None:
    """(sql, extra params) for a goal, or None when no hand-written query covers its metric."""
    if goal.kind != "computed":
        return REPORTED_SQL, {"goal": goal.id}
    metric = goal.metric or ""
    if metric.startswith("sector_output:"):
        return _sector(metric.split(":", 1)[1]), {}
    if metric in METRIC_SQL:
        return METRIC_SQL[metric], {}
    return None


def params(as_of: date) -> dict:
    start, end = PLAN_WINDOW
    return {"d": as_of, "y": as_of.year, "y0": date(as_of.year, 1, 1), "w0": start, "w1": end,
            "wy0": start.year, "wy1": end.year}

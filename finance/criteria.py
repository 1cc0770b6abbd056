"""Listing criteria as data: the check of a candidate against its board's criteria, the
criterion services (admins) and the seeded examples.

A check reads the firm's annual facts (registry FirmFact: net_profit, revenue, rd_spend, 万元).
A criterion whose inputs are missing is "unknown" (未知), never "fail" — unless a known value
already decides it (one loss-making year fails "net profit positive in each year").
"""
from dataclasses import dataclass, field
from decimal import Decimal

from flask_babel import gettext as _
from sqlalchemy import select

from core.audit import service as audit
from core.db import db
from core.errors import ServiceError
from finance.models import BOARDS, CRITERION_KINDS, RANGES, ListingCriterion
from registry.models import FirmFact

PASS, FAIL, UNKNOWN = "pass", "fail", "unknown"


@dataclass
class CriterionResult:
    criterion: ListingCriterion
    status: str
    years: list[int]
    used: list[tuple[int, str, Decimal | None]] = field(default_factory=list)  # (year, fact, value)
    computed: Decimal | None = None      # the sum / ratio compared with the threshold


@dataclass
class CriteriaCheck:
    board: str
    base_year: int | None
    results: list[CriterionResult]

    @property
    def summary(self) -> dict[str, int]:
        out = {PASS: 0, FAIL: 0, UNKNOWN: 0}
        for r in self.results:
            out[r.status] += 1
        return out


def criteria_for(board: str) -> list[ListingCriterion]:
    stmt = (select(ListingCriterion)
            .where(ListingCriterion.board == board, ListingCriterion.archived_at.is_(None))
            .order_by(ListingCriterion.sort_order, ListingCriterion.id))
    return list(db.session.scalars(stmt))


def facts_by_year(firm_id: int) -> dict[int, FirmFact]:
    return {f.year: f for f in db.session.scalars(select(FirmFact).where(FirmFact.firm_id == firm_id))}


def check_candidate(candidate, base_year: int | None = None) -> CriteriaCheck:
    """Check `candidate`'s firm against its board's criteria for the years ending `base_year`
    (default: the latest year with any fact)."""
    facts = facts_by_year(candidate.firm_id)
    if base_year is None and facts:
        base_year = max(facts)
    results = [evaluate(c, facts, base_year) for c in criteria_for(candidate.board)]
    return CriteriaCheck(candidate.board, base_year, results)


def _window(criterion: ListingCriterion, base_year: int | None) -> list[int]:
    uses_years = CRITERION_KINDS.get(criterion.kind, ("", False))[1]
    n = max(1, criterion.years or 1) if uses_years else 1
    return [] if base_year is None else list(range(base_year - n + 1, base_year + 1))


def _values(facts, years, name) -> list[tuple[int, str, Decimal | None]]:
    return [(y, name, getattr(facts.get(y), name, None)) for y in years]


def evaluate(criterion: ListingCriterion, facts: dict[int, FirmFact], base_year: int | None) -> CriterionResult:
    """One criterion against the facts; see the module docstring for unknown vs fail."""
    years = _window(criterion, base_year)
    rule = _RULES.get(criterion.kind)
    if rule is None or not years:
        return CriterionResult(criterion, UNKNOWN, years)
    return rule(criterion, facts, years)


def _each(name, ok):
    """Every year's value must satisfy ok(value, criterion); one known failure decides."""
    def rule(c, facts, years):
        used = _values(facts, years, name)
        known = [v for _y, _n, v in used if v is not None]
        if any(not ok(v, c) for v in known):
            status = FAIL
        else:
            status = UNKNOWN if len(known) < len(used) else PASS
        return CriterionResult(c, status, years, used)
    return rule


def _sum_at_least(name):
    def rule(c, facts, years):
        used = _values(facts, years, name)
        if any(v is None for _y, _n, v in used) or c.threshold is None:
            return CriterionResult(c, UNKNOWN, years, used)
        total = sum((v for _y, _n, v in used), Decimal(0))
        return CriterionResult(c, PASS if total >= c.threshold else FAIL, years, used, total)
    return rule


def _rd_intensity(c, facts, years):
    used = _values(facts, years, "rd_spend") + _values(facts, years, "revenue")
    if any(v is None for _y, _n, v in used) or c.threshold is None:
        return CriterionResult(c, UNKNOWN, years, used)
    rd = sum((v for _y, n, v in used if n == "rd_spend"), Decimal(0))
    revenue = sum((v for _y, n, v in used if n == "revenue"), Decimal(0))
    if revenue <= 0:
        return CriterionResult(c, UNKNOWN, years, used)
    ratio = (rd * 100 / revenue).quantize(Decimal("0.01"))
    return CriterionResult(c, PASS if ratio >= c.threshold else FAIL, years, used, ratio)


_RULES = {
    "net_profit_positive_years": _each("net_profit", lambda v, c: v > 0),
    "net_profit_min_each": _each("net_profit", lambda v, c: c.threshold is None or v >= c.threshold),
    "net_profit_min": _each("net_profit", lambda v, c: c.threshold is None or v >= c.threshold),
    "cumulative_net_profit_min": _sum_at_least("net_profit"),
    "revenue_min": _sum_at_least("revenue"),
    "cumulative_revenue_min": _sum_at_least("revenue"),
    "rd_intensity_min": _rd_intensity,
    "rd_spend_min": _sum_at_least("rd_spend"),
}


# ----------------------------------------------------------------------------- admin services

def _check_criterion(board, key, kind, years, threshold, exclude_id=None) -> None:
    if board not in BOARDS:
        raise ServiceError(_("未知的拟上市板块：%(b)s", b=board), field="board")
    spec = CRITERION_KINDS.get(kind)
    if spec is None:
        raise ServiceError(_("未知的标准类型：%(k)s", k=kind), field="kind")
    if spec[1] and not years:
        raise ServiceError(_("该类型须填写年数 N"), field="years")
    if spec[2] and threshold is None:
        raise ServiceError(_("该类型须填写阈值 X"), field="threshold")
    RANGES["threshold"].check(threshold, "threshold")
    RANGES["years"].check(years, "years")
    stmt = select(ListingCriterion.id).where(ListingCriterion.board == board, ListingCriterion.key == key)
    if exclude_id is not None:
        stmt = stmt.where(ListingCriterion.id != exclude_id)
    if db.session.scalar(stmt) is not None:
        raise ServiceError(_("该板块已有代码为“%(k)s”的标准", k=key), field="key")


def create_criterion(actor, *, board, key, label, kind, years=None, threshold=None, sort_order=0,
                     note="") -> ListingCriterion:
    """Add a criterion to a board. Key unique per board; N/X required when the kind uses them."""
    _check_criterion(board, key, kind, years, threshold)
    crit = ListingCriterion(board=board, key=key, label=label, kind=kind, years=years, threshold=threshold,
                            sort_order=sort_order or 0, note=note or "", is_example=False)
    db.session.add(crit)
    audit.record(actor, "finance.criterion.create", crit)
    return crit


def update_criterion(crit: ListingCriterion, actor, *, board, key, label, kind, years=None, threshold=None,
                     sort_order=0, note="") -> bool:
    """Edit a criterion (same rules as create). An edited example is no longer marked as one."""
    _check_criterion(board, key, kind, years, threshold, exclude_id=crit.id)
    crit.board, crit.key, crit.label, crit.kind = board, key, label, kind
    crit.years, crit.threshold, crit.sort_order, crit.note = years, threshold, sort_order or 0, note or ""
    changes = audit.changes_of(crit)
    if not changes:
        return False
    crit.is_example = False
    audit.record(actor, "finance.criterion.update", crit)
    return True


# ----------------------------------------------------------------------------- seed

# Simplified from the exchanges' published rules (2024); examples for admins to adjust.
EXAMPLES = (
    ("沪深主板", "profit_positive_3y", "最近3年净利润均为正", "net_profit_positive_years", 3, None),
    ("沪深主板", "profit_cum_3y", "最近3年累计净利润不低于1.5亿元", "cumulative_net_profit_min", 3, "15000"),
    ("沪深主板", "profit_latest", "最近一年净利润不低于6000万元", "net_profit_min", None, "6000"),
    ("沪深主板", "revenue_cum_3y", "最近3年累计营业收入不低于10亿元", "cumulative_revenue_min", 3, "100000"),
    ("创业板", "profit_positive_2y", "最近2年净利润均为正", "net_profit_positive_years", 2, None),
    ("创业板", "profit_cum_2y", "最近2年累计净利润不低于1亿元", "cumulative_net_profit_min", 2, "10000"),
    ("创业板", "profit_latest", "最近一年净利润不低于6000万元", "net_profit_min", None, "6000"),
    ("科创板", "profit_positive_2y", "最近2年净利润均为正", "net_profit_positive_years", 2, None),
    ("科创板", "profit_cum_2y", "最近2年累计净利润不低于5000万元", "cumulative_net_profit_min", 2, "5000"),
    ("科创板", "rd_intensity_3y", "最近3年累计研发投入占营业收入比例不低于5％", "rd_intensity_min", 3, "5"),
    ("科创板", "rd_spend_3y", "最近3年累计研发投入不低于6000万元", "rd_spend_min", 3, "6000"),
    ("北交所", "profit_each_2y", "最近2年净利润均不低于1500万元", "net_profit_min_each", 2, "1500"),
    ("北交所", "revenue_latest", "最近一年营业收入不低于1亿元", "revenue_min", None, "10000"),
    ("境外", "profit_latest", "最近一年净利润不低于3500万元（港股主板盈利测试，折合人民币）",
     "net_profit_min", None, "3500"),
    ("境外", "profit_cum_3y", "最近3年累计净利润不低于8000万元（港股主板盈利测试，折合人民币）",
     "cumulative_net_profit_min", 3, "8000"),
)


def seed_criteria() -> str:
    """Insert the example criteria that are missing (by board + key); never overwrite edits."""
    existing = set(db.session.execute(select(ListingCriterion.board, ListingCriterion.key)).all())
    added = 0
    for order, (board, key, label, kind, years, threshold) in enumerate(EXAMPLES):
        if (board, key) in existing:
            continue
        db.session.add(ListingCriterion(board=board, key=key, label=label, kind=kind, years=years,
                                        threshold=Decimal(threshold) if threshold else None,
                                        sort_order=order, is_example=True,
                                        note="示例标准，请管理员按交易所现行规则核对修改"))
        added += 1
    db.session.flush()
    return f"finance: {added} listing criteria added"

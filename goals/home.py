"""What goals/ puts on the home page (core.home): the managers' headline pipelines and status
counts, the unit editors' to-dos, and the count behind the navigation badge.

Which part a user sees follows the permissions, never the role name: whoever approves reports
(goals.approve) reads the district's figures; whoever reports for a unit (goals.report) without
approving sees that unit's to-dos. Everything is cached as plain values until a commit writes a table
it read (core.dataversion), so a page load reads the version rows and little else.
"""
from datetime import date

from flask_babel import get_locale
from sqlalchemy import func, select

from core import dataversion, dates
from core.db import db
from core.domain import installed
from core.home import HomeProvider, Panel, failed_imports, recent_imports
from core.permissions import can
from goals import comments, reporting
from goals.dashboard_data import trend
from goals import rollup as ru
from goals.models import DataQualityIssue, Goal, ReportedValue
from incubation.queries import due_to_graduate

# the plan's headline pipelines, in the order the leadership reads them (DESIGN.md's stable keys)
PIPELINES = ("single_champion_pool", "high_growth_pool", "maker_spaces", "incubated_firms", "pre_ipo_pool",
             "direct_financing", "leading_talents", "high_skill_talents")
STATUS_KEYS = ("achieved", "on_track", "at_risk", "behind", "no_target", "none")
LIST_LIMIT = 8


def _lang() -> str:
    return "en" if str(get_locale()) == "en" else "zh"


def is_manager(user) -> bool:
    return can("goals.approve", user=user)


def is_reporter(user) -> bool:
    return user.unit is not None and can("goals.report", user=user) and not is_manager(user)


# --------------------------------------------------------------------------- managers

def _trend(goal: Goal, today: date) -> list[list]:
    """The goal's value at each year end and the last quarter ends, recomputed from the dated
    records (not the nightly snapshots), so a trend is there from the day the records are imported."""
    return dataversion.cached(("goals.trend", goal.id, today), lambda: trend(goal, today),
                              tables=ru.DEFINITION_TABLES)


def _scale(goal: Goal) -> int:
    """Money as the plan speaks of it: 100亿元, not 1,000,000万元."""
    return 10000 if goal.unit_zh == "万元" else 1


def _card(row: ru.Row, today: date, lang: str) -> dict:
    d = ru.as_dict(row, lang)
    scale = _scale(row.goal)
    if scale != 1:
        d["unit"] = "100 million yuan" if lang == "en" else "亿元"
    d["shown_actual"] = None if d["actual"] is None else d["actual"] / scale
    d["shown_target"] = None if d["target"] is None else d["target"] / scale
    return d


def headline_trends(today: date) -> dict[str, list[list]]:
    """{pipeline key: [[iso date, value], …]} of the headline cards, in the cards' unit. Fetched by
    the home page after it has loaded: each trend is a roll-up at many dates."""
    goals = [g for g in (ru.get_goal(k) for k in PIPELINES) if g is not None]
    return {g.key: [[day, value / _scale(g)] for day, value in _trend(g, today)] for g in goals}


def _manager_summary(today: date, lang: str) -> dict:
    rows = ru.rollup_rows(today)
    counts = dict.fromkeys(STATUS_KEYS, 0)
    for row in rows:
        counts[row.status or "none"] = counts.get(row.status or "none", 0) + 1
    by_key = {r.goal.key: r for r in rows}
    cards = [_card(by_key[k], today, lang) for k in PIPELINES if k in by_key]
    return {"cards": cards, "counts": counts, "total": len(rows), "late_units": reporting.late_units(today),
            "pending": pending_reviews(), "comments": comments.recent(5, lang)}


def manager_summary(today: date, lang: str) -> dict:
    """Headline cards (actual, target, status, trend), status counts, late units, reviews waiting."""
    return dataversion.cached(("goals.home.manager", today, lang), lambda: _manager_summary(today, lang),
                              tables=ru.DEFINITION_TABLES)


def pending_reviews() -> int:
    return db_count(select(func.count(ReportedValue.id)).where(ReportedValue.status == "submitted"))


def db_count(stmt) -> int:
    return int(db.session.execute(stmt).scalar() or 0)


# --------------------------------------------------------------------------- unit editors

def _graduates(user, today: date) -> list[dict]:
    """Tenants past the incubation period, for a unit that keeps the incubation records."""
    if not can("incubation.edit", user=user) or "incubation" not in {d.name for d in installed()}:
        return []
    return [{"id": t.id, "firm": t.firm.name if t.firm else "", "firm_id": t.firm_id,
             "carrier": t.carrier.name if t.carrier else "", "entered_on": t.entered_on}
            for t in due_to_graduate(today)]


def _owned_domains(user) -> list[str]:
    return [d.name for d in installed() if can(f"{d.name}.edit", user=user)]


def _findings(user) -> dict:
    """The latest nightly scan's findings in the data the user's unit keeps: counts per kind and
    the first few."""
    domains = _owned_domains(user)
    day = db.session.scalars(select(DataQualityIssue.day).order_by(DataQualityIssue.day.desc()).limit(1)).first()
    if day is None or not domains:
        return {"day": day, "counts": {}, "items": [], "total": 0}
    where = (DataQualityIssue.day == day, DataQualityIssue.domain.in_(domains))
    counts = {kind: n for kind, n in db.session.execute(
        select(DataQualityIssue.kind, func.count(DataQualityIssue.id)).where(*where).group_by(DataQualityIssue.kind))}
    items = [{"kind": i.kind, "firm_name": i.firm_name, "firm_id": i.firm_id, "uscc": i.uscc, "detail": i.detail}
             for i in db.session.scalars(select(DataQualityIssue).where(*where)
                                         .order_by(DataQualityIssue.kind, DataQualityIssue.firm_name)
                                         .limit(LIST_LIMIT))]
    return {"day": day, "counts": counts, "items": items, "total": sum(counts.values())}


def _editor_todos(user, today: date) -> dict:
    todo = reporting.to_do(user.unit.code, today)
    return {"reports": todo, "returned": [s for s in todo if s.status == "returned"],
            "overdue": sum(1 for s in todo if s.state == "overdue"),
            "graduates": _graduates(user, today), "findings": _findings(user)}


def editor_todos(user, today: date) -> dict:
    """The unit's reports due or overdue (returned ones with the reason), tenants due to
    graduate, data-quality findings in its own data. The user's failed imports are added uncached."""
    key = ("goals.home.editor", user.unit_id, user.role, today)
    return dataversion.cached(key, lambda: _editor_todos(user, today), tables=ru.DEFINITION_TABLES + ("core_users",))


# --------------------------------------------------------------------------- the provider

def panels(user) -> list[Panel]:
    today, lang = dates.today(), _lang()
    out = []
    if is_manager(user):
        out.append(Panel("core/home_manager.html", {**manager_summary(today, lang), "today": today,
                                                    "lang": lang}, order=10))
    elif is_reporter(user):
        out.append(Panel("core/home_editor.html", {**editor_todos(user, today), "today": today, "lang": lang,
                                                   "imports": failed_imports(user),
                                                   "recent_imports": recent_imports(user)}, order=10))
    return out


def awaiting(user) -> int:
    """The badge: reports waiting for review (approvers), or the unit's reports to send (reporters)."""
    if is_manager(user):
        return pending_reviews()
    if is_reporter(user):
        return len(reporting.to_do(user.unit.code, dates.today()))
    return 0


HOME = HomeProvider(panels=panels, awaiting=awaiting)

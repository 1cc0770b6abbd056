"""What goals/ puts on the home page (core.home): the managers' headline pipelines and status
counts, the unit editors' to-dos, and the count behind the navigation badge.

Which part a user sees follows the permissions, never the role name: whoever approves reports
(goals.approve) reads the district's figures; whoever reports (goals.report) sees the to-dos of the
units in that grant's scope (core.permissions.unit_scope): its own unit's for an editor, every unit's
for an admin — who has no reports of its own to send, so its list holds the findings in all the data,
every tenant due to graduate and everybody's failed imports. A user holding both sees both panels.
Everything is cached as plain values until a commit writes a table it read (core.dataversion), so a page
load reads the version rows and little else.

The badge counts the requests waiting for the user: reports to review (approvers), the unit's reports
to send (a unit's reporters), everybody's failed imports (an admin). Data-quality findings and tenants
due to graduate are listed, not counted: they are states of the records, not requests.
"""
from datetime import date

from flask_babel import get_locale
from sqlalchemy import func, select

from core import dataversion, dates
from core.db import db
from core.domain import installed
from core.home import HomeProvider, Panel, failed_imports, recent_imports
from core.permissions import ALL_UNITS, can, unit_scope
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


def todo_scope(user) -> str | None:
    """Whose to-dos the user's home lists: ALL_UNITS, the code of the user's unit, or None (no panel)."""
    return unit_scope("goals.report", user) if user.unit is not None else None


def is_reporter(user) -> bool:
    return todo_scope(user) is not None


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


def _manager_summary(today: date, lang: str, comment_scope: str | None) -> dict:
    rows = ru.rollup_rows(today)
    counts = dict.fromkeys(STATUS_KEYS, 0)
    for row in rows:
        counts[row.status or "none"] = counts.get(row.status or "none", 0) + 1
    by_key = {r.goal.key: r for r in rows}
    cards = [_card(by_key[k], today, lang) for k in PIPELINES if k in by_key]
    return {"cards": cards, "counts": counts, "total": len(rows), "late_units": reporting.late_units(today),
            "pending": pending_reviews(), "comments": comments.recent(5, lang, comment_scope)}


def manager_summary(today: date, lang: str, comment_scope: str | None = ALL_UNITS) -> dict:
    """Headline cards (actual, target, status, trend), status counts, late units, reviews waiting, the
    latest comments the user may read (`comment_scope`: core.permissions.unit_scope of comments.READ)."""
    return dataversion.cached(("goals.home.manager", today, lang, comment_scope),
                              lambda: _manager_summary(today, lang, comment_scope),
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


def _editor_todos(user, today: date, scope: str) -> dict:
    todo = [] if scope == ALL_UNITS else reporting.to_do(scope, today)
    return {"reports": todo, "returned": [s for s in todo if s.status == "returned"],
            "overdue": sum(1 for s in todo if s.state == "overdue"), "all_units": scope == ALL_UNITS,
            "graduates": _graduates(user, today), "findings": _findings(user)}


def editor_todos(user, today: date) -> dict:
    """The unit's reports due or overdue (returned ones with the reason; none for every unit's
    scope), tenants due to graduate, data-quality findings in the data the user keeps. The failed
    imports are added uncached."""
    scope = todo_scope(user)
    key = ("goals.home.editor", user.unit_id, user.role, scope, today)
    return dataversion.cached(key, lambda: _editor_todos(user, today, scope),
                              tables=ru.DEFINITION_TABLES + ("core_users",))


# --------------------------------------------------------------------------- the provider

def panels(user) -> list[Panel]:
    today, lang = dates.today(), _lang()
    out = []
    if is_manager(user):
        out.append(Panel("core/home_manager.html", {**manager_summary(today, lang, unit_scope(comments.READ, user)),
                                                    "today": today, "lang": lang}, order=10))
    if is_reporter(user):
        out.append(Panel("core/home_editor.html", {**editor_todos(user, today), "today": today, "lang": lang,
                                                   "imports": failed_imports(user),
                                                   "recent_imports": recent_imports(user)}, order=20))
    return out


def awaiting(user) -> int:
    """The badge: reports waiting for review (approvers), plus the unit's reports to send (a unit's
    reporters) or everybody's failed imports (reporters for every unit: admins)."""
    count = pending_reviews() if is_manager(user) else 0
    scope = todo_scope(user)
    if scope == ALL_UNITS:
        count += len(failed_imports(user, limit=50))
    elif scope is not None:
        count += len(reporting.to_do(scope, dates.today()))
    return count


HOME = HomeProvider(panels=panels, awaiting=awaiting)

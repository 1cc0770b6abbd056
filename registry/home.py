"""What registry/ puts on the home page (core.home): the open to-dos of applied list reconciliations
(名单核对 → 待处理), per pool, for whoever edits the registry (registry.edit: its editors, admins).
The badge counts them: each waits for someone to enter a credit code or dismiss the row."""
from flask_babel import get_locale
from sqlalchemy import select

from core import dataversion, dates
from core.db import db
from core.home import HomeProvider, Panel
from core.permissions import can
from registry import reconcile_todos
from registry.models import Pool


def _open_by_pool() -> list[dict]:
    counts = reconcile_todos.open_counts()
    if not counts:
        return []
    pools = db.session.scalars(select(Pool).where(Pool.id.in_(list(counts))).order_by(Pool.id))
    return [{"pool_id": p.id, "name_zh": p.name_zh, "name_en": p.name_en or p.name_zh, "open": counts[p.id]}
            for p in pools]


def open_todos(user) -> list[dict] | None:
    """[{pool, open}] of the pools with open to-dos; None for a user who does not edit the registry."""
    if not can("registry.edit", user=user):
        return None
    return dataversion.cached(("registry.home.todos", dates.today()), _open_by_pool)


def panels(user) -> list[Panel]:
    pools = open_todos(user)
    if not pools:
        return []
    return [Panel("registry/_home_reconcile.html", {"pools": pools, "total": sum(p["open"] for p in pools),
                                                    "lang": "en" if str(get_locale()) == "en" else "zh"},
                  order=25)]


def awaiting(user) -> int:
    return sum(p["open"] for p in open_todos(user) or [])


HOME = HomeProvider(panels=panels, awaiting=awaiting)

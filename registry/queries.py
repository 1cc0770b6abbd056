"""Read-side queries: the filtered, sorted, paginated firm list, and the one rule for "member of a
pool on a date" (`member_on`, built on `in_period`, which other dated links such as tenancies and
pre-IPO candidacies use too)."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from sqlalchemy import and_, func, or_, select

from core.db import db, pg_planner
from registry import reference, search as text_search, uscc as uscc_mod
from registry.models import Firm, PoolMembership

PAGE_SIZE = 50
#: A text search counts its matches up to here ("more than 10,000" beyond): the count of a fragment
#: found in most firms would otherwise read them all.
COUNT_CAP = 10_000
#: From this many matches on, a text search's page in name order is read along the name index (SQLite),
#: each firm tried with LIKE, instead of collecting the matches and sorting them (bench/search.py).
WALK_FROM = 2_000
NAME_INDEX = "ix_registry_firms_live_name_sort"
SORTS = {
    "name": Firm.name_sort, "uscc": Firm.uscc, "registered_on": Firm.registered_on,
    "capital": Firm.capital_amount, "town": Firm.town_code, "industry": Firm.industry_code,
    "updated": Firm.updated_at,
}
FLAGS = ("above_scale", "high_tech", "listed", "overridden")


def in_period(start, end, on: date):
    """SQL condition: the period [start, end) covers `on` — start <= on and (end is null or end > on).

    `end` is exclusive: a membership exited on D no longer counts on D."""
    return and_(start <= on, or_(end.is_(None), end > on))


def period_covers(start: date, end: date | None, on: date) -> bool:
    """`in_period` for values in memory."""
    return start <= on and (end is None or end > on)


def member_on(on: date):
    """SQL condition: a pool membership current on `on` (entered_on <= on < exited_on)."""
    return in_period(PoolMembership.entered_on, PoolMembership.exited_on, on)


def archived_firm_ids():
    """SELECT of the archived firms' ids (few), read from the (archived_at, name_sort) index. SQLite
    scanned the whole firm table for it inside `IN (…)` (100,000 firms: 45–60 ms; told the index: 0.1 ms);
    PostgreSQL picks the index itself."""
    return select(Firm.id).with_hint(Firm, f"INDEXED BY {NAME_INDEX}", "sqlite").where(Firm.archived_at.is_not(None))


def place_column(by: str):
    """The firm's column a breakdown "by town" or "by park" groups on (core.indicators.Parts)."""
    return Firm.park if by == "park" else Firm.town_code


@dataclass
class FirmFilter:
    q: str = ""
    code: str = ""
    industry: str = ""
    town: str = ""
    park: str = ""
    pool: int | None = None
    flags: dict = field(default_factory=dict)     # flag -> True/False
    archived: bool = False
    sort: str = "name"
    desc: bool = False
    page: int = 1

    @classmethod
    def from_args(cls, args) -> "FirmFilter":
        """Read the list's query string tolerantly: unknown values are ignored, never an error."""
        flags = {f: args.get(f) == "1" for f in FLAGS if args.get(f) in ("0", "1")}
        pool = args.get("pool", "")
        page = args.get("page", "1")
        return cls(q=args.get("q", "").strip()[:100], code=args.get("code", "").strip()[:40],
                   industry=args.get("industry", "").strip()[:100], town=args.get("town", "").strip()[:20],
                   park=args.get("park", "").strip()[:64], pool=int(pool) if pool.isdigit() else None,
                   flags=flags, archived=args.get("archived") == "1",
                   sort=args.get("sort") if args.get("sort") in SORTS else "name",
                   desc=args.get("dir") == "desc", page=max(1, min(int(page), 100000)) if page.isdigit() else 1)

    def args(self, **override) -> dict:
        """Query-string arguments reproducing this filter (for links), with overrides."""
        out = {"q": self.q, "code": self.code, "industry": self.industry, "town": self.town, "park": self.park,
               "pool": self.pool or "", "archived": "1" if self.archived else "", "sort": self.sort,
               "dir": "desc" if self.desc else "", "page": self.page}
        out.update({f: "1" if v else "0" for f, v in self.flags.items()})
        out.update(override)
        return {k: v for k, v in out.items() if v not in ("", None)}


def _industry_condition(text: str):
    """Industry by code prefix ("C", "38", "3831") or by a name in the GB/T 4754 table."""
    row = reference.industry(text)
    if row is None:
        codes = [r["code"] for r in reference.industries() if text in r["name"]][:200]
        if not codes:
            return Firm.id.is_(None)
        row_codes = codes
    else:
        row_codes = [row["code"]]
    conds = []
    for code in row_codes:
        if code.isalpha():
            sub = [r["code"] for r in reference.industries(2) if r["section"] == code]
            conds.append(Firm.industry_code == code)
            conds.extend(Firm.industry_code.startswith(c, autoescape=True) for c in sub)
        else:
            conds.append(Firm.industry_code.startswith(code, autoescape=True))
    return or_(*conds)


def conditions(flt: FirmFilter, today: date, *, indexed: bool = True) -> list:
    """The filter as SQL conditions (`indexed`: the text search goes through its index)."""
    conds = [] if flt.archived else [Firm.archived_at.is_(None)]
    if flt.q:
        conds.append(text_search.condition(flt.q, indexed=indexed))
    if flt.code:
        code = uscc_mod.normalize(flt.code)
        conds.append(Firm.uscc == code if len(code) == 18 else Firm.uscc.startswith(code, autoescape=True))
    if flt.industry:
        conds.append(_industry_condition(flt.industry))
    if flt.town:
        found = reference.town_by_name(flt.town)
        conds.append(Firm.town_code == (found[0] if found else flt.town))
    if flt.park:
        conds.append(Firm.park == flt.park)
    if flt.pool:
        members = select(PoolMembership.firm_id).where(PoolMembership.pool_id == flt.pool, member_on(today))
        conds.append(Firm.id.in_(members))
    for flag, value in flt.flags.items():
        if flag == "overridden":
            conds.append(Firm.code_override_reason.isnot(None) if value else Firm.code_override_reason.is_(None))
        else:
            conds.append(getattr(Firm, flag).is_(value))
    return conds


@dataclass
class Found:
    items: list
    total: int              # the number of firms found; COUNT_CAP when capped
    capped: bool = False    # a text search found more than COUNT_CAP firms


#: what the firm list shows of each firm (find(..., columns=LIST_COLUMNS): rows, not ORM objects — a page of
#: 50 firms without their long 经营范围, former names and the ORM's per-object bookkeeping)
LIST_COLUMNS = (Firm.id, Firm.name, Firm.archived_at, Firm.uscc, Firm.code_override_reason, Firm.registered_on,
                Firm.capital_amount, Firm.capital_currency, Firm.capital_raw, Firm.town_code, Firm.park,
                Firm.industry_code, Firm.above_scale, Firm.high_tech, Firm.listed, Firm.stock_code)


def find(flt: FirmFilter, today: date, *, page: int | None = None, per_page: int = PAGE_SIZE,
         columns: tuple | None = None) -> Found:
    """One page of firms for the filter, and their number — capped at COUNT_CAP for a text search.
    `columns`: only these, as rows (LIST_COLUMNS); else Firm objects.

    On SQLite a text search matching many firms (WALK_FROM+), listed by name, reads the live firms along
    the name index and tries each with LIKE until the page is full (about per_page × firms / matches
    rows); otherwise the matches come from the search index and are sorted."""
    page = page or flt.page
    conds = conditions(flt, today)
    if flt.q:
        hits = text_search.exact_hits(flt.q) if _text_only(flt) else None
        if hits is not None:            # counted on a search index alone (registry/search.py)
            if not flt.archived:
                hits = hits.where(hits.selected_columns.firm_id.not_in(archived_firm_ids()))
            counted = hits.limit(COUNT_CAP + 1).subquery()
        else:
            counted = select(Firm.id).where(*conds).limit(COUNT_CAP + 1).subquery()
        found = db.session.scalar(select(func.count()).select_from(counted)) or 0
        total, capped = min(found, COUNT_CAP), found > COUNT_CAP
    else:
        total, capped = db.session.scalar(select(func.count(Firm.id)).where(*conds)) or 0, False
    def direction(column):
        return column.desc() if flt.desc else column.asc()
    order = [direction(SORTS[flt.sort]), direction(Firm.id)]
    stmt, planner = (select(*columns) if columns else select(Firm)), {}
    if flt.q and flt.sort == "name" and not flt.archived and total >= WALK_FROM:
        # the page read along the name index (archived_at, name_sort), each live firm tried with LIKE.
        # SQLite is told the index. PostgreSQL is given the index's own order (archived_at is null on
        # every live firm: the same order) and no bitmap or sequential scan, full sort or parallel scan
        # for this statement: its estimate for two LIKEs on one column is about one row, so it would
        # rather collect every match through the trigram index and sort them, or walk the whole index
        # in parallel workers and sort (科技有 at 100,000 firms: 104 ms and 350 ms; walked 5 ms)
        stmt = stmt.with_hint(Firm, f"INDEXED BY {NAME_INDEX}", "sqlite")
        conds = conditions(flt, today, indexed=False)
        if db.session.get_bind().dialect.name == "postgresql":
            order.insert(0, direction(Firm.archived_at))
            planner = {"enable_seqscan": "off", "enable_bitmapscan": "off", "enable_sort": "off",
                       "max_parallel_workers_per_gather": "0"}
    stmt = stmt.where(*conds).order_by(*order).limit(per_page).offset((page - 1) * per_page)
    with pg_planner(**planner):
        items = db.session.execute(stmt).all() if columns else list(db.session.scalars(stmt))
    return Found(items, total, capped)


def _text_only(flt: FirmFilter) -> bool:
    """The filter is a text search and nothing else (the archived switch aside)."""
    return not (flt.code or flt.industry or flt.town or flt.park or flt.pool or flt.flags)


def search(flt: FirmFilter, today: date) -> tuple[list[Firm], int]:
    """One page of firms and their number (`find`: capped at COUNT_CAP for a text search)."""
    found = find(flt, today)
    return found.items, found.total


def export_rows(flt: FirmFilter, today: date):
    """Every firm of the filter in list order, streamed."""
    order = SORTS[flt.sort]
    stmt = select(Firm).where(*conditions(flt, today)).order_by(order.desc() if flt.desc else order.asc(), Firm.id)
    return db.session.scalars(stmt.execution_options(yield_per=2000))

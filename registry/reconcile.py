"""Reconcile an official list (names, sometimes credit codes) against a cultivation pool.

read_list() turns an upload or a pasted column into ListRows; reconcile() matches every row to the
registry and sorts the rows into four groups. Nothing here writes; registry.reconcile_apply does.

Matching, in order (each row says how it was found and how sure):
1. credit code, when the row has a valid one — certain when the name agrees with the firm's name,
   a former name or scores >= NAME_AGREES; otherwise conflicting (code and name disagree);
2. exact name; 3. former name (曾用名); 4. normalised name (registry.names.normalise) —
   certain when exactly one firm has it, conflicting when several do;
5. fuzzy score (rapidfuzz ratio of the names' cores) >= FUZZY_MIN — never certain: the user
   confirms it; two candidates within CLOSE points of each other make the row conflicting.
A name or code that leads to a merged or archived firm makes the row conflicting (the surviving
firm is offered). Groups: matched (in the pool on the list's date), new (not in the pool: in the
registry or not at all), missing (pool members no row points to), conflicting.
"""
from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import date

from flask_babel import gettext as _
from rapidfuzz import fuzz, process
from sqlalchemy import func, select

from core import tabular
from core import text as unsafe_text
from core.db import db
from registry import names, service, uscc as uscc_mod
from registry.models import NAME_SEPARATOR, Firm, Pool

MAX_ROWS = 20_000
FUZZY_MIN = 75        # below this a name is "not found"
NAME_AGREES = 90      # a code's firm and the list's name agree from this score
CLOSE = 3             # two fuzzy candidates this close are a conflict
GRAM_LIMIT = 3        # rarest bigrams of a name whose firms are scored (keeps 10,000 names fast) ...
POOL_LIMIT = 3000     # ... as long as they name at most this many firms together
COLUMNS = (tabular.Column("name", "企业名称", "Firm name", aliases=("名称", "单位名称", "公司名称", "企业", "单位",
                                                                   "申报单位", "企业（单位）名称")),
           tabular.Column("uscc", "统一社会信用代码", "Credit code",
                          aliases=("信用代码", "社会信用代码", "统一代码", "USCC")))
METHODS = ("code", "exact", "former", "normalised", "fuzzy", "none")
GROUPS = ("matched", "new", "missing", "conflicting")


class ListError(ValueError):
    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


@dataclass
class ListRow:
    line: int
    raw: str
    name: str
    code: str | None = None
    removed: list[str] = field(default_factory=list)


# ----------------------------------------------------------------------------- reading

def read_list(data: bytes | None = None, filename: str = "", pasted: str = "") -> list[ListRow]:
    """The list's rows (blank rows dropped); ListError with a Chinese message when there are none."""
    if data:
        try:
            table = tabular.read_table(data, filename, max_rows=MAX_ROWS)
        except tabular.TableError as exc:
            raise ListError(exc.message) from None
        rows = _table_rows(table)
    else:
        rows = _pasted_rows(pasted or "")
    return _checked(rows)


def read_names(cells: list[str]) -> list[ListRow]:
    """read_list for a list of cells (the API's "names"): one row per cell, numbered from 1; a cell
    may carry a credit code beside the name, as a pasted line may."""
    if len(cells) > MAX_ROWS:
        raise ListError(_("名单超过 %(n)s 行，请分批核对", n=MAX_ROWS))
    return _checked([_row(n, cell or "", None, raw=cell or "") for n, cell in enumerate(cells, 1)])


def _checked(rows: list[ListRow]) -> list[ListRow]:
    rows = [r for r in rows if r.name or r.code]
    if not rows:
        raise ListError(_("名单为空：没有读到任何企业名称"))
    if len(rows) > MAX_ROWS:
        raise ListError(_("名单超过 %(n)s 行，请分批核对", n=MAX_ROWS))
    return rows


def _table_rows(table) -> list[ListRow]:
    hmap = tabular.map_headers(table.headers, COLUMNS)
    body = list(zip(table.line_numbers, table.rows))
    if "name" not in hmap.index:
        if len(table.headers) > 2 or not _looks_like_name(table.headers[0] if table.headers else ""):
            raise ListError(_("找不到“企业名称”列：请把名称放在第一列，或用“企业名称”作列标题"))
        hmap.index = {"name": 0}                 # a bare column of names: the first row is a name too
        body.insert(0, (table.header_line, list(table.headers)))
    return [_row(line, *(_cells(hmap, cells))) for line, cells in body]


def _cells(hmap, cells) -> tuple[str, str | None]:
    picked = hmap.pick(cells)
    return picked.get("name", ""), (picked.get("uscc") or "").strip() or None


def _looks_like_name(text: str) -> bool:
    return any(w in text for w in ("公司", "厂", "企业", "中心", "研究院", "合作社", "集团", "有限"))


def _pasted_rows(text: str) -> list[ListRow]:
    out = []
    for n, line in enumerate(text.splitlines(), 1):
        rest, code = names.split_code(line)
        if n == 1 and not code and rest.strip() in ("企业名称", "名称", "单位名称", "序号 企业名称"):
            continue
        out.append(_row(n, rest, code, raw=line))
    return out


def _row(line: int, name_cell: str, code: str | None, raw: str | None = None) -> ListRow:
    unsafe = unsafe_text.problem(raw if raw is not None else name_cell, multiline=True)
    if unsafe:
        raise ListError(_("第 %(line)s 行：%(problem)s", line=line, problem=unsafe))
    if code is None:
        name_cell, code = names.split_code(name_cell)
    name, removed = names.clean_cell(name_cell)
    return ListRow(line=line, raw=(raw if raw is not None else name_cell).strip(), name=name,
                   code=uscc_mod.normalize(code) if code else None, removed=removed)


# ----------------------------------------------------------------------------- the registry's names

@dataclass
class Entry:
    id: int
    uscc: str
    name: str
    archived: bool
    merged_into_id: int | None


class RegistryIndex:
    """Every firm's code, name, former names and normalised names, read in one query."""

    def __init__(self):
        self.firms: dict[int, Entry] = {}
        self.by_code: dict[str, int] = {}
        self.by_name: dict[str, list[int]] = defaultdict(list)
        self.by_former: dict[str, list[int]] = defaultdict(list)
        self.by_norm: dict[str, list[int]] = defaultdict(list)
        self.cores: dict[int, str] = {}
        self.grams: dict[str, list[int]] = defaultdict(list)
        stmt = select(Firm.id, Firm.uscc, Firm.name, Firm.former_names_text, Firm.archived_at, Firm.merged_into_id)
        for fid, code, name, former, archived_at, merged in db.session.execute(stmt):
            self._add(Entry(fid, code, name, archived_at is not None, merged), former)

    def _add(self, e: Entry, former: str | None) -> None:
        self.firms[e.id] = e
        self.by_code[e.uscc] = e.id
        self.by_name[e.name].append(e.id)
        norm = names.normalise(e.name)
        self.by_norm[norm].append(e.id)
        for old in (former or "").split(NAME_SEPARATOR):
            if old:
                self.by_former[old].append(e.id)
                if e.id not in self.by_norm[names.normalise(old)]:
                    self.by_norm[names.normalise(old)].append(e.id)
        if not e.archived:
            self.cores[e.id] = names.core(norm)
            for gram in _grams(self.cores[e.id]):
                self.grams[gram].append(e.id)

    def fuzzy(self, name: str, limit: int = 3) -> list[tuple[int, float]]:
        """[(firm id, score)] best first, live firms scoring >= FUZZY_MIN."""
        query = names.core(names.normalise(name))
        pool: set[int] = set()
        for gram in sorted(_grams(query), key=lambda g: len(self.grams.get(g, ())))[:GRAM_LIMIT]:
            postings = self.grams.get(gram, ())
            if pool and len(pool) + len(postings) > POOL_LIMIT:
                break
            pool.update(postings)
        if not pool:
            return []
        found = process.extract(query, {fid: self.cores[fid] for fid in pool}, scorer=fuzz.ratio,
                                limit=limit, score_cutoff=FUZZY_MIN)
        return [(fid, round(score, 1)) for _choice, score, fid in found]

    def resolve(self, fid: int) -> Entry:
        """The firm a merged record now lives in (itself when not merged)."""
        seen, e = set(), self.firms[fid]
        while e.merged_into_id and e.merged_into_id in self.firms and e.id not in seen:
            seen.add(e.id)
            e = self.firms[e.merged_into_id]
        return e


_INDEX_CACHE: dict = {}


def registry_index() -> RegistryIndex:
    """The RegistryIndex, built again only when a firm was added, removed or changed since.

    Review, apply and export of one list each match it again; at 100,000 firms building the
    index is most of that time. Changes made without updating updated_at (raw SQL) are not seen."""
    mark = tuple(db.session.execute(select(func.count(Firm.id), func.max(Firm.id), func.max(Firm.updated_at))).one())
    key = id(db.engine)
    cached = _INDEX_CACHE.get(key)
    if cached is None or cached[0] != mark:
        _INDEX_CACHE.clear()
        _INDEX_CACHE[key] = cached = (mark, RegistryIndex())
    return cached[1]


def _grams(text: str) -> set[str]:
    return {text[i:i + 2] for i in range(len(text) - 1)} or ({text} if text else set())


# ----------------------------------------------------------------------------- matching

def firm_dict(e: Entry | None, score=None) -> dict | None:
    if e is None:
        return None
    out = {"id": e.id, "uscc": e.uscc, "name": e.name}
    if score is not None:
        out["score"] = score
    return out


def match_row(row: ListRow, idx: RegistryIndex) -> dict:
    """One row's match: firm, method, score, certain, candidates, conflict message."""
    out = {"line": row.line, "raw": row.raw, "name": row.name, "code": row.code, "removed": row.removed,
           "firm": None, "method": "none", "score": 0, "certain": True, "conflict": "", "candidates": [],
           "code_invalid": bool(row.code) and not uscc_mod.is_valid(row.code)}
    by_name = _by_name(row.name, idx)
    if row.code and not out["code_invalid"] and row.code in idx.by_code:
        return _by_code(out, idx.firms[idx.by_code[row.code]], by_name, idx)
    if by_name is not None:
        method, ids = by_name
        if row.code and not out["code_invalid"] and len(ids) == 1:
            found = idx.resolve(ids[0])
            return _conflict(out, method, [found], _("名称对应的企业信用代码为 %(code)s，与名单上的 %(given)s 不同",
                                                     code=found.uscc, given=row.code))
        return _by_name_result(out, method, ids, idx)
    return _fuzzy(out, row, idx)


def _by_name(name: str, idx: RegistryIndex):
    """(method, firm ids) of the first name level that finds anything, or None."""
    if not name:
        return None
    for method, table, key in (("exact", idx.by_name, name), ("former", idx.by_former, name),
                               ("normalised", idx.by_norm, names.normalise(name))):
        ids = table.get(key)
        if ids:
            return method, sorted(set(ids))
    return None


def _by_code(out: dict, entry: Entry, by_name, idx: RegistryIndex) -> dict:
    score = fuzz.ratio(names.core(names.normalise(out["name"])), names.core(names.normalise(entry.name)))
    agrees = not out["name"] or (by_name is not None and entry.id in by_name[1]) or score >= NAME_AGREES
    if not agrees:
        others = [idx.resolve(i) for i in (by_name[1] if by_name else []) if i != entry.id]
        return _conflict(out, "code", [idx.resolve(entry.id), *others],
                         _("信用代码与名称不一致：代码对应“%(name)s”", name=entry.name))
    return _settle(out, "code", 100, entry, idx)


def _by_name_result(out: dict, method: str, ids: list[int], idx: RegistryIndex) -> dict:
    live = {idx.resolve(i).id for i in ids}
    if len(live) > 1:
        return _conflict(out, method, [idx.firms[i] for i in sorted(live)], _("有多家企业与该名称对应"))
    score = {"exact": 100, "former": 98, "normalised": 95}[method]
    return _settle(out, method, score, idx.firms[ids[0]], idx)


def _settle(out: dict, method: str, score, entry: Entry, idx: RegistryIndex) -> dict:
    """A single firm found: certain, unless it is merged or archived (then conflicting)."""
    live = idx.resolve(entry.id)
    if live.id != entry.id:
        return _conflict(out, method, [live], _("名称对应已合并的企业“%(old)s”，现为“%(new)s”",
                                                old=entry.name, new=live.name))
    if entry.archived:
        return _conflict(out, method, [entry], _("对应的企业“%(name)s”已归档", name=entry.name))
    out.update(firm=firm_dict(entry), method=method, score=score)
    return out


def _conflict(out: dict, method: str, candidates: list[Entry], message: str) -> dict:
    unique = list({e.id: e for e in candidates}.values())
    out.update(method=method, certain=False, conflict=message, candidates=[firm_dict(e) for e in unique],
               firm=firm_dict(unique[0]) if len(unique) == 1 and not unique[0].archived else None)
    return out


def _fuzzy(out: dict, row: ListRow, idx: RegistryIndex) -> dict:
    found = idx.fuzzy(row.name) if row.name else []
    if not found:
        return out
    cands = [firm_dict(idx.firms[fid], score) for fid, score in found]
    out.update(method="fuzzy", score=found[0][1], certain=False, candidates=cands, firm=cands[0])
    if len(found) > 1 and found[0][1] - found[1][1] < CLOSE:
        out.update(conflict=_("两家企业的名称同样相似"), firm=None)
    if row.code and not out["code_invalid"]:
        out["conflict"] = out["conflict"] or _("信用代码不在企业库中，名称与“%(name)s”相似", name=cands[0]["name"])
    return out


# ----------------------------------------------------------------------------- the four groups

@dataclass
class Reconciliation:
    pool: Pool
    as_of: date
    list_name: str
    rows: list[dict]
    missing: list[dict]

    def counts(self) -> dict:
        live = Counter(r["group"] for r in self.rows if not r["duplicate_of"])
        return {"matched": live["matched"], "new": live["new"], "missing": len(self.missing),
                "conflicting": live["conflicting"],
                "uncertain": sum(1 for r in self.rows if not r["certain"] and not r["duplicate_of"]),
                "duplicates": sum(1 for r in self.rows if r["duplicate_of"])}

    def summary(self) -> dict:
        """The CLI's JSON: counts and every row (missing ones with group "missing")."""
        return {**self.counts(), "pool": self.pool.key, "as_of": self.as_of.isoformat(),
                "list_name": self.list_name, "rows": self.rows + self.missing}


def reconcile(pool: Pool, rows: list[ListRow], as_of: date, list_name: str = "",
              idx: RegistryIndex | None = None) -> Reconciliation:
    """Match every row and sort rows and pool members into the four groups."""
    idx = idx or registry_index()
    members = {fid: (mid, entered) for mid, fid, entered in service.member_rows_as_of(pool, as_of)}
    matched = [match_row(r, idx) for r in rows]
    seen: dict = {}
    pointed = set()
    for m in matched:
        _group(m, members)
        key = m["firm"]["id"] if m["firm"] else (m["code"] or names.normalise(m["name"]))
        m["duplicate_of"] = seen.get(key)
        seen.setdefault(key, m["line"])
        pointed.update(c["id"] for c in m["candidates"])
        if m["firm"]:
            pointed.add(m["firm"]["id"])
    missing = [{"group": "missing", "firm": firm_dict(idx.firms[fid]), "membership_id": mid,
                "entered_on": entered.isoformat(), "certain": True, "method": "none", "duplicate_of": None}
               for fid, (mid, entered) in sorted(members.items(), key=lambda kv: idx.firms[kv[0]].name)
               if fid not in pointed]
    return Reconciliation(pool, as_of, list_name, matched, missing)


def _group(m: dict, members: dict) -> None:
    firm = m["firm"]
    m["in_registry"] = firm is not None
    m["in_pool"] = bool(firm) and firm["id"] in members
    if m["conflict"]:
        m["group"] = "conflicting"
    else:
        m["group"] = "matched" if m["in_pool"] else "new"

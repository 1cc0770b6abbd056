"""Why a closed period's figure moved: the frozen records against today's, explained from the audit trail.

A record's identity is its id fields (firm_id, carrier_id, …) plus the fields that tell two rows
of one firm apart (year, period, person, team, date); everything else is display. Records only in
the frozen list were removed since, records only in today's list were added, same identity with
other display fields were edited. Each is explained by the audit entries written after the close
that touch one of the record's ids — on the record itself (a firm, a carrier) or on a sub-record
that points to it (a tenancy, a pool membership, a financing event):
- merged: the firm was merged into another, or a sub-record moved with a merge;
- archived: the firm or a sub-record was archived;
- back-dated: a record created after the close with a date on or before it;
- edited: any other change (who changed which field from what to what);
- unexplained: no entry after the close (e.g. the counting rule itself changed).
"""
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import select

from core.api import plain
from core.audit.models import AuditEntry
from core.auth.models import User
from core.db import db

#: record key → (entity type of the record it names, column naming it in sub-records)
ID_REFS = {"firm_id": ("registry.firm", "firm_id"), "carrier_id": ("incubation.carrier", "carrier_id"),
           "institution_id": ("incubation.institution", None), "alliance_id": ("incubation.alliance", "alliance_id")}
DISAMBIGUATORS = ("year", "period", "person", "team", "on", "kind", "plan_sector", "category")
RANK = {"merged": 4, "archived": 3, "backdated": 2, "restored": 1, "edited": 0}
NOTE_VERBS = ("merged", "archive", "restore")     # their notes are written for people
SCAN_LIMIT = 20000          # entries after a close read at most (newest first)


@dataclass
class Difference:
    change: str                      # removed | added | changed
    record: dict
    reason: str = "unexplained"      # merged | archived | backdated | restored | edited | unexplained
    who: str = ""
    at: datetime | None = None
    details: list = field(default_factory=list)    # [(field, old, new)] or [note]


def identity(rec: dict) -> tuple:
    keys = [k for k in rec if k in ID_REFS or k.endswith("_id") or k in DISAMBIGUATORS]
    return tuple(sorted((k, str(rec[k])) for k in keys))


def _keyed(records: list[dict]) -> dict[tuple, dict]:
    """{(identity, n): record}: the n-th record of an identity (two events of one firm on one day)."""
    seen: Counter = Counter()
    out = {}
    for rec in records:
        ident = identity(rec)
        out[(ident, seen[ident])] = rec
        seen[ident] += 1
    return out


def compare(frozen: list[dict], live: list[dict]) -> list[Difference]:
    """The records that differ between the frozen list and today's, each still unexplained."""
    old, new = _keyed(frozen), _keyed([plain(r) for r in live])
    out = [Difference("removed", old[k]) for k in old if k not in new]
    out += [Difference("added", new[k]) for k in new if k not in old]
    out += [Difference("changed", new[k], details=_field_changes(old[k], new[k]))
            for k in old if k in new and old[k] != new[k]]
    return out


def _field_changes(old: dict, new: dict) -> list:
    return [(k, old.get(k), new.get(k)) for k in sorted(set(old) | set(new)) if old.get(k) != new.get(k)]


# --------------------------------------------------------------------------- explanation

def explain(diffs: list[Difference], since: datetime) -> list[Difference]:
    """Fill each difference's reason, who and when from the audit entries written after `since`."""
    if not diffs:
        return diffs
    index = _entries_by_ref(since)
    users = {}
    for diff in diffs:
        entries = [e for ref in _refs(diff.record) for e in index.get(ref, [])]
        _apply(diff, sorted({e.seq: e for e in entries}.values(), key=lambda e: e.seq), users)
    return diffs


def _refs(rec: dict) -> list[tuple[str, str]]:
    return [(k, str(rec[k])) for k in ID_REFS if rec.get(k) is not None]


def _apply(diff: Difference, entries: list[AuditEntry], users: dict) -> None:
    best, best_reason = None, None
    for entry in entries:
        reason = _reason(entry.action, diff.change)
        if best is None or RANK[reason] >= RANK[best_reason]:
            best, best_reason = entry, reason
    if best is None:
        return
    diff.reason, diff.at = best_reason, best.at
    diff.who = _label(best, users)
    if best_reason == "edited" and diff.change != "changed":
        diff.details = [(k, v[0], v[1]) for k, v in (best.changes or {}).items()
                        if isinstance(v, list) and len(v) == 2] or [best.note]
    elif best.note and not diff.details and best.action.rsplit(".", 1)[-1] in NOTE_VERBS:
        diff.details = [best.note]


def _reason(action: str, change: str) -> str:
    verb = action.rsplit(".", 1)[-1]
    if verb in ("merge", "merged", "move"):
        return "merged"
    if verb == "archive":
        return "archived"
    if verb == "create" and change == "added":
        return "backdated"
    if verb == "restore":
        return "restored"
    return "edited"


def _label(entry: AuditEntry, users: dict) -> str:
    if entry.actor_id is None:
        return entry.actor_name
    if entry.actor_id not in users:
        users[entry.actor_id] = db.session.get(User, entry.actor_id)
    user = users[entry.actor_id]
    return user.label if user is not None else entry.actor_name


def _entries_by_ref(since: datetime) -> dict[tuple[str, str], list[AuditEntry]]:
    """{(record key, id): entries after `since`} for the records and the sub-records naming them."""
    direct = {etype: key for key, (etype, _col) in ID_REFS.items()}
    subs = _sub_models()
    stmt = (select(AuditEntry).where(AuditEntry.at > since,
                                     AuditEntry.entity_type.in_(set(direct) | set(subs)))
            .order_by(AuditEntry.seq.desc()).limit(SCAN_LIMIT))
    entries = list(db.session.scalars(stmt))
    index: dict = {}
    for entry in entries:
        if entry.entity_type in direct:
            index.setdefault((direct[entry.entity_type], entry.entity_id), []).append(entry)
    for etype, (model, cols) in subs.items():
        mine = [e for e in entries if e.entity_type == etype]
        _index_subs(index, mine, model, cols)
    return index


def _index_subs(index: dict, entries: list[AuditEntry], model, cols: dict) -> None:
    """Index entries on sub-records by the ids they point to, now and in their changes."""
    if not entries:
        return
    ids = {int(e.entity_id) for e in entries if e.entity_id.isdigit()}
    objs = {str(o.id): o for o in db.session.scalars(select(model).where(model.id.in_(ids)))}
    for entry in entries:
        obj = objs.get(entry.entity_id)
        for key, col in cols.items():
            values = {getattr(obj, col, None)} if obj is not None else set()
            change = (entry.changes or {}).get(col)
            if isinstance(change, list):
                values.update(change)
            for value in values - {None}:
                index.setdefault((key, str(value)), []).append(entry)


def _sub_models() -> dict[str, tuple[type, dict[str, str]]]:
    """{entity type: (model, {record key: column})} of audited models holding a referencing column."""
    direct = {etype for etype, _col in ID_REFS.values()}
    out = {}
    for mapper in db.Model.registry.mappers:
        cls = mapper.class_
        etype = getattr(cls, "__entity__", None)
        if not etype or etype in direct:
            continue
        cols = {key: col for key, (_e, col) in ID_REFS.items() if col and col in mapper.columns}
        if cols:
            out[etype] = (cls, cols)
    return out

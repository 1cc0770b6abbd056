"""Write and verify audit entries. Called by services inside their transaction; never commits."""
import hashlib
import json
from contextlib import contextmanager
from datetime import date, datetime, timezone
from decimal import Decimal

from sqlalchemy import insert, inspect, select, update

from core.audit.models import AuditEntry, AuditHead
from core.db import db, utcnow

GENESIS = "0" * 64
SKIP_FIELDS = frozenset({"version", "created_at", "updated_at"})


def plain(value):
    """A JSON-safe rendering of a column value (dates ISO, Decimal as text)."""
    if isinstance(value, datetime):
        return _utc_iso(value)
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return format(value.normalize(), "f") if value == value.to_integral() else str(value)
    if isinstance(value, (str, int, float, bool)) or value is None:
        return value
    if isinstance(value, (list, tuple)):
        return [plain(v) for v in value]
    if isinstance(value, dict):
        return {str(k): plain(v) for k, v in value.items()}
    return str(value)


def _utc_iso(value: datetime) -> str:
    if value.tzinfo is not None:
        value = value.astimezone(timezone.utc).replace(tzinfo=None)
    return value.isoformat(timespec="microseconds")


def changes_of(obj, sensitive: frozenset[str] = frozenset()) -> dict:
    """Field-by-field {name: [old, new]} of the pending changes on `obj` (all fields if new)."""
    state = inspect(obj)
    out = {}
    for attr in state.mapper.column_attrs:
        key = attr.key
        if key in SKIP_FIELDS:
            continue
        hist = state.attrs[key].history
        if state.pending or state.transient:
            new = getattr(obj, key)
            if new is not None and key != "id":
                out[key] = [None, plain(new)]
        elif hist.has_changes():
            old = hist.deleted[0] if hist.deleted else None
            new = hist.added[0] if hist.added else None
            if plain(old) != plain(new):
                out[key] = [plain(old), plain(new)]
    for key in sensitive & out.keys():
        out[key] = ["***" if out[key][0] is not None else None, "***" if out[key][1] is not None else None]
    return out


def entity_type_of(obj) -> str:
    return getattr(type(obj), "__entity__", type(obj).__tablename__)


def _entry_hash(entry: AuditEntry) -> str:
    body = {
        "seq": entry.seq, "at": _utc_iso(entry.at), "actor_id": entry.actor_id,
        "actor_name": entry.actor_name, "action": entry.action, "entity_type": entry.entity_type,
        "entity_id": entry.entity_id, "record_version": entry.record_version,
        "batch_id": entry.batch_id, "changes": entry.changes, "note": entry.note or "",
        "prev": entry.prev_hash,
    }
    raw = json.dumps(body, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(raw.encode("utf-8")).hexdigest()


def _take_head() -> AuditHead:
    """Lock the head row (UPDATE first, so concurrent writers queue on it), then read it."""
    result = db.session.execute(update(AuditHead).where(AuditHead.id == 1).values(seq=AuditHead.seq + 1))
    if result.rowcount == 0:
        db.session.add(AuditHead(id=1, seq=1, last_hash=GENESIS))
        db.session.flush()
    head = db.session.execute(select(AuditHead).where(AuditHead.id == 1)).scalar_one()
    db.session.refresh(head)
    return head


_BUFFER_KEY = "audit_buffer"


@contextmanager
def buffered():
    """Collect entries and write them at the end in one chained bulk insert (imports).

    Inside the block `record()` only computes the changes; leaving the block flushes the
    session once, takes the chain head once and inserts every entry. Use `mark()` /
    `discard_since(mark)` to drop the entries of a row rolled back to a savepoint.
    """
    if g_buffer() is not None:
        yield
        return
    db.session.info[_BUFFER_KEY] = []
    try:
        yield
        _write_buffer(db.session.info[_BUFFER_KEY])
    finally:
        db.session.info.pop(_BUFFER_KEY, None)


def g_buffer():
    return db.session.info.get(_BUFFER_KEY)


def mark() -> int:
    buf = g_buffer()
    return len(buf) if buf is not None else 0


def discard_since(position: int) -> None:
    buf = g_buffer()
    if buf is not None:
        del buf[position:]


def _write_buffer(pending: list) -> None:
    if not pending:
        return
    db.session.flush()
    head = _take_head()
    rows, prev, seq = [], head.last_hash, head.seq - 1
    for actor, action, obj, changes, batch_id, note in pending:
        seq += 1
        entry = _build(actor, action, obj, changes, batch_id, note, seq, prev)
        prev = entry.hash
        rows.append({c: getattr(entry, c) for c in _ENTRY_FIELDS})
    db.session.execute(insert(AuditEntry), rows)
    db.session.execute(update(AuditHead).where(AuditHead.id == 1).values(seq=seq, last_hash=prev))
    db.session.expire(head)


_ENTRY_FIELDS = ("seq", "at", "actor_id", "actor_name", "action", "entity_type", "entity_id", "entity_label",
                 "record_version", "batch_id", "changes", "prev_hash", "hash", "note")


def _build(actor, action, obj, changes, batch_id, note, seq, prev) -> AuditEntry:
    entry = AuditEntry(
        seq=seq, at=utcnow(), actor_id=getattr(actor, "id", None),
        actor_name=getattr(actor, "username", None) or "system", action=action,
        entity_type=entity_type_of(obj), entity_id=str(inspect(obj).identity[0]),
        entity_label=str(getattr(obj, "audit_label", "") or "")[:255],
        record_version=getattr(obj, "version", None), batch_id=batch_id,
        changes=changes, prev_hash=prev, note=note,
    )
    entry.hash = _entry_hash(entry)
    return entry


def record(actor, action: str, obj, changes: dict | None = None, *, batch_id: int | None = None,
           note: str = "", sensitive: frozenset[str] = frozenset()) -> AuditEntry | None:
    """Write one audit entry for `obj` in the current transaction.

    `action` is `<domain>.<entity>.<verb>`. `changes` defaults to the pending field changes of
    `obj` (computed before the flush that gives a new record its id). Fields named in
    `sensitive` are written as "***". Inside `buffered()` the entry is written when the block
    ends (and None is returned).
    """
    if changes is None:
        changes = changes_of(obj, sensitive)
    buf = g_buffer()
    if buf is not None:
        buf.append((actor, action, obj, changes, batch_id, note))
        return None
    db.session.flush()
    head = _take_head()
    entry = _build(actor, action, obj, changes, batch_id, note, head.seq, head.last_hash)
    head.last_hash = entry.hash
    db.session.add(entry)
    db.session.flush()
    return entry


def history(entity_type: str, entity_id) -> list[AuditEntry]:
    stmt = (select(AuditEntry).where(AuditEntry.entity_type == entity_type,
                                     AuditEntry.entity_id == str(entity_id)).order_by(AuditEntry.seq))
    return list(db.session.scalars(stmt))


def changes_since(obj, version: int) -> list[AuditEntry]:
    """Audit entries of `obj` that produced versions newer than `version`."""
    stmt = (select(AuditEntry).where(AuditEntry.entity_type == entity_type_of(obj),
                                     AuditEntry.entity_id == str(obj.id),
                                     AuditEntry.record_version > version).order_by(AuditEntry.seq))
    return list(db.session.scalars(stmt))


def verify() -> tuple[int, AuditEntry | None, str]:
    """Walk the chain in order. Returns (entries checked, first broken entry or None, reason)."""
    prev = GENESIS
    count = 0
    expected_seq = None
    for entry in db.session.scalars(select(AuditEntry).order_by(AuditEntry.seq)).yield_per(2000):
        if expected_seq is not None and entry.seq != expected_seq:
            return count, entry, "missing"
        if entry.prev_hash != prev:
            return count, entry, "link"
        if _entry_hash(entry) != entry.hash:
            return count, entry, "hash"
        prev, expected_seq, count = entry.hash, entry.seq + 1, count + 1
    head = db.session.get(AuditHead, 1)
    if head is not None and count and head.last_hash != prev:
        return count, None, "head"
    return count, None, ""

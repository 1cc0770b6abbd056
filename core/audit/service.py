"""Write and verify audit entries. Called by services inside their transaction; never commits."""
import hashlib
import json
import tempfile
from contextlib import contextmanager
from datetime import date, datetime, timezone
from decimal import Decimal
from functools import lru_cache
from typing import NamedTuple

from sqlalchemy import JSON, TypeDecorator, inspect, select, update

from core.audit.models import AuditEntry, AuditHead
from core.db import db, deferred_indexes, insert_rows, utcnow

GENESIS = "0" * 64
# name_sort: a key derived from the name (core.pinyin), set with it and restored with it
SKIP_FIELDS = frozenset({"version", "created_at", "updated_at", "name_sort"})


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


@lru_cache(maxsize=None)
def _audited_keys(model) -> tuple[str, ...]:
    return tuple(a.key for a in inspect(model).column_attrs if a.key not in SKIP_FIELDS and a.key != "id")


def changes_of_new(model, values: dict) -> dict:
    """What `changes_of` says of a new `model` record with these attribute values (bulk inserts)."""
    out = {}
    for key in _audited_keys(model):
        value = values.get(key)
        if value is not None:
            out[key] = [None, value if type(value) in _PLAIN_TYPES else plain(value)]
    return out


_PLAIN_TYPES = frozenset({str, int, bool, float})


def entity_type_of(obj) -> str:
    return getattr(type(obj), "__entity__", type(obj).__tablename__)


class AuditRef(NamedTuple):
    """What an entry says about its record, for records written without an ORM object (bulk inserts)."""
    entity_type: str
    entity_id: str
    label: str = ""
    version: int | None = None


def ref_of(obj) -> AuditRef:
    """The entry's view of `obj` (an ORM object with an identity, or an AuditRef)."""
    if isinstance(obj, AuditRef):
        return obj
    return AuditRef(entity_type_of(obj), str(inspect(obj).identity[0]),
                    str(getattr(obj, "audit_label", "") or "")[:255], getattr(obj, "version", None))


_ENCODER = json.JSONEncoder(sort_keys=True, ensure_ascii=False, separators=(",", ":"))
_META = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"))
_encode_str = json.encoder.encode_basestring     # non-ASCII kept as is, like ensure_ascii=False


def _canonical(value) -> str:
    """The one JSON text of a value that the chain hashes (keys sorted, compact, UTF-8 as is)."""
    return _ENCODER.encode(value)


def _scalar(value) -> str:
    """_canonical of one value, without the encoder's call overhead for the common types."""
    kind = type(value)
    if kind is str:
        return _encode_str(value)
    if kind is int:
        return int.__repr__(value)
    if value is None:
        return "null"
    return _ENCODER.encode(value)


HASH_VERSION = 2     # 1: entries written before entity_label was hashed (kept verifiable as they are)


def _hash_of(values, changes_json: str | None = None, at_iso: str | None = None) -> str:
    """sha256 of the canonical JSON of an entry's content (a dict of its column values).

    Version 2 (the default) is the text of _canonical({"seq", "at", "actor_id", "actor_name", "action",
    "entity_type", "entity_id", "entity_label", "record_version", "batch_id", "changes", "note",
    "hash_version", "prev"}): every stored field but the surrogate id and the hash itself. Version 1,
    kept for the entries written before it, is the same without "entity_label" and "hash_version".
    The text is written out key by key in sorted order (the same text, ~2× faster than encoding the
    dict; tests compare the two).

    `changes_json`: the changes already in canonical form; `at_iso`: _utc_iso(values["at"]).
    """
    if changes_json is None:
        changes_json = _canonical(values["changes"])
    if at_iso is None:
        at_iso = _utc_iso(values["at"])
    version = values.get("hash_version") or HASH_VERSION
    if version == 1:
        label = ""
        version_part = ""
    else:
        label = f'"entity_label":{_scalar(values["entity_label"] or "")},'
        version_part = f'"hash_version":{int(version)},'
    raw = (f'{{"action":{_scalar(values["action"])},"actor_id":{_scalar(values["actor_id"])},'
           f'"actor_name":{_scalar(values["actor_name"])},"at":{_encode_str(at_iso)},'
           f'"batch_id":{_scalar(values["batch_id"])},"changes":{changes_json},'
           f'"entity_id":{_scalar(values["entity_id"])},{label}"entity_type":{_scalar(values["entity_type"])},'
           f'{version_part}"note":{_scalar(values["note"] or "")},"prev":{_scalar(values["prev_hash"])},'
           f'"record_version":{_scalar(values["record_version"])},"seq":{_scalar(values["seq"])}}}')
    return hashlib.sha256(raw.encode("utf-8")).hexdigest()


def _entry_hash(entry: AuditEntry) -> str:
    return _hash_of({c: getattr(entry, c) for c in _ENTRY_FIELDS})


class _JSONText(TypeDecorator):
    """Binds text that is already JSON to a JSON column (the buffer's canonical changes)."""
    impl = JSON
    cache_ok = True

    def bind_processor(self, dialect):
        return None


_SERIALISED = {"changes": _JSONText()}     # the buffer's changes are canonical JSON text already


def _take_head() -> AuditHead:
    """Lock the head row (UPDATE first, so concurrent writers queue on it), then read it."""
    result = db.session.execute(update(AuditHead).where(AuditHead.id == 1).values(seq=AuditHead.seq + 1))
    if result.rowcount == 0:
        db.session.add(AuditHead(id=1, seq=1, last_hash=GENESIS))
        db.session.flush()
    # populate_existing: the row as it is now (after the UPDATE), even when the session holds it already
    return db.session.execute(select(AuditHead).where(AuditHead.id == 1)
                              .execution_options(populate_existing=True)).scalar_one()


_BUFFER_KEY = "audit_buffer"
WRITE_CHUNK = 2000


class _Buffer:
    """Entries waiting for the end of a `buffered()` block.

    Recent entries are kept as (actor, action, obj, changes, batch_id, note); `spill()` turns
    them into compact JSON lines in a temporary file (memory first, disk past 16 MB), so an
    import of 100,000 rows does not hold 100,000 change dicts and ORM objects.
    """

    def __init__(self):
        self.pending: list = []
        self.spilled = 0
        self.file = tempfile.SpooledTemporaryFile(max_size=16 * 2**20, mode="w+", encoding="utf-8")

    def spill(self) -> None:
        """Serialise the pending entries; their objects must have ids (call after a flush)."""
        lines = []
        for actor, action, obj, changes, batch_id, note in self.pending:
            ref = ref_of(obj)
            meta = _META.encode([getattr(actor, "id", None), getattr(actor, "username", None) or "system", action,
                                 ref.entity_type, ref.entity_id, ref.label, ref.version, batch_id, note])
            # JSON never holds a raw tab or newline: meta TAB changes NEWLINE splits safely
            lines.append(f"{meta}\t{_canonical(changes)}\n")
        self.file.write("".join(lines))
        self.spilled += len(self.pending)
        self.pending = []

    def __len__(self) -> int:
        """Entries recorded so far, spilled or pending."""
        return self.spilled + len(self.pending)

    def entries(self):
        """Every entry in order: (meta list, canonical changes JSON)."""
        self.spill()
        self.file.seek(0)
        for line in self.file:
            meta, changes = line.rstrip("\n").split("\t", 1)
            yield json.loads(meta), changes

    def close(self) -> None:
        self.file.close()


@contextmanager
def buffered():
    """Collect entries and write them at the end in chained bulk inserts (imports).

    Inside the block `record()` only computes the changes; leaving the block flushes the
    session once, takes the chain head once and inserts every entry (the head is the last lock
    an import takes, as for any other write, so concurrent writers cannot deadlock on it).
    Use `mark()` / `discard_since(mark)` to drop the entries of a row rolled back to a savepoint,
    and `spill()` after a flush to move the entries so far out of memory.
    """
    if g_buffer() is not None:
        yield
        return
    buf = db.session.info[_BUFFER_KEY] = _Buffer()
    try:
        yield
        _write_buffer(buf)
    finally:
        db.session.info.pop(_BUFFER_KEY, None)
        buf.close()


def g_buffer() -> _Buffer | None:
    return db.session.info.get(_BUFFER_KEY)


def mark() -> int:
    buf = g_buffer()
    return len(buf) if buf is not None else 0


def discard_since(position: int) -> None:
    buf = g_buffer()
    if buf is not None:
        if position < buf.spilled:
            raise RuntimeError("audit entries already spilled cannot be discarded")
        del buf.pending[position - buf.spilled:]


def spill() -> None:
    """Inside `buffered()`: serialise the entries recorded so far (the session must be flushed)."""
    buf = g_buffer()
    if buf is not None:
        buf.spill()


def _write_buffer(buf: _Buffer) -> None:
    if not len(buf):
        return
    db.session.flush()
    head = _take_head()
    prev, seq, rows = head.last_hash, head.seq - 1, []
    at = utcnow()                 # one transaction, one time for its entries
    at_iso = _utc_iso(at)
    with deferred_indexes(AuditEntry.__table__, len(buf)):
        for (actor_id, actor_name, action, etype, eid, label, version, batch_id, note), changes in buf.entries():
            seq += 1
            row = {"seq": seq, "at": at, "actor_id": actor_id, "actor_name": actor_name, "action": action,
                   "entity_type": etype, "entity_id": eid, "entity_label": label, "record_version": version,
                   "batch_id": batch_id, "changes": changes, "prev_hash": prev, "note": note,
                   "hash_version": HASH_VERSION}
            row["hash"] = prev = _hash_of(row, changes, at_iso)
            rows.append(row)
            if len(rows) == WRITE_CHUNK:
                insert_rows(AuditEntry.__table__, rows, types=_SERIALISED)
                rows = []
        if rows:
            insert_rows(AuditEntry.__table__, rows, types=_SERIALISED)
    db.session.execute(update(AuditHead).where(AuditHead.id == 1).values(seq=seq, last_hash=prev))
    db.session.expire(head)


_ENTRY_FIELDS = ("seq", "at", "actor_id", "actor_name", "action", "entity_type", "entity_id", "entity_label",
                 "record_version", "batch_id", "changes", "prev_hash", "hash", "note", "hash_version")


def record(actor, action: str, obj, changes: dict | None = None, *, batch_id: int | None = None,
           note: str = "", sensitive: frozenset[str] = frozenset()) -> AuditEntry | None:
    """Write one audit entry for `obj` in the current transaction.

    `action` is `<domain>.<entity>.<verb>`. `changes` defaults to the pending field changes of
    `obj` (computed before the flush that gives a new record its id). `obj` may be an AuditRef
    for a record written by a bulk insert (then `changes` is required). Fields named in
    `sensitive` are written as "***". Inside `buffered()` the entry is written when the block
    ends (and None is returned).
    """
    if changes is None:
        changes = changes_of(obj, sensitive)
    buf = g_buffer()
    if buf is not None:
        buf.pending.append((actor, action, obj, changes, batch_id, note))
        return None
    db.session.flush()
    head = _take_head()
    ref = ref_of(obj)
    entry = AuditEntry(
        seq=head.seq, at=utcnow(), actor_id=getattr(actor, "id", None),
        actor_name=getattr(actor, "username", None) or "system", action=action,
        entity_type=ref.entity_type, entity_id=ref.entity_id, entity_label=ref.label,
        record_version=ref.version, batch_id=batch_id, changes=changes, prev_hash=head.last_hash, note=note,
        hash_version=HASH_VERSION,
    )
    entry.hash = _entry_hash(entry)
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




def verify(anchors=()) -> tuple[int, AuditEntry | None, str]:
    """Walk the chain; see core.audit.verify.verify_chain (kept here for the services' callers)."""
    from core.audit.verify import verify_chain   # verify builds on this module's hashing
    return verify_chain(anchors)

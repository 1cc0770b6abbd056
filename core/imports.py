"""The import engine used by every domain: validate every row, then write all or nothing.

A domain declares `ImportKind`s (columns, `parse`, `apply`) in `Domain.import_kinds`; this module does
the rest — reading (core.tabular), header mapping, error collection with file line numbers,
in-file duplicates, dry run, all-or-nothing or --skip-invalid, the batch record, and undo.
Services are called with `batch_id` so each write's audit entry belongs to the batch; undo walks
those entries backwards (created records archived or removed, updated fields restored).
"""
import gc
import logging
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from typing import Any, Callable

from flask_babel import gettext as _
from sqlalchemy import JSON, DateTime, ForeignKey, Integer, String, inspect, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Mapped, mapped_column

from core import tabular
from core.audit import service as audit
from core.audit.models import AuditEntry
from core.db import Archivable, db, deferred_indexes, refresh_statistics, utcnow
from core.errors import ServiceError
from core.records import ENTITIES

log = logging.getLogger(__name__)
OUTCOMES = ("created", "updated", "unchanged")


class RowInvalid(Exception):
    """All problems of one row: [(column key or None, message), ...]."""

    def __init__(self, problems: list[tuple[str | None, str]]):
        super().__init__("; ".join(m for _k, m in problems))
        self.problems = problems


@dataclass(frozen=True)
class ImportKind:
    name: str
    domain: str
    label_zh: str
    label_en: str
    columns: tuple
    parse: Callable[[dict, "ImportContext"], Any]
    apply: Callable[[Any, "ImportContext"], str]
    key: Callable[[Any], Any] | None = None
    params: tuple[str, ...] = ()
    # Optional: prepare(parsed_rows, ctx) runs before the rows of each chunk of CHUNK rows are
    # applied (e.g. load the chunk's existing records in a few queries into ctx.cache).
    prepare: Callable[[list, "ImportContext"], None] | None = None
    # Optional: write(ctx) runs at the end of each chunk, before the flush: apply may queue new
    # records (ctx.cache) for write() to insert in one statement instead of one ORM object each.
    write: Callable[["ImportContext"], None] | None = None
    # True when apply needs no query to see the previous rows' pending writes: the engine
    # then turns autoflush off and flushes once per chunk instead of on every query.
    bulk: bool = False
    # Tables that write() bulk-inserts into: on SQLite a large import into a table holding fewer
    # rows rebuilds their indexes once at the end instead of growing them row by row
    # (core.db.deferred_indexes).
    bulk_tables: tuple[str, ...] = ()


CHUNK = 2000
ANALYZE_AFTER = 1000    # rows written by one import after which the planner's statistics are refreshed
KEEP_ROWS = 50          # rows of the file kept after parsing, for the upload page's preview


@dataclass
class ImportContext:
    actor: Any
    params: dict
    dry_run: bool = False
    batch_id: int | None = None
    cache: dict = field(default_factory=dict)   # per-import memo for parse/apply lookups


@dataclass
class ImportResult:
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    rejected: int = 0
    errors: list[dict] = field(default_factory=list)
    unknown_columns: list[str] = field(default_factory=list)
    total_rows: int = 0
    written: bool = False
    batch_id: int | None = None
    table: Any = None            # the file as read; only its first KEEP_ROWS rows once parsed
    source: tuple[bytes, str] | None = None   # (data, filename) of the file read

    def summary(self) -> dict:
        """The CLI's one JSON object."""
        return {"created": self.created, "updated": self.updated, "unchanged": self.unchanged,
                "rejected": self.rejected, "errors": self.errors}


class ImportBatch(db.Model):
    __tablename__ = "core_import_batches"
    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(48), index=True)
    filename: Mapped[str] = mapped_column(String(255))
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("core_users.id"))
    actor_name: Mapped[str] = mapped_column(String(64), default="system")
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    params: Mapped[dict] = mapped_column(JSON, default=dict)
    total_rows: Mapped[int] = mapped_column(Integer, default=0)
    created: Mapped[int] = mapped_column(Integer, default=0)
    updated: Mapped[int] = mapped_column(Integer, default=0)
    unchanged: Mapped[int] = mapped_column(Integer, default=0)
    rejected: Mapped[int] = mapped_column(Integer, default=0)
    status: Mapped[str] = mapped_column(String(16), default="committed")   # committed | undone
    undone_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    undone_by: Mapped[str | None] = mapped_column(String(64))


_KINDS: dict[str, ImportKind] = {}


def register_kind(kind: ImportKind) -> None:
    _KINDS[kind.name] = kind


def kinds() -> dict[str, ImportKind]:
    return dict(_KINDS)


def kind_domain(view_args: dict) -> str | None:
    """The domain owning the `kind` URL argument's import kind (for a `{domain}` permission)."""
    kind = _KINDS.get(view_args.get("kind", ""))
    return kind.domain if kind else None


def _err(row, column, message) -> dict:
    return {"row": row, "column": column, "message": message}


def _column_label(kind: ImportKind, table, hmap, key) -> str | None:
    if key is None:
        return None
    if key in hmap.index and hmap.index[key] < len(table.headers):
        return table.headers[hmap.index[key]]
    col = next((c for c in kind.columns if c.key == key), None)
    return col.label_zh if col else key


def read(kind: ImportKind, data: bytes, filename: str, result: ImportResult):
    """Read and map the file; header-level problems go into result.errors (row 1 = header)."""
    try:
        table = tabular.read_table(data, filename)
    except tabular.TableError as exc:
        result.errors.append(_err(None, None, exc.message))
        return None, None
    hmap = tabular.map_headers(table.headers, kind.columns)
    result.unknown_columns = list(hmap.unknown)
    result.total_rows = len(table.rows)
    result.table, result.source = table, (data, filename)
    header_line = getattr(table, "header_line", 1)
    for key in hmap.missing:
        col = next(c for c in kind.columns if c.key == key)
        result.errors.append(_err(header_line, col.label_zh, _("缺少必填列“%(col)s”", col=col.label_zh)))
    for key in hmap.duplicates:
        col = next(c for c in kind.columns if c.key == key)
        result.errors.append(_err(header_line, col.label_zh, _("列“%(col)s”出现了不止一次", col=col.label_zh)))
    if not table.rows and not result.errors:
        result.errors.append(_err(None, None, _("文件中没有数据行")))
    return table, hmap


def _parse_rows(kind, table, hmap, ctx, result) -> list[tuple[int, Any]]:
    """parse() every row; collect every problem; in-file duplicates are errors on the later row.

    The raw rows are freed as they are parsed (a 100,000-row file's cells take ~150 MB as Python
    strings); the first KEEP_ROWS stay for the upload page's preview, and error_report() reads
    the file again.
    """
    good, seen, bad_lines = [], {}, set()
    unescape = tabular.unescape_formula
    raw = table.rows
    for n, (line, row) in enumerate(zip(table.line_numbers, raw)):
        if n >= KEEP_ROWS:
            raw[n] = None
        # our own exports quote-prefix cells starting with = + - @ (formula injection); undo it
        values = {k: (unescape(v) if v[:1] == "'" else v) for k, v in hmap.pick(row).items()}
        try:
            parsed = kind.parse(values, ctx)
        except RowInvalid as exc:
            for key, message in exc.problems:
                result.errors.append(_err(line, _column_label(kind, table, hmap, key), message))
            bad_lines.add(line)
            continue
        except ServiceError as exc:
            result.errors.append(_err(line, _column_label(kind, table, hmap, exc.field), exc.message))
            bad_lines.add(line)
            continue
        if kind.key is not None:
            k = kind.key(parsed)
            if k in seen:
                key_col = kind.columns[0].key
                result.errors.append(_err(line, _column_label(kind, table, hmap, key_col),
                                          _("与第 %(first)s 行重复（%(key)s）", first=seen[k], key=k)))
                bad_lines.add(line)
                continue
            seen[k] = line
        good.append((line, parsed))
    del raw[KEEP_ROWS:]
    del table.line_numbers[KEEP_ROWS:]
    result.rejected = len(bad_lines)
    return good


def _apply_rows(kind, rows, ctx, result, table, hmap, skip_invalid: bool) -> None:
    """Apply the parsed rows (the list is consumed) chunk by chunk: prepare, apply each row, write,
    flush, spill the audit.

    After a chunk nothing of it stays in memory but the records the session still needs; the
    audit entries go to the buffer's spool and are chained and inserted at the end.
    """
    counts = dict.fromkeys(OUTCOMES, 0)
    with ExitStack() as stack:
        stack.enter_context(audit.buffered())
        stack.enter_context(_autoflush(not kind.bulk))
        for name in kind.bulk_tables:
            stack.enter_context(deferred_indexes(db.metadata.tables[name], len(rows)))
        while rows:       # consumed chunk by chunk: nothing of a written chunk stays in memory
            chunk = rows[:CHUNK]
            del rows[:CHUNK]
            if kind.prepare is not None:
                kind.prepare([parsed for _line, parsed in chunk], ctx)
            for line, parsed in chunk:
                outcome = _apply_row(kind, line, parsed, ctx, result, table, hmap, skip_invalid)
                if outcome is not None:
                    counts[outcome] += 1
            if kind.write is not None:
                kind.write(ctx)
            db.session.flush()
            audit.spill()
    result.created, result.updated, result.unchanged = counts["created"], counts["updated"], counts["unchanged"]


def _apply_row(kind, line, parsed, ctx, result, table, hmap, skip_invalid: bool) -> str | None:
    """One row's outcome, or None when the service refused it (the error is recorded)."""
    position = audit.mark()
    try:
        if skip_invalid:
            with db.session.begin_nested():
                return kind.apply(parsed, ctx)
        return kind.apply(parsed, ctx)
    except ServiceError as exc:
        audit.discard_since(position)
        result.errors.append(_err(line, _column_label(kind, table, hmap, exc.field), exc.message))
        result.rejected += 1
        return None


@contextmanager
def _autoflush(enabled: bool):
    if enabled:
        yield
    else:
        with db.session.no_autoflush:
            yield


@contextmanager
def _gc_paused():
    """Python's cyclic collector off during an import, back on after.

    An import holds ~10^5 long-lived rows; the collector would traverse them again and again
    (measured: 47.7 s instead of 33.8 s for 100,000 firms). The import makes no cycles worth
    collecting meanwhile."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def run_import(kind_name: str, data: bytes, filename: str, *, actor, params: dict | None = None,
               dry_run: bool = False, skip_invalid: bool = False) -> ImportResult:
    """Validate every row, then write (all or nothing, or only the valid rows with skip_invalid).

    Never commits: the caller commits when `result.written`, else rolls back. A dry run
    applies inside the transaction to count created/updated/unchanged, then rolls back.
    """
    with _gc_paused():
        return _run_import(kind_name, data, filename, actor=actor, params=params, dry_run=dry_run,
                           skip_invalid=skip_invalid)


def _run_import(kind_name, data, filename, *, actor, params, dry_run, skip_invalid) -> ImportResult:
    kind = _KINDS[kind_name]
    params = dict(params or {})
    result = ImportResult()
    for name in kind.params:
        if not params.get(name):
            result.errors.append(_err(None, None, _("缺少参数 %(p)s", p=name)))
    if result.errors:
        return result
    table, hmap = read(kind, data, filename, result)
    if table is None or result.errors:
        return result
    ctx = ImportContext(actor=actor, params=params, dry_run=dry_run)
    rows = _parse_rows(kind, table, hmap, ctx, result)
    if result.errors and not skip_invalid:
        return result
    batch = ImportBatch(kind=kind.name, filename=filename[:255], actor_id=getattr(actor, "id", None),
                        actor_name=getattr(actor, "username", "system"), params=params,
                        total_rows=result.total_rows)
    db.session.add(batch)
    db.session.flush()
    ctx.batch_id = result.batch_id = batch.id
    _apply_rows(kind, rows, ctx, result, table, hmap, skip_invalid)
    result.errors.sort(key=lambda e: (e["row"] or 0))
    if dry_run or (result.errors and not skip_invalid):
        db.session.rollback()
        if not dry_run:
            result.created = result.updated = result.unchanged = 0
        result.batch_id = None
        return result
    batch.created, batch.updated, batch.unchanged, batch.rejected = (
        result.created, result.updated, result.unchanged, result.rejected)
    result.written = True
    return result


def import_and_commit(kind_name: str, data: bytes, filename: str, *, actor, params: dict | None = None,
                      dry_run: bool = False, skip_invalid: bool = False, attempts: int = 3) -> ImportResult:
    """run_import, then commit when written (else roll back) — the unit of work of the CLI and the web.

    Another import committing the same credit codes at the same moment makes our flush or commit
    fail on a unique index; the whole file is then rolled back and run again (the second run sees
    the other import's rows and updates them). After `attempts` a clean refusal is returned.
    """
    for attempt in range(1, attempts + 1):
        try:
            result = run_import(kind_name, data, filename, actor=actor, params=params,
                                dry_run=dry_run, skip_invalid=skip_invalid)
            if result.written:
                db.session.commit()
                if result.created + result.updated >= ANALYZE_AFTER:
                    refresh_statistics()
            else:
                db.session.rollback()
            return result
        except IntegrityError:
            db.session.rollback()
            log.warning("import %s of %s collided with a concurrent write (attempt %d of %d)",
                        kind_name, filename, attempt, attempts)
    return ImportResult(errors=[_err(None, None, _("与同时进行的其他导入发生冲突，未写入任何数据，请稍后重试"))])


def error_report(result: ImportResult, kind_name: str) -> bytes:
    """The uploaded rows plus an error column, with personal-data columns masked."""
    kind = _KINDS[kind_name]
    # the import kept only the first rows: read the file again (it was read once without error)
    table = tabular.read_table(*result.source) if result.source is not None else None
    sensitive = {c.key for c in kind.columns if getattr(c, "sensitive", False)}
    if table is not None and sensitive:
        hmap = tabular.map_headers(table.headers, kind.columns)
        idx = [hmap.index[k] for k in sensitive if k in hmap.index]
        table.rows = [[mask(v) if i in idx else v for i, v in enumerate(r)] for r in table.rows]
    if table is None:
        table = tabular.Table(headers=[], rows=[], line_numbers=[])
    return tabular.error_report_xlsx(table, result.errors)


def mask(value: str) -> str:
    """Keep the first and last four characters of personal data."""
    value = value or ""
    return value if len(value) <= 8 else value[:4] + "*" * (len(value) - 8) + value[-4:]


# ------------------------------------------------------------------------------- undo

def _coerce(column, value):
    if value is None:
        return None
    try:
        kind = column.type.python_type
    except NotImplementedError:
        return value
    if kind is date and isinstance(value, str):
        return date.fromisoformat(value[:10])
    if kind is datetime and isinstance(value, str):
        return datetime.fromisoformat(value)
    if kind is Decimal:
        return Decimal(str(value))
    if kind is bool and isinstance(value, str):
        return value.lower() in ("true", "1")
    if kind is int and isinstance(value, str):
        return int(value)
    return value


def undo_batch(batch: ImportBatch, actor) -> int:
    """Reverse every audited write of `batch`, newest first. Returns the number of records touched.

    Refused (ServiceError) when a record was changed after the import: undoing would
    overwrite somebody's later edit.
    """
    if batch.status == "undone":
        raise ServiceError(_("该批次已撤销"))
    entries = list(db.session.scalars(select(AuditEntry).where(AuditEntry.batch_id == batch.id)
                                      .order_by(AuditEntry.seq.desc())))
    targets = _undo_targets(entries)
    for entry in entries:
        entity, obj = targets[(entry.entity_type, entry.entity_id)]
        _undo_entry(entry, entity, obj, actor, batch)
    batch.status, batch.undone_at, batch.undone_by = "undone", utcnow(), getattr(actor, "username", "system")
    db.session.flush()
    return len(targets)


def _undo_targets(entries) -> dict:
    targets, last_version = {}, {}
    for entry in entries:  # newest first: the first seen is the record's last batch write
        key = (entry.entity_type, entry.entity_id)
        if key in targets:
            continue
        entity = ENTITIES.get(entry.entity_type)
        obj = db.session.get(entity.model, int(entry.entity_id)) if entity else None
        if obj is None:
            raise ServiceError(_("无法撤销：找不到记录 %(t)s #%(id)s", t=entry.entity_type, id=entry.entity_id))
        last_version[key] = entry.record_version
        if entry.record_version is not None and getattr(obj, "version", None) not in (None, entry.record_version):
            raise ServiceError(_("无法撤销：记录“%(label)s”在导入后已被修改，请先核对该记录的修改历史",
                                 label=entry.entity_label or entry.entity_id))
        targets[key] = (entity, obj)
    return targets


def _undo_entry(entry, entity, obj, actor, batch) -> None:
    verb = entry.action.rsplit(".", 1)[-1]
    note = _("撤销导入批次 #%(id)s", id=batch.id)
    if verb == "create":
        if isinstance(obj, Archivable):
            if obj.archived_at is None:
                obj.archived_at, obj.archived_by_id = utcnow(), getattr(actor, "id", None)
                audit.record(actor, f"{entry.entity_type}.undo", obj, note=note)
        else:
            audit.record(actor, f"{entry.entity_type}.undo", obj, note=note,
                         changes={k: [v[1], None] for k, v in (entry.changes or {}).items()})
            db.session.delete(obj)
            db.session.flush()
        return
    columns = {c.key: c for c in inspect(type(obj)).column_attrs}
    for name, (old, _new) in (entry.changes or {}).items():
        if name in columns and name != "id":
            setattr(obj, name, _coerce(columns[name].columns[0], old))
    audit.record(actor, f"{entry.entity_type}.undo", obj, note=note)

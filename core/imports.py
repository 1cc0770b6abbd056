"""The import engine used by every domain: validate and write chunk by chunk in one transaction, all or nothing.

A domain declares `ImportKind`s (columns, parameters, `parse`, `apply`) in `Domain.import_kinds`;
this module does the rest — reading the file once (core.tabular: title rows skipped, headers mapped) into
an `Upload`, error collection with file line numbers, in-file duplicates, dry run, all-or-nothing or
--skip-invalid, and the batch record (core.import_batches, which also undoes a batch). `parse`
reads a row with the row-reading kit (core.tabular.cells). Services are called with `batch_id` so
each write's audit entry belongs to the batch.

The rows go through in chunks of CHUNK as the file is read (a file on disk is read as a stream,
core.tabular.stream_table): each chunk is parsed, checked against the credit codes seen so far in the
file, and written, all inside the import's one transaction. A refused row stops the writing (the rest of
the file is still checked, so every problem is reported) and the transaction is rolled back: nothing is
written, exactly as when every row was validated before the first write. Memory stays that of a chunk.
"""
import gc
import logging
import random
import sqlite3
import time
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field, replace
from itertools import islice
from os import PathLike
from typing import Any, Callable, Iterator

from flask_babel import gettext as _
from sqlalchemy.exc import DBAPIError, IntegrityError

from core import tabular
from core import text as unsafe_text
from core.audit import service as audit
from core.db import db, deferred_indexes, is_sqlite, refresh_statistics
from core.errors import ServiceError
from core.import_batches import ImportBatch, undo_batch  # noqa: F401 - part of this module's API
from core.tabular.cells import RowInvalid  # noqa: F401 - domains raise it from parse()

log = logging.getLogger(__name__)
OUTCOMES = ("created", "updated", "unchanged")


@dataclass(frozen=True)
class Param:
    """A value an import kind needs besides the file (a pool, a year …): the upload form shows a
    field for it and `flask import KIND` an option `--NAME`."""
    name: str
    label_zh: str
    label_en: str
    max_length: int = 48


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
    params: tuple[Param, ...] = ()
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
    # The order rows are written in (default: by the row's credit code, `uscc`, file order among
    # equals): two imports naming the same firms then lock them in the same order and never deadlock.
    order: Callable[[Any], Any] | None = None


CHUNK = 2000            # rows parsed, checked and written together (prepare() sees a chunk's rows)
HOLD = 100              # rows of a streamed file read before the rest: title rows, header, columns used
ANALYZE_AFTER = 1000    # rows written by one import after which the planner's statistics are refreshed
KEEP_ROWS = 50          # rows of the file kept after parsing, for the upload page's preview
ATTEMPTS = 4            # runs of one import before a collision with concurrent writes is refused
BACKOFF = 0.25          # seconds before the second run; doubled for each further one (with jitter)
# PostgreSQL: serialization_failure, deadlock_detected; SQLite says so in its message
_TRANSIENT_STATES = frozenset({"40001", "40P01"})
_SQLITE_TRANSIENT = ("database is locked", "database table is locked")


# progress(stage, rows): stage "read" | "validated" | "written" and the rows done so far in it. A web
# import's job records it (in its own short transaction or file, never in the import's transaction).
Progress = Callable[[str, int], None]


def _no_progress(_stage: str, _rows: int) -> None:
    return None


@dataclass
class ImportContext:
    actor: Any
    params: dict
    dry_run: bool = False
    batch_id: int | None = None
    cache: dict = field(default_factory=dict)   # per-import memo for parse/apply lookups


@dataclass
class Upload:
    """A file read once: its table (every row), the header map and the header-level problems.
    The web keeps it with the stash, so preview, error report and commit never read it again."""
    filename: str
    table: Any
    hmap: Any
    errors: list = field(default_factory=list)


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
    source: tuple[bytes | PathLike, str] | None = None   # (data or path, filename) of the file read

    def summary(self) -> dict:
        """The CLI's one JSON object."""
        return {"created": self.created, "updated": self.updated, "unchanged": self.unchanged,
                "rejected": self.rejected, "errors": self.errors}


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


def read_upload(kind: ImportKind, data: bytes | PathLike, filename: str, max_bytes: int = tabular.MAX_BYTES, *,
                lean: bool = False, progress: Progress = _no_progress) -> Upload:
    """Read the file, skip title rows above the header, map the headers (row of the header = its
    line); problems of the file or of its header row go into ``Upload.errors``.

    `data`: the file's bytes, or the path of a file on the server (read without its bytes in memory).
    `lean`: rows past the first ones keep only the cells of the kind's columns (an import reads nothing
    else; a national-system export has twice as many columns as the registry knows), and a CSV at a path
    is streamed: the table holds its first HOLD rows, the engine reads the others from ``Table.more`` as
    it goes. The preview and the error report read the file whole."""
    on_rows = lambda n: progress("read", n)    # noqa: E731
    try:
        if isinstance(data, (bytes, bytearray, memoryview)):
            table = tabular.read_table(data, filename, max_bytes=max_bytes, on_rows=on_rows,
                                       narrow=_used_columns(kind) if lean else None)
        else:
            table = tabular.stream_table(data, filename, max_bytes=max_bytes, on_rows=on_rows,
                                         narrow=_used_columns(kind) if lean else None, hold=HOLD if lean else None)
    except tabular.TableError as exc:
        return Upload(filename, None, None, [_err(None, None, exc.message)])
    table.skip_title_rows(tabular.locate_header(table.headers, table.rows, kind.columns))
    hmap = tabular.map_headers(table.headers, kind.columns)
    upload = Upload(filename, table, hmap)
    for key in hmap.missing:
        col = next(c for c in kind.columns if c.key == key)
        upload.errors.append(_err(table.header_line, col.label_zh, _("缺少必填列“%(col)s”", col=col.label_zh)))
    for key in hmap.duplicates:
        col = next(c for c in kind.columns if c.key == key)
        upload.errors.append(_err(table.header_line, col.label_zh, _("列“%(col)s”出现了不止一次", col=col.label_zh)))
    if not table.rows and not upload.errors:
        upload.errors.append(_err(None, None, _("文件中没有数据行")))
    if table.more is None:
        progress("read", len(table.rows))
    return upload


def _used_columns(kind: ImportKind):
    """Collector's `narrow` for `kind`: the positions of the header row's known columns."""
    def narrow(headers, rows):
        skip = tabular.locate_header(headers, rows, kind.columns)
        header = headers if skip == 0 else rows[skip - 1]
        hmap = tabular.map_headers(header, kind.columns)
        return set(hmap.index.values()) | {p for extra in hmap.duplicates.values() for p in extra}
    return narrow


def read(kind: ImportKind, data: bytes | PathLike | None, filename: str, result: ImportResult,
         upload: Upload | None = None,
         progress: Progress = _no_progress, max_bytes: int = tabular.MAX_BYTES):
    """The file's table and header map (read now unless ``upload`` holds them); problems go into
    result.errors."""
    if upload is None:
        upload = read_upload(kind, data, filename, max_bytes, lean=True, progress=progress)
        result.source = (data, filename)
    result.errors.extend(upload.errors)
    if upload.table is None:
        return None, None
    result.unknown_columns = list(upload.hmap.unknown)
    result.total_rows = len(upload.table.rows)
    result.table = upload.table
    return upload.table, upload.hmap


class _Checker:
    """parse() of each row as the chunks come: every problem is collected (in `errors`, with the refused
    rows' numbers in `bad`); an in-file duplicate is an error on the later row (the keys seen so far are
    kept: a credit code and a row number per row, ~10 MB at 100,000 rows)."""

    def __init__(self, kind: ImportKind, table, hmap, ctx: ImportContext):
        self.kind, self.table, self.hmap, self.ctx = kind, table, hmap, ctx
        self.seen: dict = {}
        self.bad: set[int] = set()
        self.errors: list[dict] = []

    def parse(self, chunk: list[tuple[int, list[str]]]) -> list[tuple[int, Any]]:
        """The chunk's good rows as (row number, parsed)."""
        kind, table, hmap, ctx = self.kind, self.table, self.hmap, self.ctx
        unescape, oversized, good = tabular.unescape_formula, table.oversized, []
        for line, row in chunk:
            if oversized and line in oversized:
                self._oversized(line, oversized.pop(line))
                continue
            # our own exports quote-prefix cells starting with = + - @ (formula injection); undo it
            values = {k: (unescape(v) if v[:1] == "'" else v) for k, v in hmap.pick(row).items()}
            try:
                parsed = kind.parse(values, ctx)
            except RowInvalid as exc:
                for key, message in exc.problems:
                    self.errors.append(_err(line, _column_label(kind, table, hmap, key), message))
                self.bad.add(line)
                continue
            except ServiceError as exc:
                self.errors.append(_err(line, _column_label(kind, table, hmap, exc.field), exc.message))
                self.bad.add(line)
                continue
            if kind.key is not None:
                k = kind.key(parsed)
                if k in self.seen:
                    key_col = kind.columns[0].key
                    self.errors.append(_err(line, _column_label(kind, table, hmap, key_col),
                                            _("与第 %(first)s 行重复（%(key)s）", first=self.seen[k], key=k)))
                    self.bad.add(line)
                    continue
                self.seen[k] = line
            good.append((line, parsed))
        return good

    def _oversized(self, line: int, positions: list[int]) -> None:
        from core.tabular.csv_read import FIELD_LIMIT
        for pos in positions:
            column = self.table.headers[pos] if pos < len(self.table.headers) else None
            self.errors.append(_err(line, column or None,
                                    _("单元格内容超过 %(n)s 个字符的上限，请删减后重新导入", n=FIELD_LIMIT)))
        self.bad.add(line)


class _Refused(Exception):
    """Raised inside the writing block once a row is refused (all or nothing): its audit entries are
    dropped unwritten; the transaction is rolled back."""


def _records(table) -> Iterator[tuple[int, list[str]]]:
    """(row number, cells) of every data row: the rows the table holds (those past KEEP_ROWS freed as
    they go: a 100,000-row file's cells take ~150 MB as Python strings), then a streamed file's others."""
    raw = table.rows
    for n, line in enumerate(table.line_numbers):
        row = raw[n]
        if n >= KEEP_ROWS:
            raw[n] = None
        yield line, row
    if table.more is not None:
        more, table.more = table.more, None
        yield from more


def _chunks(records: Iterator, size: int) -> Iterator[list]:
    while chunk := list(islice(records, size)):
        yield chunk


def _stream_rows(kind, table, hmap, ctx, result, checker: _Checker, skip_invalid: bool, progress: Progress) -> None:
    """Parse, check and write the file's rows chunk by chunk: prepare, apply each row (in write order), write,
    flush, spill the audit. Once a row is refused without skip_invalid nothing more is applied (the rest is
    still checked) and _Refused leaves the block without writing the audit.

    After a chunk nothing of it stays in memory but the records the session still needs; the
    audit entries go to the buffer's spool and are chained and inserted at the end.
    """
    counts = dict.fromkeys(OUTCOMES, 0)
    read = done = 0
    incoming = table.expected_rows or len(table.rows)
    with ExitStack() as stack:
        stack.enter_context(audit.buffered())
        stack.enter_context(_autoflush(not kind.bulk))
        for name in kind.bulk_tables:
            stack.enter_context(deferred_indexes(db.metadata.tables[name], incoming))
        for chunk in _chunks(_records(table), CHUNK):
            read += len(chunk)
            rows = checker.parse(chunk)
            del chunk
            progress("validated", read)
            if checker.bad and not skip_invalid:
                continue              # nothing will be written: only the rest of the file's problems are collected
            rows.sort(key=lambda item: _write_order(kind, item[1]))
            if kind.prepare is not None:
                kind.prepare([parsed for _line, parsed in rows], ctx)
            for line, parsed in rows:
                outcome = _apply_row(kind, line, parsed, ctx, result, table, hmap, skip_invalid)
                if outcome is not None:
                    counts[outcome] += 1
            if kind.write is not None:
                kind.write(ctx)
            db.session.flush()
            audit.spill()
            done += len(rows)
            progress("written", done)
        result.total_rows = read
        if checker.bad and not skip_invalid:
            raise _Refused
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

    When an import held every row the collector traversed them again and again (measured: 47.7 s
    instead of 33.8 s for 100,000 firms). Streamed, it holds a chunk, but it still makes no cycles
    worth collecting (measured: the same peak RSS with the collector on or off)."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


#: SQLite during an import: a page cache of this many KiB (its default is 2,000) and statement journals in
#: memory. A 100,000-firm import with the search indexes dirties far more pages than the default cache,
#: which SQLite spills into the WAL file mid-transaction, and each insert (triggers keep the indexes) keeps
#: a statement journal in a temporary file: measured with py-spy, 41 % of the import's time was pwrite.
#: Measured at 100,000 real-shaped firms: 40.5 s, peak RSS 219 MB as before; journals in memory 32.3 s,
#: 219 MB; both 28.3 s, 287 MB (a 128 MB cache: 360 MB for no more gain). Only while the import writes.
IMPORT_CACHE_KIB = 65_536


@contextmanager
def _sqlite_import_cache():
    """On SQLite, a page cache of IMPORT_CACHE_KIB and statement journals in memory for the import's
    connection; its previous settings after."""
    if not is_sqlite():
        yield
        return
    # the driver's connection itself: the session may commit and give its Connection back during the
    # import, and the settings are restored on the connection they were made on (it returns to the pool)
    raw = db.session.connection().connection.dbapi_connection
    before = raw.execute("PRAGMA cache_size").fetchone()[0]
    temp = raw.execute("PRAGMA temp_store").fetchone()[0]
    raw.execute(f"PRAGMA cache_size=-{IMPORT_CACHE_KIB}")
    raw.execute("PRAGMA temp_store=MEMORY")
    try:
        yield
    finally:
        try:
            raw.execute(f"PRAGMA cache_size={int(before)}")
            raw.execute(f"PRAGMA temp_store={int(temp)}")
        except sqlite3.Error:          # closed after an error (the pool opens a new one), or inside a
            pass                       # transaction with temporary tables: keep going, nothing is lost


def run_import(kind_name: str, data: bytes | PathLike | None, filename: str, *, actor, params: dict | None = None,
               dry_run: bool = False, skip_invalid: bool = False, upload: Upload | None = None,
               progress: Progress = _no_progress, max_bytes: int = tabular.MAX_BYTES) -> ImportResult:
    """Validate every row, then write (all or nothing, or only the valid rows with skip_invalid).

    `max_bytes`: the largest file read (the web's upload limit; the CLI reads server-side files of any size
    up to tabular's row limit).

    Never commits: the caller commits when `result.written`, else rolls back. A dry run
    applies inside the transaction to count created/updated/unchanged, then rolls back.
    `progress` hears the rows read, validated and written (see Progress).
    """
    with _gc_paused(), _sqlite_import_cache():
        return _run_import(kind_name, data, filename, actor=actor, params=params, dry_run=dry_run,
                           skip_invalid=skip_invalid, upload=upload, progress=progress, max_bytes=max_bytes)


def param_problems(kind: ImportKind, params: dict) -> list[dict]:
    """A missing or over-long parameter of the kind, as import errors."""
    problems = []
    for param in kind.params:
        value = str(params.get(param.name) or "")
        if not value:
            problems.append(_err(None, None, _("缺少参数“%(p)s”", p=param_label(param))))
        elif len(value) > param.max_length:
            problems.append(_err(None, None, _("参数“%(p)s”过长（最多 %(n)s 个字符）", p=param_label(param),
                                               n=param.max_length)))
        elif unsafe_text.problem(value):
            problems.append(_err(None, None, f"{param_label(param)}：{unsafe_text.problem(value)}"))
    return problems


def param_label(param: Param) -> str:
    from flask_babel import get_locale
    return param.label_en if str(get_locale() or "zh") == "en" else param.label_zh


def _run_import(kind_name, data, filename, *, actor, params, dry_run, skip_invalid, upload,
                progress, max_bytes=tabular.MAX_BYTES) -> ImportResult:
    kind = _KINDS[kind_name]
    params = dict(params or {})
    result = ImportResult(errors=param_problems(kind, params))
    if result.errors:
        return result
    table, hmap = read(kind, data, filename, result, upload, progress, max_bytes)
    if table is None or result.errors:
        return result
    ctx = ImportContext(actor=actor, params=params, dry_run=dry_run)
    batch = ImportBatch(kind=kind.name, filename=filename[:255], actor_id=getattr(actor, "id", None),
                        actor_name=getattr(actor, "username", "system"), params=params,
                        total_rows=result.total_rows)
    db.session.add(batch)
    db.session.flush()
    ctx.batch_id = result.batch_id = batch.id
    checker = _Checker(kind, table, hmap, ctx)
    try:
        _stream_rows(kind, table, hmap, ctx, result, checker, skip_invalid, progress)
    except _Refused:
        # a row refused its checks: as if every row had been checked before writing — nothing written, no
        # counts, only the rows' problems (a refusal by a service in an earlier chunk is not reported)
        db.session.rollback()
        result.errors = sorted(checker.errors, key=lambda e: (e["row"] or 0))
        result.rejected, result.batch_id = len(checker.bad), None
        return result
    except tabular.TableError as exc:     # the streamed file broke off (an unclosed quote, too many rows …)
        db.session.rollback()
        return ImportResult(errors=[_err(None, None, exc.message)], unknown_columns=result.unknown_columns)
    finally:
        table.more = None                 # closes a streamed file left unfinished
        del table.rows[KEEP_ROWS:]
        del table.line_numbers[KEEP_ROWS:]
    result.errors.extend(checker.errors)
    result.rejected += len(checker.bad)
    result.errors.sort(key=lambda e: (e["row"] or 0))
    if dry_run or (result.errors and not skip_invalid):
        db.session.rollback()
        if not dry_run:
            result.created = result.updated = result.unchanged = 0
        result.batch_id = None
        return result
    batch.total_rows = result.total_rows
    batch.created, batch.updated, batch.unchanged, batch.rejected = (
        result.created, result.updated, result.unchanged, result.rejected)
    result.written = True
    return result


def import_and_commit(kind_name: str, data: bytes | PathLike | None, filename: str, *, actor, params: dict | None = None,
                      dry_run: bool = False, skip_invalid: bool = False, attempts: int = ATTEMPTS,
                      upload: Upload | None = None, progress: Progress = _no_progress,
                      before_commit: Callable[[ImportResult], None] | None = None,
                      max_bytes: int = tabular.MAX_BYTES) -> ImportResult:
    """run_import, then commit when written (else roll back) — the unit of work of the CLI and the web.

    Another import committing the same credit codes at the same moment makes our flush or commit
    fail on a unique index, or (PostgreSQL) be chosen as a deadlock's victim or fail serialization;
    SQLite may stay locked by another writer beyond its busy timeout. The whole file is then rolled
    back and run again in a fresh transaction after a growing pause (the next run sees the other
    import's rows and updates them) — never a part of it. After `attempts` a clean refusal is returned.
    Rows are written in credit-code order (`_write_order`), so opposite orders in two files cannot
    deadlock in the first place.
    `before_commit(result)` runs inside the import's transaction just before its commit (a web
    job marks itself done there, so the rows and the job's state commit together); an exception
    from it rolls the whole import back.
    """
    for attempt in range(1, attempts + 1):
        try:
            result = run_import(kind_name, data, filename, actor=actor, params=params, dry_run=dry_run,
                                skip_invalid=skip_invalid, upload=_fresh(upload), progress=progress,
                                max_bytes=max_bytes)
            if result.written:
                if before_commit is not None:
                    before_commit(result)
                db.session.commit()
                if result.created + result.updated >= ANALYZE_AFTER:
                    refresh_statistics()
            else:
                db.session.rollback()
            return result
        except DBAPIError as exc:
            db.session.rollback()
            if not _retryable(exc):
                raise
            log.warning("import %s of %s collided with a concurrent write (attempt %d of %d): %s",
                        kind_name, filename, attempt, attempts, type(getattr(exc, "orig", exc)).__name__)
            if attempt < attempts:
                time.sleep(_pause(attempt))
    return ImportResult(errors=[_err(None, None, _("与同时进行的其他导入发生冲突，未写入任何数据，请稍后重试"))])


def _retryable(exc: DBAPIError) -> bool:
    """A collision with a concurrent write that a fresh run can get past: a unique index another
    transaction filled first, a deadlock or serialization failure, a SQLite lock held too long."""
    if isinstance(exc, IntegrityError):
        return True
    orig = getattr(exc, "orig", None)
    state = getattr(orig, "sqlstate", None) or getattr(orig, "pgcode", None)
    return state in _TRANSIENT_STATES or any(text in str(orig) for text in _SQLITE_TRANSIENT)


def _pause(attempt: int) -> float:
    """Seconds to wait after the failed `attempt`: doubling, with jitter so two losers do not meet again."""
    return BACKOFF * 2 ** (attempt - 1) * random.uniform(0.5, 1.5)


def _write_order(kind: ImportKind, parsed) -> tuple:
    """Sort key of a parsed row: the kind's own order, else its credit code (rows without one first)."""
    if kind.order is not None:
        return (kind.order(parsed),)
    code = getattr(parsed, "uscc", None)
    return (code is not None, str(code or ""))


def _fresh(upload: Upload | None) -> Upload | None:
    """A copy whose row list an attempt may consume (the rows themselves are shared, not copied)."""
    if upload is None or upload.table is None:
        return upload
    table = replace(upload.table, rows=list(upload.table.rows), line_numbers=list(upload.table.line_numbers))
    return replace(upload, table=table)


def error_report(result: ImportResult, kind_name: str, upload: Upload | None = None) -> bytes:
    """The uploaded rows plus an error column, with personal-data columns masked.

    The web passes the stashed ``upload`` (read once, at preview); without it the file the
    import read is read again (the import kept only its first rows)."""
    kind = _KINDS[kind_name]
    if upload is None and result.source is not None:
        upload = read_upload(kind, *result.source)
    table = upload.table if upload is not None else None
    if table is None:
        return tabular.error_report_xlsx(tabular.Table(headers=[], rows=[], line_numbers=[]), result.errors)
    table.rows = masked_rows(kind, upload.hmap, table.rows)
    return tabular.error_report_xlsx(table, result.errors)


def masked_rows(kind: ImportKind, hmap, rows: list[list[str]]) -> list[list[str]]:
    """The rows with the kind's personal-data columns masked — for previews and error reports."""
    positions = {i for k, i in hmap.index.items() if k in {c.key for c in kind.columns if c.sensitive}}
    if not positions:
        return rows
    return [[mask(v) if i in positions else v for i, v in enumerate(r)] for r in rows]


def mask(value: str) -> str:
    """Keep the first and last four characters of personal data."""
    value = value or ""
    return value if len(value) <= 8 else value[:4] + "*" * (len(value) - 8) + value[-4:]

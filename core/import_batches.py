"""Import batches: the record of each written import, and undo (every audited write of a batch reversed)."""
from datetime import date, datetime
from decimal import Decimal

from flask_babel import gettext as _
from sqlalchemy import JSON, DateTime, ForeignKey, Integer, String, inspect, select
from sqlalchemy.orm import Mapped, mapped_column

from core.audit import service as audit
from core.audit.models import AuditEntry
from core.db import Archivable, db, utcnow
from core.errors import ServiceError
from core.records import ENTITIES


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

"""Audit entries, chained by hash; a one-row head table serialises writers across workers."""
from datetime import datetime

from sqlalchemy import JSON, DateTime, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from core.db import db, utcnow


class AuditEntry(db.Model):
    __tablename__ = "core_audit_entries"
    id: Mapped[int] = mapped_column(primary_key=True)
    seq: Mapped[int] = mapped_column(Integer, unique=True)
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("core_users.id"), default=None)
    actor_name: Mapped[str] = mapped_column(String(64), default="system")
    action: Mapped[str] = mapped_column(String(64))
    entity_type: Mapped[str] = mapped_column(String(48), index=True)
    entity_id: Mapped[str] = mapped_column(String(64), index=True)
    entity_label: Mapped[str] = mapped_column(String(255), default="")
    record_version: Mapped[int | None] = mapped_column(Integer, default=None)
    batch_id: Mapped[int | None] = mapped_column(Integer, index=True, default=None)
    changes: Mapped[dict] = mapped_column(JSON, default=dict)
    prev_hash: Mapped[str] = mapped_column(String(64))
    hash: Mapped[str] = mapped_column(String(64))
    note: Mapped[str] = mapped_column(Text, default="")
    # which fields the hash covers: 1 = before entity_label was hashed (entries written before the column
    # existed), 2 = every stored field but the surrogate id (see service._hash_of)
    hash_version: Mapped[int] = mapped_column(Integer, default=2, server_default="1")


class AuditHead(db.Model):
    """One row: the last sequence number and hash. Updating it first takes the writer's lock."""

    __tablename__ = "core_audit_head"
    id: Mapped[int] = mapped_column(primary_key=True)
    seq: Mapped[int] = mapped_column(Integer, default=0)
    last_hash: Mapped[str] = mapped_column(String(64), default="0" * 64)

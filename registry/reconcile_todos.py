"""To-dos of applied reconciliations: list rows naming a firm that is neither in the registry nor given
with a valid credit code (registry.models.ReconcileTodo).

Applying a reconciliation records one to-do per such row, in the reconciliation's batch (undoing the
batch removes them). An editor of the pool later either enters the credit code — the firm is found,
or registered under the list's name (registry.firms.find_or_register_firm), and enters the pool on
the list's date with the list's name as reason, unless it is already a member then — or dismisses
the row with a note. Both are audited; only open to-dos change, and an edit based on an older
version is refused (core.records.check_version).
"""
from __future__ import annotations

from flask_babel import gettext as _
from sqlalchemy import func, select

from core.audit import service as audit
from core.db import db, utcnow
from core.errors import ServiceError
from core.records import check_version
from registry import service
from registry.models import Pool, ReconcileTodo

STATUSES = ("open", "resolved", "dismissed")


def record_todo(actor, *, pool: Pool, row: dict, list_name: str, as_of, batch_id: int | None) -> ReconcileTodo:
    """Keep one list row as an open to-do of `pool` (audited in the reconciliation's batch)."""
    todo = ReconcileTodo(pool_id=pool.id, import_batch_id=batch_id, list_name=list_name, as_of=as_of,
                         line=row["line"], name=(row.get("name") or "")[:255], raw=row.get("raw") or "",
                         code=(row.get("code") or "")[:64], status="open", note="")
    todo.pool = pool
    db.session.add(todo)
    audit.record(actor, "registry.reconcile_todo.create", todo, batch_id=batch_id)
    return todo


def todos(pool: Pool | None = None, status: str | None = "open", limit: int = 500) -> list[ReconcileTodo]:
    """To-dos (of one pool, in one status), newest list first."""
    stmt = select(ReconcileTodo)
    if pool is not None:
        stmt = stmt.where(ReconcileTodo.pool_id == pool.id)
    if status:
        stmt = stmt.where(ReconcileTodo.status == status)
    return list(db.session.scalars(stmt.order_by(ReconcileTodo.as_of.desc(), ReconcileTodo.id).limit(limit)))


def open_counts() -> dict[int, int]:
    """{pool id: open to-dos}."""
    stmt = (select(ReconcileTodo.pool_id, func.count()).where(ReconcileTodo.status == "open")
            .group_by(ReconcileTodo.pool_id))
    return dict(db.session.execute(stmt).tuples().all())


def _check_open(todo: ReconcileTodo, version) -> None:
    if version is not None:
        check_version(todo, version)
    if todo.status != "open":
        raise ServiceError(_("该待办已处理"))


def resolve_todo(actor, todo: ReconcileTodo, *, code: str, name: str | None = None, version=None) -> ReconcileTodo:
    """Enter the firm's credit code: the firm is found or registered (under `name`, default the list's
    name) and enters the pool on the list's date. ServiceError on field "code" for a bad code."""
    _check_open(todo, version)
    try:
        firm = service.find_or_register_firm(code, (name or "").strip() or todo.name, actor=actor)
    except ServiceError as exc:
        raise ServiceError(exc.message, field="code") from None
    if firm.merged_into_id:
        firm = service.find_firm(firm.uscc)
    db.session.flush()
    if service.current_membership(firm, todo.pool, todo.as_of) is None:
        service.enter_pool(actor, firm=firm, pool=todo.pool, entered_on=todo.as_of, reason=todo.list_name)
    todo.status, todo.firm_id, todo.firm = "resolved", firm.id, firm
    _closed(actor, todo, "resolve")
    return todo


def dismiss_todo(actor, todo: ReconcileTodo, *, note: str = "", version=None) -> ReconcileTodo:
    """Close the to-do without a firm (e.g. the firm is outside the district); the note says why."""
    _check_open(todo, version)
    note = (note or "").strip()
    if len(note) > 1000:
        raise ServiceError(_("说明不能超过 1000 个字"), field="note")
    todo.status, todo.note = "dismissed", note
    _closed(actor, todo, "dismiss")
    return todo


def _closed(actor, todo: ReconcileTodo, verb: str) -> None:
    todo.resolved_at, todo.resolved_by_id = utcnow(), getattr(actor, "id", None)
    audit.record(actor, f"registry.reconcile_todo.{verb}", todo)
    db.session.flush()

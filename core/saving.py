"""The one save path of the web pages: run a service call, commit, or roll back and tell the user.

    if form.validate_on_submit() and (saved := save(form, lambda: service.update_x(x, ...), record=x)):
        flash(_("已保存"), "success")
        return redirect(url_for("domain.x_detail", xid=saved.result.id))
    return render_template("domain/x_form.html", form=form, x=x)

`save` is for a form that is shown again when the save fails: a rule breach (`ServiceError`) lands on
the field it names (or above the form), a save based on an older version of `record` lists what the
other person changed (`stale_changes` in templates/_form.html, read from `g.stale_changes`), and a
write that collides with a concurrent one — the version counter's StaleDataError, a unique index hit
by a concurrent insert, a PostgreSQL serialization failure or deadlock, SQLite's lock timeout — gets
the same "changed meanwhile" message instead of a 500. Nothing is written unless everything is.

`act` is its sibling for POST actions that redirect instead of showing a form (archive, approve,
remove a member …): the same transaction handling, the failure flashed. No view writes try/except or
commit itself.
"""
import logging
from dataclasses import dataclass
from typing import Any, Callable

from flask import flash, g
from flask_babel import gettext as _
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm.exc import StaleDataError

from core.db import db
from core.errors import ServiceError, StaleRecordError, bind_service_error
from core.records import check_version

log = logging.getLogger(__name__)

# PostgreSQL: unique_violation, serialization_failure, deadlock_detected (SQLite: by its messages below)
_CONFLICT_STATES = frozenset({"23505", "40001", "40P01"})
_SQLITE_CONFLICTS = ("UNIQUE constraint failed", "database is locked")
_UNCHECKED = object()   # no version to compare (a new record, or a form without one)


@dataclass(frozen=True)
class Saved:
    """What `save`/`act` did: true when committed; `result` is the action's return value."""
    ok: bool
    result: Any = None

    def __bool__(self) -> bool:
        return self.ok


def save(form, action: Callable[[], Any], *, record=None) -> Saved:
    """Run `action()` and commit. With `record`, the form's `version` field must still be the record's.

    On failure the transaction is rolled back and the reason is put on `form`.
    """
    version = _form_version(form) if record is not None else _UNCHECKED
    try:
        return _commit(action, record, version)
    except ServiceError as exc:
        _show(form, exc)
    return Saved(False)


def act(action: Callable[[], Any]) -> Saved:
    """`save` for a POST action without a form to show again: a failure is flashed ("danger")."""
    try:
        return _commit(action, None, _UNCHECKED)
    except ServiceError as exc:
        flash(exc.message, "danger")
    return Saved(False)


def flash_errors(form) -> None:
    """Flash a posted form's validation errors (for forms posted from another page, which redirect back)."""
    for errors in form.errors.values():
        for error in errors:
            flash(error, "danger")


def _commit(action, record, version) -> Saved:
    """Run and commit, or roll back and raise ServiceError (StaleRecordError when `record` changed)."""
    try:
        if version is not _UNCHECKED:
            check_version(record, version)
        result = action()
        db.session.commit()
        return Saved(True, result)
    except ServiceError:
        db.session.rollback()
        raise
    except (StaleDataError, DBAPIError) as exc:
        db.session.rollback()
        if not _is_conflict(exc):
            raise
        log.warning("save collided with a concurrent write: %s", exc)
        if version is not _UNCHECKED:
            check_version(record, version)   # the record now reloaded: lists the other person's changes
        raise ServiceError(_("保存失败：该记录刚被他人修改或与已有记录冲突，请刷新页面后重试。")) from exc


def _is_conflict(exc) -> bool:
    """Another write got there first. Any other database error (a NOT NULL or foreign key breach …)
    is a bug and goes on to the error page and the log."""
    if isinstance(exc, StaleDataError):
        return True
    orig = getattr(exc, "orig", None)
    state = getattr(orig, "sqlstate", None) or getattr(orig, "pgcode", None)
    return state in _CONFLICT_STATES or any(text in str(orig) for text in _SQLITE_CONFLICTS)


def _form_version(form):
    field = getattr(form, "version", None)
    return field.data if field is not None else _UNCHECKED


def _show(form, exc: ServiceError) -> None:
    bind_service_error(form, exc)
    if isinstance(exc, StaleRecordError):
        g.stale_changes = exc.changes
        if getattr(form, "version", None) is not None and exc.current is not None:
            form.version.data = exc.current   # saving again overwrites knowingly, the changes listed

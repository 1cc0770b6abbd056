"""Service errors and the HTTP error pages (HTML in the user's language, JSON under /api/)."""
import logging

from flask import jsonify, render_template, request
from flask_babel import gettext as _
from werkzeug.exceptions import HTTPException

log = logging.getLogger(__name__)


class ServiceError(Exception):
    """A rule was broken. `field` names the form field or import column it belongs to."""

    def __init__(self, message: str, field: str | None = None, **params):
        super().__init__(message)
        self.message = message
        self.field = field
        self.params = params


class StaleRecordError(ServiceError):
    """The form was based on an older version of the record; `changes` lists what changed since,
    `current` is the record's version now."""

    def __init__(self, message: str, changes: list[dict], current: int | None = None):
        super().__init__(message, field=None)
        self.changes = changes
        self.current = current


def bind_service_error(form, exc: ServiceError) -> None:
    """Show a service rule breach on the form field it concerns (or as a form-level error)."""
    field = getattr(form, exc.field, None) if exc.field else None
    if field is not None:
        field.errors = list(field.errors) + [exc.message]
    else:
        form.form_errors.append(exc.message)


def _wants_json() -> bool:
    return request.path.startswith("/api/")


def _titles():
    return {
        400: _("请求有误"), 401: _("请先登录"), 403: _("没有权限"), 404: _("页面不存在"),
        405: _("不支持的请求方式"), 413: _("上传的文件太大"), 500: _("系统内部错误"),
    }


def handle_http(exc: HTTPException):
    code = exc.code or 500
    title = _titles().get(code, exc.name)
    if _wants_json():
        body = {"message": title, "code": code, "errors": getattr(exc, "data", {}).get("messages", {})
                if isinstance(getattr(exc, "data", None), dict) else {}}
        return jsonify(body), code
    return render_template("errors/error.html", code=code, title=title, description=exc.description), code


def handle_unexpected(exc: Exception):
    log.exception("unhandled error on %s %s", request.method, request.path)
    try:
        from core.db import db
        db.session.rollback()
    except Exception:  # pragma: no cover - rollback must not mask the error page
        log.exception("rollback failed")
    if _wants_json():
        return jsonify({"message": _("系统内部错误"), "code": 500, "errors": {}}), 500
    return render_template("errors/error.html", code=500, title=_("系统内部错误"), description=""), 500


def init_app(app) -> None:
    app.register_error_handler(HTTPException, handle_http)
    app.register_error_handler(Exception, handle_unexpected)


class CodedError(ValueError):
    """A value that cannot be used: ``code`` a stable key (for an English message), ``message`` the
    Chinese text (also ``str(exc)``), ``params`` extra details. Parsers of codes and amounts raise it."""

    def __init__(self, code: str, message: str, **params):
        super().__init__(message)
        self.code = code
        self.message = message
        self.params = params

    def __str__(self) -> str:
        return self.message

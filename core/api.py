"""The JSON API base: one flask-smorest `Api` per app under /api/v1, its error envelope and helpers.

Every domain's `<domain>/api.py` defines `blp = Blueprint(...)` (`core.api.Blueprint`, url_prefix
"/api/v1/...") and core.app calls `register_blueprint(app, blp)` for it. Rules kept here:
- one JSON error envelope for every error: `{"message": str, "code": int, "errors": {field: [msg]}}`
  (422 validation errors and ServiceError map onto fields; a stale version gives 409 + "changes");
- bearer tokens (core loads the user from `Authorization: Bearer …`); API blueprints are exempt
  from the form CSRF check, except for writes made with a browser session cookie;
- the OpenAPI document at /api/v1/openapi.json (signed-in users), with the bearer scheme and the
  credit code as a declared string format "uscc".
Views use the same `@requires("<domain>.<action>")` as pages, placed right under `@blp.route`
(above `@blp.arguments`) so anonymous and unauthorised callers get 401/403 before any parsing.
"""
from __future__ import annotations

import math
from datetime import date, datetime
from decimal import Decimal

import marshmallow as ma
from flask import abort, current_app, g, jsonify, request
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_smorest import Api as _SmorestApi
from flask_smorest import Blueprint as _SmorestBlueprint
from sqlalchemy import func, select
from sqlalchemy.exc import DataError, IntegrityError
from sqlalchemy.orm.exc import StaleDataError
from werkzeug.exceptions import HTTPException

from core import text as unsafe_text
from core.db import db
from core.errors import ServiceError, StaleRecordError
from core.permissions import get_in_scope_or_404, requires

EXTENSION_KEY = "yz-api"
USCC_PATTERN = r"^[0-9A-HJ-NPQRTUWXY]{18}$"
MAX_PER_PAGE = 200

CONFIG_DEFAULTS = {
    "API_TITLE": "鄞州区企业库与孵化管理 API",
    "API_VERSION": "v1",
    "OPENAPI_VERSION": "3.0.3",
    "OPENAPI_URL_PREFIX": "/api/v1",
    "OPENAPI_JSON_PATH": "openapi.json",
    "API_SPEC_OPTIONS": {
        "security": [{"bearerAuth": []}],
        "info": {"description": "Authorization: Bearer TOKEN (flask --app wsgi users token NAME). "
                                "Errors: {message, code, errors: {field: [messages]}}. Money in 万元."},
    },
}


# --------------------------------------------------------------------------- schemas and fields

class ErrorSchema(ma.Schema):
    """The one error envelope (documentation; the handlers build it)."""

    message = ma.fields.String(required=True)
    code = ma.fields.Integer(required=True)
    errors = ma.fields.Dict(keys=ma.fields.String(), values=ma.fields.List(ma.fields.String()),
                            required=True)
    changes = ma.fields.List(ma.fields.Dict(), metadata={"description": "409 only: what changed since"})


class USCCField(ma.fields.String):
    """统一社会信用代码, declared as string format "uscc". `check(raw) -> normalised code` raises
    ValueError (its `.message` or str) for a bad code; core knows no rule itself (registry does)."""

    def __init__(self, *, check=None, **kwargs):
        metadata = {"pattern": USCC_PATTERN, "example": "91330212MA2AGXXU1Q", **kwargs.pop("metadata", {})}
        super().__init__(metadata=metadata, **kwargs)
        self.check = check

    def _deserialize(self, value, attr, data, **kwargs):
        text = super()._deserialize(value, attr, data, **kwargs)
        if self.check is None:
            return text
        try:
            return self.check(text)
        except ValueError as exc:
            raise ma.ValidationError(getattr(exc, "message", None) or str(exc)) from None


class Text(ma.fields.String):
    """A string without lone surrogates (UTF-8 refuses them) or the characters core.text refuses (control
    characters, direction overrides, zero-width characters; tab and line breaks only with ``multiline``,
    for notes and other free text), stripped. The API has nowhere to show a warning, so it refuses."""

    def __init__(self, *args, multiline: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        self.multiline = multiline

    def _deserialize(self, value, attr, data, **kwargs):
        text = super()._deserialize(value, attr, data, **kwargs)
        if any("\ud800" <= c <= "\udfff" for c in text):
            raise ma.ValidationError(_("含有无效字符"))
        stripped = text.strip()
        message = (unsafe_text.problem(stripped, multiline=self.multiline)
                   or unsafe_text.problem(text, multiline=True))     # also at the ends strip() cut off
        if message:
            raise ma.ValidationError(message)
        return stripped


def Day(**kwargs):  # noqa: N802 - a field factory
    """A date (YYYY-MM-DD) between 1949-01-01 and 2100-12-31: nothing older is on record."""
    return ma.fields.Date(validate=ma.validate.Range(min=date(1949, 1, 1), max=date(2100, 12, 31),
                                                     error=_l("日期应在 1949-01-01 至 2100-12-31 之间")),
                          **kwargs)


MAX_ID = 2**31 - 1


def get_or_404(model, ident: int, perm: str):
    """`get_in_scope_or_404` that also answers 404 for ids no database column can hold."""
    if not 0 < ident <= MAX_ID:
        abort(404)
    return get_in_scope_or_404(model, ident, perm)


def Amount(*, minimum=0, maximum, exclusive_minimum: bool = False, exclusive_maximum: bool = True,
           **kwargs):  # noqa: N802 - a field factory
    """An exact decimal input (money in 万元, areas) within bounds, documented as a number."""
    def check(value):
        low_ok = value > minimum if exclusive_minimum else value >= minimum
        high_ok = value < maximum if exclusive_maximum else value <= maximum
        if not (low_ok and high_ok):
            raise ma.ValidationError(_("数值应在 %(lo)s 至 %(hi)s 之间", lo=minimum, hi=maximum))

    bounds = {"minimum": minimum, "maximum": maximum}
    if exclusive_minimum:
        bounds["exclusiveMinimum"] = True
    if exclusive_maximum:
        bounds["exclusiveMaximum"] = True
    return ma.fields.Decimal(validate=check, metadata={**bounds, **kwargs.pop("metadata", {})}, **kwargs)


def Ranged(rng, **kwargs):  # noqa: N802 - a field factory
    """A number within a `core.ranges.Range` (inclusive bounds, the service's message): the schema
    and the service answer alike."""
    def check(value):
        if not rng.low <= value <= rng.high:
            raise ma.ValidationError(rng.message())

    field = ma.fields.Integer if rng.whole else ma.fields.Decimal
    bounds = {"minimum": rng.low, "maximum": rng.high}
    return field(validate=check, metadata={**bounds, **kwargs.pop("metadata", {})}, **kwargs)


class Number(ma.fields.Float):
    """A Decimal column dumped as a JSON number (money in 万元, areas); None stays null."""

    def _serialize(self, value, attr, obj, **kwargs):
        if value is None:
            return None
        return float(value) if isinstance(value, Decimal) else super()._serialize(value, attr, obj, **kwargs)


class PageArgs(ma.Schema):
    page = ma.fields.Integer(load_default=1, validate=ma.validate.Range(min=1, max=100000))
    per_page = ma.fields.Integer(load_default=50, validate=ma.validate.Range(min=1, max=MAX_PER_PAGE))


def page_schema(item_schema: type[ma.Schema], name: str) -> type[ma.Schema]:
    """The list envelope `{items, total, page, per_page}` around `item_schema`."""
    return type(name, (ma.Schema,), {
        "items": ma.fields.List(ma.fields.Nested(item_schema), required=True),
        "total": ma.fields.Integer(required=True),
        "page": ma.fields.Integer(required=True),
        "per_page": ma.fields.Integer(required=True),
    })


def paginate(stmt, page: int, per_page: int, *, scalars: bool = True) -> tuple[dict, dict]:
    """One page of `stmt` (already ordered) → (envelope body, headers with X-Total-Count)."""
    total = db.session.scalar(select(func.count()).select_from(stmt.order_by(None).subquery())) or 0
    rows = db.session.execute(stmt.limit(per_page).offset((page - 1) * per_page))
    items = list(rows.scalars() if scalars else rows)
    body = {"items": items, "total": total, "page": page, "per_page": per_page}
    return body, {"X-Total-Count": str(total)}


def plain(value):
    """A value made JSON-safe for free-form records (dates ISO, Decimals as numbers)."""
    if isinstance(value, (date, datetime)):
        return value.isoformat()
    if isinstance(value, Decimal):
        return float(value) if value.is_finite() else None
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, dict):
        return {str(k): plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple, set, frozenset)):
        return [plain(v) for v in value]
    return value


# --------------------------------------------------------------------------- the Api per app

class Api(_SmorestApi):
    """flask-smorest's Api without its app-wide HTTPException handler: core.errors keeps the HTML
    pages, and the API blueprints carry their own JSON handlers (see `_install`)."""

    ERROR_SCHEMA = ErrorSchema

    def _register_error_handlers(self):
        return None


class Blueprint(_SmorestBlueprint):
    """A smorest Blueprint; `register_blueprint` adds the API error handlers before first use."""


def api_for(app) -> Api:
    """The app's Api, created on first use (a fresh app per test gets a fresh Api)."""
    api = app.extensions.get(EXTENSION_KEY)
    if api is None:
        for key, value in CONFIG_DEFAULTS.items():
            app.config.setdefault(key, value)
        api = Api(app)
        api.spec.components.security_scheme("bearerAuth", {"type": "http", "scheme": "bearer",
                                                           "description": "flask --app wsgi users token NAME"})
        api.register_field(USCCField, "string", "uscc")
        api.register_field(Number, "number", None)
        _protect_docs(app)
        app.extensions[EXTENSION_KEY] = api
    return api


def _protect_docs(app) -> None:
    """The OpenAPI document is for signed-in users (anonymous: 401 JSON), like every other page."""
    for endpoint, view in list(app.view_functions.items()):
        if endpoint.startswith("api-docs.") and not hasattr(view, "required_permission"):
            app.view_functions[endpoint] = requires("api.view")(view)


def register_blueprint(app, blp) -> None:
    """Register a domain's API blueprint on `app`'s Api (created on the first call)."""
    if blp.name in app.blueprints:
        raise ValueError(f"API blueprint name clash: {blp.name!r} is already registered")
    _install(blp)
    from core.extensions import csrf
    csrf.exempt(blp)
    api_for(app).register_blueprint(blp)


def _install(blp) -> None:
    """Error handlers and the session-CSRF check, added once (Flask forbids changes after the
    blueprint's first registration; it is reused by every app built in one process)."""
    if getattr(blp, "_yz_installed", False):
        return
    blp.register_error_handler(StaleRecordError, _stale)
    blp.register_error_handler(ServiceError, _service_error)
    blp.register_error_handler(StaleDataError, _concurrent_change)
    blp.register_error_handler(IntegrityError, _conflict)
    blp.register_error_handler(DataError, _bad_value)
    blp.register_error_handler(OverflowError, _bad_value)
    blp.register_error_handler(HTTPException, _http_error)
    blp.before_request(_session_writes_need_csrf)
    blp._yz_installed = True


def _session_writes_need_csrf():
    """A write signed in by browser cookie (not a bearer token) still needs the CSRF token."""
    if request.method in ("GET", "HEAD", "OPTIONS") or not current_app.config.get("WTF_CSRF_ENABLED", True):
        return None
    # loading the user (first touch of current_user) is what marks a bearer request
    if not current_user.is_authenticated or g.get("login_via_bearer"):
        return None
    from core.extensions import csrf
    csrf.protect()
    return None


# --------------------------------------------------------------------------- the error envelope

_FIELD_MESSAGES = {
    "Missing data for required field.": lambda: _("必填项"),
    "Unknown field.": lambda: _("未知字段"),
    "Field may not be null.": lambda: _("不能为空"),
    "Not a valid date.": lambda: _("日期格式应为 YYYY-MM-DD"),
    "Not a valid integer.": lambda: _("应为整数"),
    "Not a valid number.": lambda: _("应为数字"),
    "Not a valid string.": lambda: _("应为文本"),
    "Not a valid boolean.": lambda: _("应为 true 或 false"),
    "Invalid input type.": lambda: _("输入类型有误"),
}


def envelope(code: int, message: str, errors: dict | None = None, **extra):
    body = {"message": message, "code": code, "errors": errors or {}, **extra}
    return jsonify(body), code


def flatten_errors(messages) -> dict[str, list[str]]:
    """webargs/marshmallow messages ({"json": {"uscc": ["…"]}}, nested) → {"uscc": ["…"]}."""
    out: dict[str, list[str]] = {}

    def walk(node, path):
        if isinstance(node, dict):
            for key, sub in node.items():
                walk(sub, path + [str(key)])
        elif isinstance(node, (list, tuple)):
            for item in node:
                walk(item, path)
        else:
            key = ".".join(path) or "_schema"
            text = str(node)
            out.setdefault(key, []).append(_FIELD_MESSAGES[text]() if text in _FIELD_MESSAGES else text)

    locations = ("json", "query", "querystring", "form", "path", "view_args", "headers", "files")
    if isinstance(messages, dict):
        for loc, sub in messages.items():
            walk(sub, [] if loc in locations else [str(loc)])
    elif messages:
        walk(messages, [])
    return out


def _titles() -> dict[int, str]:
    return {400: _("请求有误"), 401: _("请先登录"), 403: _("没有权限"), 404: _("记录不存在"),
            405: _("不支持的请求方式"), 409: _("与现有记录冲突"), 413: _("上传的文件太大"),
            415: _("请以 JSON 格式提交"), 422: _("输入有误，请检查各字段"), 500: _("系统内部错误")}


def _http_error(exc: HTTPException):
    code = exc.code or 500
    data = getattr(exc, "data", None) or {}
    errors = flatten_errors(data.get("messages") or data.get("errors") or {})
    message = data.get("message") if isinstance(data.get("message"), str) else None
    if code >= 400 and code != 422:
        db.session.rollback()
    return envelope(code, message or _titles().get(code, exc.name), errors)


def _service_error(exc: ServiceError):
    db.session.rollback()
    return envelope(422, exc.message, {exc.field: [exc.message]} if exc.field else {})


def _stale(exc: StaleRecordError):
    db.session.rollback()
    return envelope(409, exc.message, {"version": [exc.message]}, changes=plain(exc.changes))


def _concurrent_change(_exc):
    db.session.rollback()
    message = _("保存失败：该记录刚被他人修改，请重新读取后再试")
    return envelope(409, message, {"version": [message]})


def _bad_value(_exc):
    """Last line of defence: a value the database refuses (schemas should have caught it)."""
    db.session.rollback()
    return envelope(422, _("输入的值超出允许范围"))


def _conflict(_exc):
    db.session.rollback()
    return envelope(409, _("与现有记录冲突（可能刚被他人同时登记），请刷新后重试"))


# --------------------------------------------------------------------------- small view helpers

def actor():
    """The signed-in user (services take the actor explicitly)."""
    return current_user._get_current_object()


def commit() -> None:
    """One commit per request, at the boundary."""
    db.session.commit()

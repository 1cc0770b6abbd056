"""Reconciliation API (/api/v1/reconcile): an official list against a pool, as the CLI does it.

`POST /api/v1/reconcile` takes JSON `{"pool", "as_of", "list_name", "names": [...], "apply",
"decisions", "exits"}` or multipart/form-data (`pool`, `as_of`, `list_name`, `apply`, and `file`
(xlsx/CSV) or `pasted` text) and answers the CLI's summary `{matched, new, missing, conflicting,
uncertain, duplicates, pool, as_of, list_name, rows}`. Nothing is written unless `apply` is true;
then the certain rows are applied in one audited batch (undone like an import) — an uncertain row
only with the caller's explicit decision for its line (`decisions`, JSON only, as on the review
page), else it is reported as skipped; pool members exit only when their membership id is in
`exits`. The to-dos left by applied lists: `GET /api/v1/reconcile/todos`, `POST …/{id}/resolve`
(with the credit code) and `…/{id}/dismiss`.
"""
from __future__ import annotations

import marshmallow as ma
from flask import request
from flask_babel import gettext as _
from flask_smorest import abort

from core.api import Day, MAX_ID, Text, actor, commit, flatten_errors, get_or_404, plain
from core.permissions import can, requires
from registry import reconcile_todos
from registry.api import Uscc, _pool, blp
from registry.models import ReconcileTodo
from registry.reconcile import MAX_ROWS, ListError, read_list, read_names, reconcile
from registry.reconcile_apply import apply_reconciliation

DECISION_RE = r"^(confirm|new|skip|firm:\d{1,10}|code:[0-9A-Za-z]{18})$"


class ReconcileArgs(ma.Schema):
    pool = ma.fields.String(required=True, validate=ma.validate.Length(min=1, max=48),
                            metadata={"description": "pool key, e.g. high_growth"})
    as_of = Day(required=True, metadata={"description": "the list's date: entries and exits are dated with it"})
    list_name = Text(load_default="", validate=ma.validate.Length(max=100),
                     metadata={"description": "the list's name (the entries' reason); default: the file name"})
    apply = ma.fields.Boolean(load_default=False, metadata={"description": "write the result (default: dry run)"})


class ReconcileJson(ReconcileArgs):
    names = ma.fields.List(Text(validate=ma.validate.Length(max=500)), required=True,
                           metadata={"description": f"one cell per firm: a name, optionally with its credit code "
                                                    f"(at most {MAX_ROWS:,})"})
    decisions = ma.fields.Dict(keys=ma.fields.String(validate=ma.validate.Regexp(r"^\d{1,6}$")),
                               values=ma.fields.String(validate=ma.validate.Regexp(DECISION_RE)), load_default=dict,
                               metadata={"description": "per list line: confirm | firm:<id> | code:<USCC> | new | "
                                                        "skip — applied only with apply"})
    exits = ma.fields.List(ma.fields.Integer(validate=ma.validate.Range(min=1, max=MAX_ID)), load_default=list,
                           validate=ma.validate.Length(max=MAX_ROWS),
                           metadata={"description": "membership ids of the missing group to exit on as_of"})


class ReconcileForm(ReconcileArgs):
    file = ma.fields.Raw(metadata={"type": "string", "format": "binary", "description": "xlsx or CSV list"})
    pasted = ma.fields.String(metadata={"description": "or names, one a line"})


class ReconcileResult(ma.Schema):
    matched = ma.fields.Integer()
    new = ma.fields.Integer()
    missing = ma.fields.Integer()
    conflicting = ma.fields.Integer()
    uncertain = ma.fields.Integer()
    duplicates = ma.fields.Integer()
    pool = ma.fields.String()
    as_of = ma.fields.String()
    list_name = ma.fields.String()
    rows = ma.fields.List(ma.fields.Dict(), metadata={"description": "every list row, then the missing members"})
    applied = ma.fields.Dict(metadata={"description": "with apply: batch_id, entered, created, exited, skipped, todo"})


@blp.route("/reconcile", methods=["POST"])
@requires("registry.edit")
@blp.doc(requestBody={"required": True, "content": {"application/json": {"schema": ReconcileJson},
                                                    "multipart/form-data": {"schema": ReconcileForm}}})
@blp.response(200, ReconcileResult)
def reconcile_list(*_args):
    """Reconcile an official list against a pool: the four groups; with `apply`, write the certain rows."""
    data, rows, filename = _read_request()
    pool = _pool(data["pool"])
    if pool is None or pool.archived_at is not None:
        message = _("未知或已停用的培育库：%(key)s", key=data["pool"])
        abort(422, message=message, errors={"pool": [message]})
    if not can("registry.edit", pool):
        abort(403)
    rec = reconcile(pool, rows, data["as_of"], data["list_name"] or filename or _("API 名单"))
    out = rec.summary()
    if data["apply"]:
        done = apply_reconciliation(actor(), rec, decisions=data.get("decisions") or {}, exits=data.get("exits", ()),
                                    filename=filename or "api", strict=False)
        commit()
        out["applied"] = done.as_dict()
    return plain(out)


def _read_request():
    """(arguments, list rows, file name) from a JSON or multipart body; 415/422 with the reason."""
    if request.mimetype == "application/json":
        body = request.get_json(silent=True)
        data = _load(ReconcileJson(), body if isinstance(body, dict) else None)
        return data, _rows(lambda: read_names(data["names"]), "names"), ""
    if request.mimetype != "multipart/form-data":
        abort(415, message=_("请以 JSON 或 multipart/form-data 格式提交"))
    data = _load(ReconcileArgs(), {k: v for k, v in request.form.items() if k in ReconcileArgs._declared_fields})
    upload = request.files.get("file")
    filename = (upload.filename or "list.csv") if upload else ""
    if upload:
        return data, _rows(lambda: read_list(upload.read(), filename), "file"), filename
    return data, _rows(lambda: read_list(pasted=request.form.get("pasted", "")), "pasted"), ""


def _load(schema: ma.Schema, body):
    if body is None:
        abort(422, message=_("请求体应为 JSON 对象"))
    try:
        data = schema.load(body)
    except ma.ValidationError as exc:
        abort(422, message=_("输入有误，请检查各字段"), errors=flatten_errors(exc.messages))
    if "decisions" in data:
        data["decisions"] = {int(k): v for k, v in data["decisions"].items()}
    return data


def _rows(read, field: str):
    try:
        return read()
    except ListError as exc:
        abort(422, message=exc.message, errors={field: [exc.message]})


# --------------------------------------------------------------------------- to-dos

class TodoSchema(ma.Schema):
    id = ma.fields.Integer()
    pool = ma.fields.Function(lambda t: t.pool.key)
    list_name = ma.fields.String()
    as_of = ma.fields.Date()
    line = ma.fields.Integer()
    name = ma.fields.String()
    raw = ma.fields.String()
    code = ma.fields.String()
    status = ma.fields.String(metadata={"enum": list(reconcile_todos.STATUSES)})
    firm_id = ma.fields.Integer(allow_none=True)
    note = ma.fields.String()
    version = ma.fields.Integer()


class TodoArgs(ma.Schema):
    pool = ma.fields.String(validate=ma.validate.Length(max=48))
    status = ma.fields.String(load_default="open", validate=ma.validate.OneOf(reconcile_todos.STATUSES))


class ResolveSchema(ma.Schema):
    uscc = Uscc(required=True)
    name = Text(validate=ma.validate.Length(max=255), metadata={"description": "default: the name on the list"})
    version = ma.fields.Integer(validate=ma.validate.Range(min=0, max=MAX_ID))


class DismissSchema(ma.Schema):
    note = Text(load_default="", validate=ma.validate.Length(max=1000))
    version = ma.fields.Integer(validate=ma.validate.Range(min=0, max=MAX_ID))


@blp.route("/reconcile/todos")
@requires("registry.edit")
@blp.arguments(TodoArgs, location="query")
@blp.response(200, TodoSchema(many=True))
def todo_list(args):
    """To-dos left by applied lists (rows without a firm or a valid credit code), open by default."""
    pool = None
    if args.get("pool"):
        pool = _pool(args["pool"])
        if pool is None:
            abort(404, message=_("培育库不存在"))
    return reconcile_todos.todos(pool, args["status"])


@blp.route("/reconcile/todos/<int:todo_id>/resolve", methods=["POST"])
@requires("registry.edit")
@blp.arguments(ResolveSchema)
@blp.response(200, TodoSchema)
def todo_resolve(data, todo_id):
    """Enter the firm's credit code: found or registered, it enters the pool on the list's date."""
    todo = get_or_404(ReconcileTodo, todo_id, "registry.edit")
    reconcile_todos.resolve_todo(actor(), todo, code=data["uscc"], name=data.get("name"), version=data.get("version"))
    commit()
    return todo


@blp.route("/reconcile/todos/<int:todo_id>/dismiss", methods=["POST"])
@requires("registry.edit")
@blp.arguments(DismissSchema)
@blp.response(200, TodoSchema)
def todo_dismiss(data, todo_id):
    """Close a to-do without a firm; the note says why."""
    todo = get_or_404(ReconcileTodo, todo_id, "registry.edit")
    reconcile_todos.dismiss_todo(actor(), todo, note=data["note"], version=data.get("version"))
    commit()
    return todo


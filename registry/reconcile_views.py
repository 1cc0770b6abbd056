"""Pages to reconcile an official list against a pool: upload or paste → review and decide → apply.

The list's rows (parsed once) and the result shown are kept in a per-user stash between the steps;
apply matches the rows again against the registry as it is then, with the user's decisions.
"""
import json
import secrets
import time
from datetime import date
from pathlib import Path

from flask import abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from core.forms import FlaskForm, NameListField
from flask_wtf.file import FileField
from wtforms import DateField, SelectField, StringField
from wtforms.validators import DataRequired, Length

from core.db import db
from core.exports import xlsx_download
from core.imports import ImportBatch, undo_batch
from core.saving import act
from core.permissions import get_in_scope_or_404, requires
from registry import service
from registry.models import Pool
from registry.reconcile import GROUPS, ListError, ListRow, read_list, reconcile
from registry.towns import BATCH_KIND as TOWN_BATCH
from registry.reconcile_todos import open_counts
from registry.reconcile_apply import BATCH_KIND, METHOD_LABELS, apply_reconciliation, batches, workbook
from registry.views import bp

SHOWN = 300          # rows of a settled group listed on the page (the workbook has them all)
STASH_HOURS = 24


class ReconcileForm(FlaskForm):
    pool_id = SelectField(_l("培育库"), coerce=int, validators=[DataRequired()])
    as_of = DateField(_l("名单日期"), validators=[DataRequired(message=_l("请填写名单日期"))])
    list_name = StringField(_l("名单名称"), validators=[DataRequired(message=_l("请填写名单名称")), Length(max=100)],
                            description=_l("用作入库理由，例如“2026年宁波市高成长企业名单”"))
    file = FileField(_l("名单文件（xlsx 或 CSV）"))
    pasted = NameListField(_l("或粘贴企业名称（每行一个，可带信用代码）"), render_kw={"rows": 8})


class ActionForm(FlaskForm):
    pass


def _stash_dir() -> Path:
    path = Path(current_app.config["INSTANCE_PATH"]) / "uploads" / "reconcile"
    path.mkdir(parents=True, exist_ok=True)
    cutoff = time.time() - STASH_HOURS * 3600
    for old in path.iterdir():
        if old.stat().st_mtime < cutoff:
            old.unlink(missing_ok=True)
    return path


def _save(state: dict) -> str:
    token = f"{current_user.id}-{secrets.token_hex(12)}"
    (_stash_dir() / f"{token}.json").write_text(json.dumps(state, ensure_ascii=False, default=str), encoding="utf-8")
    return token


def _load(token: str) -> dict:
    if not token.startswith(f"{current_user.id}-") or not token.replace("-", "").isalnum():
        abort(404)
    path = _stash_dir() / f"{token}.json"
    if not path.exists():
        abort(404)
    return json.loads(path.read_text(encoding="utf-8"))


def _rerun(state: dict):
    pool = get_in_scope_or_404(Pool, state["pool_id"], "registry.edit")
    rows = [ListRow(**r) for r in state["rows"]]
    return reconcile(pool, rows, date.fromisoformat(state["as_of"]), state["list_name"])


@bp.route("/reconcile", methods=["GET", "POST"])
@requires("registry.edit")
def reconcile_upload():
    form = ReconcileForm()
    form.pool_id.choices = [(p.id, p.name_zh) for p in service.active_pools()]
    if request.method == "GET" and request.args.get("pool", type=int):
        form.pool_id.data = request.args.get("pool", type=int)
    if form.validate_on_submit():
        pool = get_in_scope_or_404(Pool, form.pool_id.data, "registry.edit")
        upload = form.file.data
        try:
            rows = read_list(upload.read() if upload else None, Path(upload.filename).name if upload else "",
                             form.pasted.data or "")
        except ListError as exc:
            form.form_errors.append(exc.message)
        else:
            rec = reconcile(pool, rows, form.as_of.data, form.list_name.data.strip())
            token = _save({"pool_id": pool.id, "as_of": form.as_of.data.isoformat(), "list_name": rec.list_name,
                           "filename": Path(upload.filename).name if upload else "",
                           "rows": [vars(r) for r in rows], "result": rec.summary()})
            return redirect(url_for("registry.reconcile_review", token=token))
    status = 400 if request.method == "POST" else 200
    return render_template("registry/reconcile_upload.html", form=form, batches=batches(),
                           undo_form=ActionForm(), open_todos=sum(open_counts().values())), status


@bp.route("/reconcile/<token>", methods=["GET"])
@requires("registry.edit")
def reconcile_review(token):
    state = _load(token)
    pool = get_in_scope_or_404(Pool, state["pool_id"], "registry.edit")
    result = state["result"]
    rows = {g: [r for r in result["rows"] if r["group"] == g] for g in GROUPS}
    return render_template("registry/reconcile_review.html", token=token, state=state, pool=pool, result=result,
                           groups=rows, shown=SHOWN, methods=METHOD_LABELS, form=ActionForm())


def _decisions(form) -> dict:
    out = {}
    for key, value in form.items():
        if key.startswith("d-") and key[2:].isdigit():
            out[int(key[2:])] = value
    for key, value in form.items():
        if key.startswith("c-") and key[2:].isdigit() and value.strip():
            out[int(key[2:])] = "code:" + value.strip()
    return out


@bp.route("/reconcile/<token>/apply", methods=["POST"])
@requires("registry.edit")
def reconcile_apply(token):
    state = _load(token)
    if not ActionForm().validate_on_submit():
        abort(400)
    rec = _rerun(state)
    decisions = _decisions(request.form)
    saved = act(lambda: apply_reconciliation(current_user, rec, decisions=decisions, filename=state["filename"],
                                             exits=request.form.getlist("exit", type=int)))
    if not saved:
        return redirect(url_for("registry.reconcile_review", token=token))
    done = saved.result
    flash(_("已应用名单核对（批次 #%(id)s）：入库 %(e)s，新登记企业 %(c)s，出库 %(x)s，跳过 %(s)s，待补信用代码 %(t)s。",
            id=done.batch_id, e=done.entered, c=done.created, x=done.exited, s=len(done.skipped),
            t=len(done.todo)), "success")
    for item in done.todo[:20]:
        flash(_("待办：第 %(line)s 行“%(name)s”不在企业库中且没有有效的信用代码，未登记", line=item["line"],
                name=item["name"]), "warning")
    if done.todo:
        return redirect(url_for("registry.reconcile_todo_list", pool=rec.pool.id))
    return redirect(url_for("registry.reconcile_upload"))


@bp.route("/reconcile/<token>/export.xlsx", methods=["GET"])
@requires("registry.edit")
def reconcile_export(token):
    state = _load(token)
    rec = _rerun(state)
    db.session.rollback()
    name = f"名单核对-{rec.pool.key}-{rec.as_of.isoformat()}.xlsx"
    return xlsx_download(workbook(rec), name)


#: Registry batches written outside the importer, and the page that lists each kind.
UNDO_PAGES = {BATCH_KIND: "registry.reconcile_upload", TOWN_BATCH: "registry.town_missing"}


@bp.route("/batches/<int:batch_id>/undo", methods=["POST"])
@requires("registry.edit")
def batch_undo(batch_id):
    """Undo a reconciliation or a town fill (core.imports.undo_batch: refused when changed since)."""
    batch = db.session.get(ImportBatch, batch_id)
    if batch is None or batch.kind not in UNDO_PAGES:
        abort(404)
    if not ActionForm().validate_on_submit():
        abort(400)
    if saved := act(lambda: undo_batch(batch, current_user)):
        flash(_("已撤销批次 #%(id)s（%(n)s 条记录）", id=batch_id, n=saved.result), "success")
    return redirect(url_for(UNDO_PAGES[batch.kind]))


"""Web upload for every import kind: upload → preview with all errors → commit; batches and undo."""
from io import BytesIO
from pathlib import Path

from flask import (abort, current_app, flash, redirect, render_template, request, send_file,
                   url_for)
from flask_babel import gettext as _
from flask_login import current_user
from core.forms import FlaskForm
from flask_wtf.file import FileField, FileRequired
from sqlalchemy import select
from wtforms import BooleanField, HiddenField

from core import import_stash, imports
from core.db import db
from core.permissions import requires
from core.saving import act
from core.views import bp

PREVIEW_ROWS = 20
ALLOWED = (".xlsx", ".csv", ".txt")


class UploadForm(FlaskForm):
    file = FileField(validators=[FileRequired()])
    skip_invalid = BooleanField()


class CommitForm(FlaskForm):
    token = HiddenField()
    skip_invalid = HiddenField()


def _kind_or_404(kind: str) -> imports.ImportKind:
    found = imports.kinds().get(kind)
    if found is None:
        abort(404)
    return found


def _upload_dir() -> Path:
    path = Path(current_app.config["INSTANCE_PATH"]) / "uploads" / "imports"
    path.mkdir(parents=True, exist_ok=True)
    return path


def _unstash(token: str) -> import_stash.Stash:
    stash = import_stash.load(_upload_dir(), current_user.id, token)
    if stash is None:
        abort(404)
    return stash


def _params(kind, source) -> dict:
    """The kind's declared parameters from the upload form (fields generated from the declaration)."""
    return {p.name: (source.get(p.name) or "").strip() for p in kind.params}


def _page(spec, form, status=200, **context):
    return render_template("core/import_upload.html", kind=spec, form=form, param_label=imports.param_label,
                           **{"result": None, **context}), status


@bp.route("/imports/<kind>", methods=["GET"])
@requires("{domain}.import")
def import_upload(kind):
    return _page(_kind_or_404(kind), UploadForm())


@bp.route("/imports/<kind>/preview", methods=["POST"])
@requires("{domain}.import")
def import_preview(kind):
    spec = _kind_or_404(kind)
    form = UploadForm()
    if not form.validate_on_submit():
        return _page(spec, form, 400)
    upload = form.file.data
    filename = Path(upload.filename or "upload").name
    if not filename.lower().endswith(ALLOWED):
        form.file.errors.append(_("只支持 .xlsx 和 .csv 文件"))
        return _page(spec, form, 400)
    params = _params(spec, request.form)
    read = imports.read_upload(spec, upload.read(), filename)     # the one time the file is read
    token = import_stash.save(_upload_dir(), current_user.id, read, params)
    preview = _preview(spec, read)
    result = imports.run_import(kind, None, filename, actor=current_user, params=params, dry_run=True,
                                skip_invalid=form.skip_invalid.data, upload=read)
    db.session.rollback()
    import_stash.keep_errors(_upload_dir(), token, result.errors)
    return _page(spec, form, result=result, preview=preview, token=token, filename=filename, params=params,
                 skip_invalid=form.skip_invalid.data,
                 commit_form=CommitForm(token=token, skip_invalid="1" if form.skip_invalid.data else ""))


def _preview(spec, upload):
    """The first PREVIEW_ROWS rows as read, personal data masked."""
    table = upload.table
    if table is None:
        return None
    rows = imports.masked_rows(spec, upload.hmap, table.rows[:PREVIEW_ROWS])
    return {"headers": table.headers, "rows": list(zip(table.line_numbers[:PREVIEW_ROWS], rows))}


@bp.route("/imports/<kind>/commit", methods=["POST"])
@requires("{domain}.import")
def import_commit(kind):
    _kind_or_404(kind)
    form = CommitForm()
    if not form.validate_on_submit():
        abort(400)
    stash = _unstash(form.token.data)
    result = imports.import_and_commit(kind, None, stash.upload.filename, actor=current_user, params=stash.params,
                                       skip_invalid=bool(form.skip_invalid.data), upload=stash.upload)
    if not result.written:
        flash(_("导入未执行：文件中有 %(n)s 处错误，未写入任何数据。", n=len(result.errors)), "danger")
        return redirect(url_for("core.import_upload", kind=kind))
    import_stash.discard(_upload_dir(), form.token.data)
    flash(_("导入完成：新增 %(c)s，更新 %(u)s，未变 %(s)s，拒绝 %(r)s。", c=result.created, u=result.updated,
            s=result.unchanged, r=result.rejected), "success")
    return redirect(url_for("core.import_batches", kind=kind))


@bp.route("/imports/<kind>/errors/<token>.xlsx", methods=["GET"])
@requires("{domain}.import")
def import_errors(kind, token):
    _kind_or_404(kind)
    stash = _unstash(token)
    report = imports.error_report(imports.ImportResult(errors=stash.errors), kind, stash.upload)
    return send_file(BytesIO(report), as_attachment=True,
                     download_name=f"{Path(stash.upload.filename).stem}-错误报告.xlsx",
                     mimetype="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")


@bp.route("/imports/batches/<kind>", methods=["GET"])
@requires("{domain}.view")
def import_batches(kind):
    spec = _kind_or_404(kind)
    batches = db.session.scalars(select(imports.ImportBatch).where(imports.ImportBatch.kind == kind)
                                 .order_by(imports.ImportBatch.id.desc()).limit(200)).all()
    return render_template("core/import_batches.html", kind=spec, batches=batches, form=CommitForm())


@bp.route("/imports/batches/<kind>/<int:batch_id>/undo", methods=["POST"])
@requires("{domain}.import")
def import_undo(kind, batch_id):
    _kind_or_404(kind)
    batch = db.session.get(imports.ImportBatch, batch_id)
    if batch is None or batch.kind != kind:
        abort(404)
    if not CommitForm().validate_on_submit():
        abort(400)
    if saved := act(lambda: imports.undo_batch(batch, current_user)):
        flash(_("已撤销导入批次 #%(id)s（%(n)s 条记录）", id=batch_id, n=saved.result), "success")
    return redirect(url_for("core.import_batches", kind=kind))

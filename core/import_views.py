"""Web upload for every import kind: upload → preview with all errors → commit; batches and undo."""
import secrets
from pathlib import Path

from flask import (abort, current_app, flash, redirect, render_template, request, send_file,
                   url_for)
from flask_babel import gettext as _
from flask_login import current_user
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from sqlalchemy import select
from wtforms import BooleanField, HiddenField, StringField
from wtforms.validators import Length, Optional

from core import imports
from core.db import db
from core.permissions import requires
from core.saving import act
from core.views import bp

PREVIEW_ROWS = 20
ALLOWED = (".xlsx", ".csv", ".txt")


class UploadForm(FlaskForm):
    file = FileField(validators=[FileRequired()])
    skip_invalid = BooleanField()
    pool = StringField(validators=[Optional(), Length(max=48)])
    year = StringField(validators=[Optional(), Length(max=4)])


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


STASH_HOURS = 24


def _sweep() -> None:
    """Uploaded files may hold personal data: never keep them longer than STASH_HOURS."""
    import time
    cutoff = time.time() - STASH_HOURS * 3600
    for path in _upload_dir().iterdir():
        if path.stat().st_mtime < cutoff:
            path.unlink(missing_ok=True)


def _discard(token: str) -> None:
    for path in (_upload_dir() / token, _upload_dir() / f"{token}.name"):
        path.unlink(missing_ok=True)


def _stash(data: bytes, filename: str) -> str:
    """Keep the uploaded bytes between preview and commit; the token binds them to this user."""
    _sweep()
    token = f"{current_user.id}-{secrets.token_hex(12)}"
    (_upload_dir() / token).write_bytes(data)
    (_upload_dir() / f"{token}.name").write_text(filename, encoding="utf-8")
    return token


def _unstash(token: str) -> tuple[bytes, str]:
    if not token or not token.startswith(f"{current_user.id}-") or "/" in token or ".." in token:
        abort(404)
    path = _upload_dir() / token
    if not path.exists():
        abort(404)
    return path.read_bytes(), (_upload_dir() / f"{token}.name").read_text(encoding="utf-8")


def _params(kind, source) -> dict:
    return {name: (source.get(name) or "").strip() for name in kind.params}


@bp.route("/imports/<kind>", methods=["GET"])
@requires("{domain}.import")
def import_upload(kind):
    spec = _kind_or_404(kind)
    return render_template("core/import_upload.html", kind=spec, form=UploadForm(), result=None)


@bp.route("/imports/<kind>/preview", methods=["POST"])
@requires("{domain}.import")
def import_preview(kind):
    spec = _kind_or_404(kind)
    form = UploadForm()
    if not form.validate_on_submit():
        return render_template("core/import_upload.html", kind=spec, form=form, result=None), 400
    upload = form.file.data
    filename = Path(upload.filename or "upload").name
    if not filename.lower().endswith(ALLOWED):
        form.file.errors.append(_("只支持 .xlsx 和 .csv 文件"))
        return render_template("core/import_upload.html", kind=spec, form=form, result=None), 400
    data = upload.read()
    params = _params(spec, request.form)
    result = imports.run_import(kind, data, filename, actor=current_user, params=params,
                                dry_run=True, skip_invalid=form.skip_invalid.data)
    db.session.rollback()
    token = _stash(data, filename)
    return render_template("core/import_upload.html", kind=spec, form=form, result=result,
                           preview=_preview(spec, result), token=token, filename=filename,
                           params=params, skip_invalid=form.skip_invalid.data,
                           commit_form=CommitForm(token=token, skip_invalid="1" if form.skip_invalid.data else ""))


def _preview(spec, result):
    table = result.table
    if table is None:
        return None
    sensitive = {c.key for c in spec.columns if getattr(c, "sensitive", False)}
    from core.tabular import map_headers
    idx = {i for k, i in map_headers(table.headers, spec.columns).index.items() if k in sensitive}
    rows = [(line, [imports.mask(v) if i in idx else v for i, v in enumerate(row)])
            for line, row in zip(table.line_numbers[:PREVIEW_ROWS], table.rows[:PREVIEW_ROWS])]
    return {"headers": table.headers, "rows": rows}


@bp.route("/imports/<kind>/commit", methods=["POST"])
@requires("{domain}.import")
def import_commit(kind):
    spec = _kind_or_404(kind)
    form = CommitForm()
    if not form.validate_on_submit():
        abort(400)
    data, filename = _unstash(form.token.data)
    params = _params(spec, request.form)
    result = imports.import_and_commit(kind, data, filename, actor=current_user, params=params,
                                       skip_invalid=bool(form.skip_invalid.data))
    if not result.written:
        flash(_("导入未执行：文件中有 %(n)s 处错误，未写入任何数据。", n=len(result.errors)), "danger")
        return redirect(url_for("core.import_upload", kind=kind))
    _discard(form.token.data)
    flash(_("导入完成：新增 %(c)s，更新 %(u)s，未变 %(s)s，拒绝 %(r)s。", c=result.created, u=result.updated,
            s=result.unchanged, r=result.rejected), "success")
    return redirect(url_for("core.import_batches", kind=kind))


@bp.route("/imports/<kind>/errors/<token>.xlsx", methods=["GET"])
@requires("{domain}.import")
def import_errors(kind, token):
    _kind_or_404(kind)
    data, filename = _unstash(token)
    params = _params(imports.kinds()[kind], request.args)
    result = imports.run_import(kind, data, filename, actor=current_user, params=params, dry_run=True)
    db.session.rollback()
    from io import BytesIO
    return send_file(BytesIO(imports.error_report(result, kind)), as_attachment=True,
                     download_name=f"{Path(filename).stem}-错误报告.xlsx",
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

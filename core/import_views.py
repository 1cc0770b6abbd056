"""Web upload for every import kind: upload → preview job → commit job, each off the request; batches and undo.

The requests only keep the file and queue a job (core.import_jobs); the job's page shows its progress
(rows read / validated / written) and then its result, and stays reachable from "my imports".
"""
from pathlib import Path

from flask import (abort, flash, jsonify, redirect, render_template, request, send_file,
                   url_for)
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_login import current_user
from core.forms import FlaskForm
from flask_wtf.file import FileField, FileRequired
from sqlalchemy import select
from wtforms import BooleanField, HiddenField

from core import import_jobs, import_runner, import_stash, imports
from core.db import db
from core.exports import XLSX_MIME
from core.permissions import requires
from core.saving import act
from core.views import bp

ALLOWED = (".xlsx", ".csv", ".txt")


class UploadForm(FlaskForm):
    file = FileField(validators=[FileRequired()])
    skip_invalid = BooleanField()


class CommitForm(FlaskForm):
    token = HiddenField()


def _kind_or_404(kind: str) -> imports.ImportKind:
    found = imports.kinds().get(kind)
    if found is None:
        abort(404)
    return found


def _params(kind, source) -> dict:
    """The kind's declared parameters from the upload form (fields generated from the declaration)."""
    return {p.name: (source.get(p.name) or "").strip() for p in kind.params}


def _page(spec, form, status=200, **context):
    return render_template("core/import_upload.html", kind=spec, form=form, param_label=imports.param_label,
                           **context), status


def _locale() -> str:
    return str(get_locale() or "zh")


@bp.route("/imports/<kind>", methods=["GET"])
@requires("{domain}.import")
def import_upload(kind):
    return _page(_kind_or_404(kind), UploadForm())


@bp.route("/imports/<kind>/preview", methods=["POST"])
@requires("{domain}.import")
def import_preview(kind):
    """Keep the file (0600) and queue its preview; the job's page follows its progress."""
    spec = _kind_or_404(kind)
    form = UploadForm()
    if not form.validate_on_submit():
        return _page(spec, form, 400)
    upload = form.file.data
    filename = Path(upload.filename or "upload").name
    if not filename.lower().endswith(ALLOWED):
        form.file.errors.append(_("只支持 .xlsx 和 .csv 文件"))
        return _page(spec, form, 400)
    folder = import_jobs.upload_dir()
    import_stash.sweep(folder)
    token = import_stash.new_token(current_user.id)
    import_stash.keep_upload(folder, token, upload.stream)
    job = import_jobs.queue_preview(owner=current_user, kind=kind, filename=filename, token=token,
                                    params=_params(spec, request.form), skip_invalid=form.skip_invalid.data,
                                    locale=_locale())
    return _started(job)


def _started(job):
    db.session.commit()
    import_runner.start(job)
    return redirect(url_for("core.import_job", kind=job.kind, job_id=job.id), 303)


@bp.route("/imports/<kind>/commit", methods=["POST"])
@requires("{domain}.import")
def import_commit(kind):
    """Queue the write of a previewed file (once: a second click shows the same job)."""
    _kind_or_404(kind)
    form = CommitForm()
    if not form.validate_on_submit():
        abort(400)
    preview = import_jobs.preview_for(current_user, kind, form.token.data or "")
    if preview is None:
        abort(404)
    if not preview.result.get("can_commit"):
        flash(_("导入未执行：文件中有 %(n)s 处错误，未写入任何数据。", n=preview.result.get("errors", 0)), "danger")
        return redirect(url_for("core.import_job", kind=kind, job_id=preview.id))
    return _started(import_jobs.queue_commit(preview, _locale()))


def _job_or_404(kind: str, job_id: int) -> import_jobs.ImportJob:
    _kind_or_404(kind)
    job = import_jobs.owned(job_id, current_user, kind)
    if job is None:
        abort(404)
    return job


@bp.route("/imports/<kind>/jobs/<int:job_id>", methods=["GET"])
@requires("{domain}.import")
def import_job(kind, job_id):
    """A job's progress while it runs; its result (preview or written) afterwards."""
    job = _job_or_404(kind, job_id)
    folder = import_jobs.upload_dir()
    view = import_stash.load_view(folder, job.token) if job.state == "done" else None
    preview = job if job.action == "preview" else db.session.get(import_jobs.ImportJob, job.preview_id)
    return render_template(
        "core/import_job.html", kind=_kind_or_404(kind), job=job, status=import_jobs.status(job), view=view,
        result=job.result or {}, labels=import_jobs, commit=import_jobs.commit_of(job) if job.action == "preview" else None,
        preview=preview, report=import_stash.report_path(folder, job.token) is not None,
        kept=import_stash.kept(folder, job.token), commit_form=CommitForm(token=job.token))


@bp.route("/imports/<kind>/jobs/<int:job_id>/status", methods=["GET"])
@requires("{domain}.import")
def import_job_status(kind, job_id):
    """The progress as JSON (import_runner.polled_status)."""
    return jsonify(import_runner.polled_status(_job_or_404(kind, job_id)))


@bp.route("/imports/jobs", methods=["GET"])
@requires("account.self")
def import_jobs_mine():
    """My imports: every preview and write I started, newest first, with its state."""
    return render_template("core/import_jobs.html", jobs=import_jobs.recent_for(current_user, 100),
                           kinds=imports.kinds(), labels=import_jobs)


@bp.route("/imports/<kind>/errors/<token>.xlsx", methods=["GET"])
@requires("{domain}.import")
def import_errors(kind, token):
    _kind_or_404(kind)
    if not import_stash.valid_token(current_user.id, token):
        abort(404)
    path = import_stash.report_path(import_jobs.upload_dir(), token)
    if path is None:
        abort(404)
    job = db.session.scalars(select(import_jobs.ImportJob).where(import_jobs.ImportJob.token == token)).first()
    name = Path(job.filename if job else "import").stem
    return send_file(path, as_attachment=True, download_name=f"{name}-错误报告.xlsx",
                     mimetype=XLSX_MIME)


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

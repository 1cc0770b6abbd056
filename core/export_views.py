"""Pages of the long exports run as jobs (core.export_jobs): progress, then the file to download.

Only the user who started an export, or an admin of its domain, sees its page and downloads its file;
the routes also need `<domain>.export`, the permission of the list's own export. Another user gets 404.
"""
from flask import abort, jsonify, redirect, render_template, send_file, url_for
from flask_login import current_user

from core import export_jobs, import_jobs, import_runner
from core.exports import XLSX_MIME
from core.permissions import can, requires
from core.views import bp


def _job_or_404(export: str, job_id: int):
    kind = export_jobs.kinds().get(export)
    job = export_jobs.get(job_id, export) if kind is not None else None
    if job is None or (job.owner_id != current_user.id and not can(f"{kind.domain}.admin")):
        abort(404)
    return kind, job


def _page(kind, job, status=200, expired=False):
    back = url_for(kind.list_endpoint, **job.params) if kind.list_endpoint else None
    return render_template("core/export_job.html", kind=kind, job=job, status=import_jobs.status(job),
                           labels=import_jobs, kept=export_jobs.kept_file(job) is not None, expired=expired,
                           keep_hours=export_jobs.KEEP_HOURS, back=back), status


@bp.route("/exports/<export>/jobs/<int:job_id>", methods=["GET"])
@requires("{domain}.export")
def export_job(export, job_id):
    """An export's progress (rows written of the total) while it runs; its file once done."""
    return _page(*_job_or_404(export, job_id))


@bp.route("/exports/<export>/jobs/<int:job_id>/status", methods=["GET"])
@requires("{domain}.export")
def export_job_status(export, job_id):
    """The progress as JSON (polled by static/js/import_job.js, as an import's)."""
    _kind, job = _job_or_404(export, job_id)
    return jsonify(import_runner.polled_status(job))


@bp.route("/exports/<export>/jobs/<int:job_id>/download", methods=["GET"])
@requires("{domain}.export")
def export_download(export, job_id):
    """The finished export's file; its page with a message when it is not ready or no longer kept."""
    kind, job = _job_or_404(export, job_id)
    if job.state != "done":
        return redirect(url_for("core.export_job", export=export, job_id=job_id), 303)
    path = export_jobs.kept_file(job)
    if path is None:
        return _page(kind, job, 410, expired=True)
    return send_file(path, as_attachment=True, mimetype=XLSX_MIME, download_name=job.filename, max_age=0)

"""Long exports run as jobs, on the import jobs' machinery (core.import_jobs, core.import_runner).

An export job is an `ImportJob` row with action "export": its `kind` names an `ExportKind` a domain
declares (`Domain.export_kinds`), its `params` are the list's filters, its `token` names the file. The
same runners claim it (compare-and-set, heartbeats, takeover), the same progress page script polls it:
the rows are counted first (rows_total), then written (rows_written) by `core.tabular.xlsx_stream` in
constant memory into the instance's job folder (mode 0600), then the job is done and the file waits
for its owner (or an admin) to download it. The half-hourly sweep (core.import_sweep) removes it after
KEEP_HOURS, like every other file of that folder.

Which exports are jobs: those whose filter selects more than EXPORT_DIRECT_MAX_ROWS rows (app config);
smaller ones are written during the request as before, which takes well under a second.
"""
from __future__ import annotations

import os
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any, Callable, Iterable

from flask import url_for
from sqlalchemy import select

from core import dates, import_jobs, import_stash
from core.db import db
from core.import_jobs import ImportJob

ACTION = "export"
KEEP_HOURS = import_stash.STASH_HOURS
PROGRESS_EVERY = 200          # rows between two progress reports (the tracker writes at most twice a second)


@dataclass(frozen=True)
class ExportKind:
    """One long export: its rows and how to count them, from the filter arguments the job keeps."""

    name: str                                            # URL part: /exports/<name>/jobs/<id>
    domain: str                                          # permissions: <domain>.export, admins <domain>.admin
    label_zh: str
    label_en: str
    filename: str                                        # download name: <filename>-<date>.xlsx
    sheet: str
    headers: tuple[str, ...]
    count: Callable[[dict, date], int]                   # fn(params, today) -> rows the export will hold
    rows: Callable[[dict, date], Iterable[tuple]]        # fn(params, today) -> the rows, in order
    column_types: dict[int, str] = field(default_factory=dict)
    list_endpoint: str = ""                              # the list the export came from (params as its query)

    def label(self, lang: str) -> str:
        return self.label_en if lang == "en" else self.label_zh


_KINDS: dict[str, ExportKind] = {}


def register_kind(kind: ExportKind) -> None:
    _KINDS[kind.name] = kind


def kinds() -> dict[str, ExportKind]:
    return dict(_KINDS)


def export_domain(view_args: dict) -> str | None:
    """The domain owning the `export` URL argument's kind (for a `{domain}` permission)."""
    kind = _KINDS.get(view_args.get("export", ""))
    return kind.domain if kind else None


# --- queueing and finding -------------------------------------------------------------------------

def queue(*, owner, kind: ExportKind, params: dict, locale: str) -> ImportJob:
    """An export job for `params` (plain strings: the list's filter). The caller commits and starts it."""
    job = ImportJob(owner_id=owner.id, kind=kind.name, action=ACTION, token=import_stash.new_token(owner.id),
                    filename=f"{kind.filename}-{dates.today().isoformat()}.xlsx",
                    params={str(k): str(v) for k, v in params.items()}, locale=locale)
    db.session.add(job)
    db.session.flush()
    return job


def get(job_id: int, kind: str) -> ImportJob | None:
    job = db.session.get(ImportJob, job_id)
    return job if job is not None and job.action == ACTION and job.kind == kind else None


def recent_for(user, limit: int = 5) -> list[ImportJob]:
    """The user's latest export jobs, newest first (the home page's "my exports")."""
    return list(db.session.scalars(select(ImportJob).where(ImportJob.owner_id == user.id, ImportJob.action == ACTION)
                                   .order_by(ImportJob.id.desc()).limit(limit)))


def job_url(job: ImportJob) -> str:
    return url_for("core.export_job", export=job.kind, job_id=job.id)


def percent(job: ImportJob) -> int:
    status = import_jobs.status(job)
    if job.state == "done":
        return 100
    return min(100, round(status["written"] * 100 / status["total"])) if status["total"] else 0


# --- the file -------------------------------------------------------------------------------------

def file_path(job: ImportJob) -> Path:
    return import_jobs.upload_dir() / f"{job.token}.export.xlsx"


def kept_file(job: ImportJob) -> Path | None:
    """The finished export's file, None once swept (or never written)."""
    path = file_path(job)
    return path if job.state == "done" and path.is_file() else None


def write(job: ImportJob, kind: ExportKind, attempt: int, today: date, progress: Callable[[int], None]) -> int:
    """Write the export (0600) under a name of this attempt, then move it in place; returns the rows written.
    A failed write leaves no file behind."""
    from core.tabular.xlsx_stream import write_xlsx_file
    final = file_path(job)
    tmp = final.with_name(f"{final.name}.{attempt}.tmp")
    os.close(os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600))
    try:
        count = write_xlsx_file(str(tmp), kind.headers, _counted(kind.rows(job.params, today), progress),
                                sheet_name=kind.sheet, column_types=kind.column_types)
        os.chmod(tmp, 0o600)
        os.replace(tmp, final)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    return count


def _counted(rows: Iterable[Any], progress: Callable[[int], None]):
    n = 0
    for n, row in enumerate(rows, start=1):
        yield row
        if n % PROGRESS_EVERY == 0:
            progress(n)
    progress(n)

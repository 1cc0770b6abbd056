"""An uploaded file kept between preview and commit: read once, stored with its header map and errors.

The upload request keeps the file as it came (`keep_upload`, mode 0600) for the preview job, which
reads it into an `imports.Upload` and stashes that (as JSON, mode 0600, under the instance folder)
with the import's parameters; the preview's errors are added once it has run, with a small view
(the first rows, the first errors) for the pages and the error report as xlsx. Commit and the
error report take everything from the stash — the file is never parsed again and its headers never
mapped again. A token binds the stash to the user who uploaded it; every file of a token is removed
after STASH_HOURS by the scheduler's sweep (core.import_jobs), and on the next upload.
"""
from __future__ import annotations

import json
import os
import secrets
import shutil
import time
from dataclasses import dataclass, field
from pathlib import Path

from core import tabular
from core.imports import Upload

STASH_HOURS = 24


@dataclass
class Stash:
    upload: Upload
    params: dict
    errors: list = field(default_factory=list)


def _private(path: Path, mode: str = "w"):
    """A file only this system account may read (0600), written under a temporary name."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    return os.fdopen(fd, mode, **({} if "b" in mode else {"encoding": "utf-8"}))


def _write(path: Path, payload: dict) -> None:
    tmp = path.with_name(path.name + ".tmp")
    with _private(tmp) as fh:
        json.dump(payload, fh, ensure_ascii=False)
    os.replace(tmp, path)


def sweep(folder: Path, hours: float = STASH_HOURS) -> int:
    """Uploaded files may hold personal data: never keep them longer than `hours`. Returns how many
    files were removed."""
    cutoff = time.time() - hours * 3600
    removed = 0
    for path in folder.iterdir():
        try:
            if path.is_file() and path.stat().st_mtime < cutoff:
                path.unlink(missing_ok=True)
                removed += 1
        except FileNotFoundError:       # another process swept it meanwhile
            continue
    return removed


def new_token(user_id) -> str:
    return f"{user_id}-{secrets.token_hex(12)}"


def valid_token(user_id, token: str) -> bool:
    return bool(token) and token.startswith(f"{user_id}-") and token.replace("-", "").isalnum()


def keep_upload(folder: Path, token: str, stream) -> int:
    """The uploaded file as it came, for the preview job (0600). Returns its size in bytes."""
    tmp = folder / f"{token}.upload.tmp"
    with _private(tmp, "wb") as fh:
        shutil.copyfileobj(stream, fh, 1024 * 1024)
    os.replace(tmp, folder / f"{token}.upload")
    return (folder / f"{token}.upload").stat().st_size


def upload_path(folder: Path, token: str) -> Path:
    return folder / f"{token}.upload"


def save(folder: Path, user_id, upload: Upload, params: dict, token: str | None = None) -> str:
    """Stash a read upload (every row) and its parameters; returns the token.

    JSON lines: the header (file name, parameters, header map …), then one line per row. One
    json.dumps per row, not one for the whole file: encoding a 250,000-row file in one C call held
    Python's interpreter lock for seconds, and every request of the web process waited (measured:
    progress polls of 10 s).
    """
    if token is None:
        sweep(folder)
        token = new_token(user_id)
    table, hmap = upload.table, upload.hmap
    head = {"filename": upload.filename, "params": params, "read_errors": upload.errors, "errors": []}
    if table is not None:
        head["table"] = {"headers": table.headers, "header_line": table.header_line,
                         "file_format": table.file_format, "rows": len(table.rows),
                         "oversized": {str(k): v for k, v in table.oversized.items()}}
        head["hmap"] = {"index": hmap.index, "unknown": hmap.unknown, "missing": hmap.missing,
                        "duplicates": hmap.duplicates}
    rows = zip(table.line_numbers, table.rows) if table is not None else ()
    _write_lines(folder / f"{token}.json", head, (json.dumps(r, ensure_ascii=False) for r in rows))
    return token


def _write_lines(path: Path, head: dict, lines) -> None:
    tmp = path.with_name(path.name + ".tmp")
    with _private(tmp) as fh:
        fh.write(json.dumps(head, ensure_ascii=False) + "\n")
        for line in lines:
            fh.write(line + "\n")
    os.replace(tmp, path)


def kept(folder: Path, token: str) -> bool:
    """True while the stash of `token` is there (a preview can still be committed)."""
    return (folder / f"{token}.json").is_file()


def keep_errors(folder: Path, token: str, errors: list[dict]) -> None:
    """Add the preview's errors to the stash (the error report shows them as they were found)."""
    path = folder / f"{token}.json"
    with path.open(encoding="utf-8") as fh:
        head = json.loads(fh.readline())
        head["errors"] = errors
        _write_lines(path, head, (line.rstrip("\n") for line in fh))


def keep_view(folder: Path, token: str, view: dict) -> None:
    """A small summary the pages show (first rows masked, first errors): read without the stash."""
    _write(folder / f"{token}.view.json", view)


def load_view(folder: Path, token: str) -> dict | None:
    path = folder / f"{token}.view.json"
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return None


def keep_report(folder: Path, token: str, report: bytes) -> None:
    tmp = folder / f"{token}.errors.tmp"
    with _private(tmp, "wb") as fh:
        fh.write(report)
    os.replace(tmp, folder / f"{token}.errors.xlsx")


def report_path(folder: Path, token: str) -> Path | None:
    path = folder / f"{token}.errors.xlsx"
    return path if path.is_file() else None


def load(folder: Path, user_id, token: str) -> Stash | None:
    """The stash behind ``token`` if it belongs to ``user_id`` and still exists, else None."""
    if not valid_token(user_id, token):
        return None
    path = folder / f"{token}.json"
    if not path.is_file():
        return None
    with path.open(encoding="utf-8") as fh:
        payload = json.loads(fh.readline())
        line_numbers, rows = [], []
        for text in fh:               # one row a line (see save)
            line, row = json.loads(text)
            line_numbers.append(line)
            rows.append(row)
    table = hmap = None
    if "table" in payload:
        t = payload["table"]
        table = tabular.Table(t["headers"], rows, line_numbers, header_line=t["header_line"],
                              file_format=t["file_format"],
                              oversized={int(k): v for k, v in t["oversized"].items()})
        hmap = tabular.HeaderMap(**payload["hmap"])
    upload = Upload(payload["filename"], table, hmap, payload["read_errors"])
    return Stash(upload, payload["params"], payload["errors"])


def discard(folder: Path, token: str) -> None:
    """Every file kept for `token` (upload, stash, view, error report)."""
    for suffix in (".json", ".upload", ".view.json", ".errors.xlsx"):
        (folder / f"{token}{suffix}").unlink(missing_ok=True)

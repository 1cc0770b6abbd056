"""An uploaded file kept between preview and commit: read once, stored with its header map and errors.

The preview reads the file into an `imports.Upload` and stashes it (as JSON, mode 0600, under the
instance folder) with the import's parameters; the preview's errors are added once it has run.
Commit and the error report take everything from the stash — the file is never parsed again and
its headers never mapped again. A token binds the stash to the user who uploaded it; stashes are
removed after STASH_HOURS.
"""
from __future__ import annotations

import json
import os
import secrets
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


def _write(path: Path, payload: dict) -> None:
    tmp = path.with_suffix(".tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        json.dump(payload, fh, ensure_ascii=False)
    os.replace(tmp, path)


def sweep(folder: Path) -> None:
    """Uploaded files may hold personal data: never keep them longer than STASH_HOURS."""
    cutoff = time.time() - STASH_HOURS * 3600
    for path in folder.iterdir():
        if path.stat().st_mtime < cutoff:
            path.unlink(missing_ok=True)


def save(folder: Path, user_id, upload: Upload, params: dict) -> str:
    """Stash a read upload (every row) and its parameters; returns the token."""
    sweep(folder)
    token = f"{user_id}-{secrets.token_hex(12)}"
    table, hmap = upload.table, upload.hmap
    payload = {"filename": upload.filename, "params": params, "read_errors": upload.errors, "errors": []}
    if table is not None:
        payload["table"] = {"headers": table.headers, "rows": table.rows, "line_numbers": table.line_numbers,
                            "header_line": table.header_line, "file_format": table.file_format,
                            "oversized": {str(k): v for k, v in table.oversized.items()}}
        payload["hmap"] = {"index": hmap.index, "unknown": hmap.unknown, "missing": hmap.missing,
                           "duplicates": hmap.duplicates}
    _write(folder / f"{token}.json", payload)
    return token


def keep_errors(folder: Path, token: str, errors: list[dict]) -> None:
    """Add the preview's errors to the stash (the error report shows them as they were found)."""
    path = folder / f"{token}.json"
    payload = json.loads(path.read_text(encoding="utf-8"))
    payload["errors"] = errors
    _write(path, payload)


def load(folder: Path, user_id, token: str) -> Stash | None:
    """The stash behind ``token`` if it belongs to ``user_id`` and still exists, else None."""
    if not token or not token.startswith(f"{user_id}-") or not token.replace("-", "").isalnum():
        return None
    path = folder / f"{token}.json"
    if not path.is_file():
        return None
    payload = json.loads(path.read_text(encoding="utf-8"))
    table = hmap = None
    if "table" in payload:
        t = payload["table"]
        table = tabular.Table(t["headers"], t["rows"], t["line_numbers"], header_line=t["header_line"],
                              file_format=t["file_format"],
                              oversized={int(k): v for k, v in t["oversized"].items()})
        hmap = tabular.HeaderMap(**payload["hmap"])
    upload = Upload(payload["filename"], table, hmap, payload["read_errors"])
    return Stash(upload, payload["params"], payload["errors"])


def discard(folder: Path, token: str) -> None:
    (folder / f"{token}.json").unlink(missing_ok=True)

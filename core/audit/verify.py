"""Verify the audit chain, and anchor its head outside the database.

The chain proves that no entry was changed or taken out of the middle; the head row proves that the
table still ends where the last writer left it; an anchor (count and last hash, appended to a file
outside the database by `flask --app wsgi audit anchor` and the nightly job) proves that nobody cut
entries off the end and rewound the head to match.
"""
import json
import os
import tempfile
from datetime import datetime, timezone
from pathlib import Path
from typing import NamedTuple

from flask import current_app
from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from core.audit.models import AuditEntry, AuditHead
from core.audit.service import GENESIS, HASH_VERSION, _entry_hash
from core.db import db

REASONS = {
    "missing": _l("序号不连续（有记录被删除）"),
    "link": _l("与上一条记录的链接不符"),
    "hash": _l("记录内容被改动（哈希不符）"),
    "version": _l("旧版哈希出现在新版之后"),
    "head": _l("链头记录的条数或哈希与日志表不符"),
    "anchor": _l("与外部锚点记录的哈希不符"),
    "truncated": _l("外部锚点记录的条目已不存在（日志末尾被截断）"),
}


class Anchor(NamedTuple):
    seq: int
    hash: str
    at: str = ""


class AnchorFileError(ValueError):
    """The anchor file cannot be read (missing, or a line that is not an anchor)."""


def verify_chain(anchors: tuple[Anchor, ...] | list[Anchor] = ()) -> tuple[int, AuditEntry | None, str]:
    """Walk the chain in order and check the head and the anchors.

    Returns (entries checked, first broken entry or None, reason); reason "" when all holds, else a
    key of REASONS.
    """
    pinned = {a.seq: a.hash for a in anchors}
    prev, count, expected_seq, newest_version = GENESIS, 0, 1, 1
    for entry in db.session.scalars(select(AuditEntry).order_by(AuditEntry.seq)).yield_per(2000):
        reason = _entry_problem(entry, prev, expected_seq, newest_version, pinned)
        if reason:
            return count, entry, reason
        newest_version = max(newest_version, entry.hash_version or 1)
        prev, expected_seq, count = entry.hash, entry.seq + 1, count + 1
    if not _head_matches(count, prev):
        return count, None, "head"
    if any(seq > count for seq in pinned):
        return count, None, "truncated"
    return count, None, ""


def _entry_problem(entry: AuditEntry, prev: str, expected_seq: int, newest_version: int, pinned: dict) -> str:
    if entry.seq != expected_seq:
        return "missing"
    if entry.prev_hash != prev:
        return "link"
    if (entry.hash_version or 1) < newest_version:
        return "version"     # a downgrade to the scheme that does not hash every field
    if _entry_hash(entry) != entry.hash:
        return "hash"
    if entry.seq in pinned and pinned[entry.seq] != entry.hash:
        return "anchor"
    return ""


def _head_matches(count: int, last_hash: str) -> bool:
    """The head row says how many entries there are and which was last: the table must agree."""
    head = db.session.get(AuditHead, 1)
    if head is None:
        return count == 0
    return head.seq == count and head.last_hash == last_hash


def current_anchor() -> Anchor:
    """Sequence number (= count, in an intact chain) and hash of the table's last entry."""
    last = db.session.scalars(select(AuditEntry).order_by(AuditEntry.seq.desc()).limit(1)).first()
    now = datetime.now(timezone.utc).isoformat(timespec="seconds")
    return Anchor(last.seq, last.hash, now) if last is not None else Anchor(0, GENESIS, now)


def default_anchor_file() -> Path:
    configured = current_app.config.get("AUDIT_ANCHOR_FILE")
    return Path(configured) if configured else Path(current_app.config["INSTANCE_PATH"]) / "audit-anchors.jsonl"


def read_anchors(path: Path) -> list[Anchor]:
    """Every anchor in `path` (JSON lines). Raises AnchorFileError naming the bad line."""
    try:
        lines = Path(path).read_text(encoding="utf-8").splitlines()
    except OSError as exc:
        raise AnchorFileError(f"cannot read anchor file {path}: {exc.strerror}") from exc
    anchors = []
    for number, line in enumerate(lines, 1):
        if not line.strip():
            continue
        try:
            data = json.loads(line)
            anchors.append(Anchor(int(data["seq"]), str(data["hash"]), str(data.get("at", ""))))
        except (ValueError, KeyError, TypeError) as exc:
            raise AnchorFileError(f"{path} line {number} is not an anchor") from exc
    return anchors


def write_anchor(path: Path | None = None) -> tuple[Anchor, Path]:
    """Append the current anchor to `path` (default: AUDIT_ANCHOR_FILE or instance/audit-anchors.jsonl).

    The file is rewritten through a temporary file and a rename, so a crash never leaves half a line.
    """
    path = Path(path) if path else default_anchor_file()
    anchor = current_anchor()
    old = path.read_text(encoding="utf-8") if path.exists() else ""
    if old and not old.endswith("\n"):
        old += "\n"
    line = json.dumps({"at": anchor.at, "seq": anchor.seq, "hash": anchor.hash, "v": HASH_VERSION})
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=".anchor-", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as out:
            out.write(old + line + "\n")
            out.flush()
            os.fsync(out.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return anchor, path


def anchor_job(_period: str, _today) -> str:
    """The scheduler's nightly anchor."""
    anchor, path = write_anchor()
    return f"anchored {anchor.seq} entries to {path}"

"""Back up and restore the database, whatever DATABASE_URL says (SQLite file or PostgreSQL).

A backup is written to a temporary file (mode 0600) next to its final name and linked into place
only when complete, under a name that never collides; a failed backup leaves no file and raises
BackupError. SQLite backups use SQLite's online backup API (a consistent copy of a live database);
PostgreSQL backups are pg_dump's custom format, restored by pg_restore in one transaction.
"""
import os
import secrets
import sqlite3
import subprocess
from datetime import datetime
from pathlib import Path

from sqlalchemy.engine import URL, make_url

SQLITE_MAGIC = b"SQLite format 3\x00"
PG_MAGIC = b"PGDMP"


class BackupError(Exception):
    """The backup or restore did not happen; the message says why."""


def backup_database(url: str | URL, directory: str | Path) -> Path:
    """Write a backup of the database at `url` into `directory`; returns the new file's path."""
    url = make_url(url)
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    stamp = datetime.now().strftime("%Y%m%d-%H%M%S")
    suffix = ".db" if _is_sqlite(url) else ".dump"
    final = directory / f"yinzhou-{stamp}-{secrets.token_hex(3)}{suffix}"
    tmp = directory / f".{final.name}.part"
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    os.close(fd)
    try:
        if _is_sqlite(url):
            _sqlite_backup(_sqlite_path(url), tmp)
        else:
            _run(["pg_dump", "--format=custom", "--no-owner", "--file", str(tmp)], url)
        _check_backup(tmp, SQLITE_MAGIC if _is_sqlite(url) else PG_MAGIC)
        os.chmod(tmp, 0o600)
        os.link(tmp, final)            # fails rather than overwrite: names never collide
    finally:
        tmp.unlink(missing_ok=True)
    return final


def restore_database(url: str | URL, backup: str | Path) -> None:
    """Replace the database at `url` with the content of `backup` (all or nothing)."""
    url = make_url(url)
    backup = Path(backup)
    expected = SQLITE_MAGIC if _is_sqlite(url) else PG_MAGIC
    _check_backup(backup, expected)
    if _is_sqlite(url):
        _sqlite_backup(backup, _sqlite_path(url), check_source=True)
    else:
        _run(["pg_restore", "--clean", "--if-exists", "--no-owner", "--single-transaction",
              "--exit-on-error"], url, str(backup))


def _is_sqlite(url: URL) -> bool:
    return url.get_backend_name() == "sqlite"


def _sqlite_path(url: URL) -> Path:
    if not url.database or url.database == ":memory:" or url.database.startswith("file::memory:"):
        raise BackupError("an in-memory SQLite database cannot be backed up or restored")
    return Path(url.database).resolve()


def _sqlite_backup(source: Path, target: Path, check_source: bool = False) -> None:
    if not Path(source).is_file():
        raise BackupError(f"database file not found: {source}")
    src = sqlite3.connect(f"file:{source}?mode=ro", uri=True)
    try:
        if check_source and src.execute("PRAGMA integrity_check").fetchone()[0] != "ok":
            raise BackupError(f"{source} is damaged (SQLite integrity check failed)")
        dst = sqlite3.connect(target)
        try:
            src.backup(dst)
        finally:
            dst.close()
    except sqlite3.Error as exc:
        raise BackupError(f"SQLite: {exc}") from exc
    finally:
        src.close()


def _libpq(url: URL) -> tuple[str, dict]:
    """The URL pg_dump understands (no driver suffix), with the password in the environment, not argv."""
    env = dict(os.environ)
    if url.password:
        env["PGPASSWORD"] = str(url.password)
    plain = url.set(drivername="postgresql", password=None)
    return plain.render_as_string(hide_password=False), env


def _run(command: list[str], url: URL, *args: str) -> None:
    dsn, env = _libpq(url)
    try:
        done = subprocess.run([*command, "--dbname", dsn, *args], env=env, capture_output=True, text=True)
    except FileNotFoundError as exc:
        raise BackupError(f"{command[0]} is not installed (PostgreSQL client tools are needed)") from exc
    if done.returncode != 0:
        raise BackupError(f"{command[0]} failed (exit {done.returncode}): {done.stderr.strip()[-800:]}")


def _check_backup(path: Path, magic: bytes) -> None:
    """Refuse an empty file, or a file of the other database's kind."""
    try:
        with open(path, "rb") as f:
            head = f.read(len(magic))
    except OSError as exc:
        raise BackupError(f"cannot read {path}: {exc.strerror}") from exc
    if not head:
        raise BackupError(f"{path} is empty")
    if head != magic:
        kind = "SQLite" if magic == SQLITE_MAGIC else "PostgreSQL (pg_dump custom format)"
        raise BackupError(f"{path} is not a {kind} backup")

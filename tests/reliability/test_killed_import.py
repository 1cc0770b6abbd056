"""A process killed (SIGKILL) in the middle of an import leaves nothing behind: no firm, no batch, no
audit entry — the import is one transaction — and the database stays usable.

Runs on a SQLite file, or on a PostgreSQL database of its own when TEST_DATABASE_URL is set.
"""
import signal
import sqlite3
import time

from bench.generate import firms
from tests.reliability.conftest import ON_PG, firm_csv

ROWS = 20000     # several seconds of writing even on a fast machine: the kill lands mid-transaction


def _writing_started(db) -> bool:
    """True once the importer holds a write lock on the firm table (it has begun writing rows)."""
    if ON_PG:
        return bool(db.scalar(
            "SELECT count(*) FROM pg_locks l JOIN pg_class c ON c.oid = l.relation "
            "WHERE c.relname = 'registry_firms' AND l.mode = 'RowExclusiveLock' AND l.pid <> pg_backend_pid()"))
    conn = sqlite3.connect(db.path, timeout=0)
    try:
        conn.execute("BEGIN IMMEDIATE")     # refused while another connection has a write transaction
        conn.rollback()
        return False
    except sqlite3.OperationalError as exc:
        return "locked" in str(exc) or "busy" in str(exc)
    finally:
        conn.close()


def _count(db, table: str) -> int:
    return db.scalar(f"SELECT count(*) FROM {table}")


def test_sigkill_during_import_leaves_no_partial_batch(scratch_db, tmp_path):
    path = firm_csv(tmp_path / "big.csv", firms(ROWS, seed=81))
    proc = scratch_db.popen(path)
    deadline = time.monotonic() + 120
    try:
        while not _writing_started(scratch_db):
            assert proc.poll() is None, f"import ended before writing: {proc.communicate()}"
            assert time.monotonic() < deadline, "the import never started writing"
            time.sleep(0.05)
        time.sleep(0.5)                     # let it write a share of the rows
        # The transaction must still be open when the kill lands: a process that is alive but has already
        # committed (and is only exiting) would prove nothing. Checked right before the signal.
        assert proc.poll() is None and _writing_started(scratch_db), \
            "import committed before it could be killed; use a larger file"
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert proc.returncode == -signal.SIGKILL
    assert _count(scratch_db, "registry_firms") == 0
    assert _count(scratch_db, "core_import_batches") == 0
    assert _count(scratch_db, "core_audit_entries") == 0

    # The lock is gone and the database works: a small import afterwards succeeds.
    small = firm_csv(tmp_path / "small.csv", firms(20, seed=82))
    again = scratch_db.popen(small)
    out, err = again.communicate(timeout=120)
    assert again.returncode == 0, (out, err)
    assert _count(scratch_db, "registry_firms") == 20
    assert _count(scratch_db, "core_import_batches") == 1

"""Two imports of overlapping firm files running at the same time on PostgreSQL leave no duplicate firm.

Each import runs as its own `flask --app wsgi import firms FILE` process against a database of its own
(created and dropped here). One of them may lose the race on the credit-code unique index; it must then
refuse cleanly — exit 1 with the one JSON object and no traceback — and write nothing.
"""
import json

import pytest

from bench.generate import firms
from tests.reliability.conftest import ON_PG, firm_csv

pytestmark = pytest.mark.skipif(
    not ON_PG, reason="needs PostgreSQL (TEST_DATABASE_URL): SQLite serialises writers, so imports cannot race")

N, OVERLAP = 2400, 1200


def _result(proc, out: str, err: str) -> dict:
    assert "Traceback" not in err, f"import crashed instead of reporting cleanly:\n{err[-3000:]}"
    lines = [line for line in out.strip().splitlines() if line.strip()]
    assert lines, f"no JSON on stdout (exit {proc.returncode}); stderr:\n{err[-3000:]}"
    summary = json.loads(lines[-1])
    assert set(summary) >= {"created", "updated", "unchanged", "rejected", "errors"}
    return summary


def test_overlapping_concurrent_imports_leave_no_duplicate_firm(scratch_db, tmp_path):
    rows = firms(N + N - OVERLAP, seed=88)
    first = firm_csv(tmp_path / "a.csv", rows[:N])
    second = firm_csv(tmp_path / "b.csv", rows[N - OVERLAP:])
    procs = [scratch_db.popen(first), scratch_db.popen(second)]
    outcomes = []
    for proc in procs:
        out, err = proc.communicate(timeout=600)
        outcomes.append((proc.returncode, _result(proc, out, err)))

    total = scratch_db.scalar("SELECT count(*) FROM registry_firms")
    distinct = scratch_db.scalar("SELECT count(DISTINCT uscc) FROM registry_firms")
    assert total == distinct, "a credit code was stored twice"

    ok = [s for code, s in outcomes if code == 0]
    refused = [s for code, s in outcomes if code != 0]
    assert ok, f"both imports failed: {outcomes}"
    for code, summary in outcomes:
        assert code in (0, 1), (code, summary)
        if code == 1:                                    # lost the race: refused, nothing written
            assert summary["errors"], summary
            assert summary["created"] == summary["updated"] == 0
    batches = scratch_db.scalar("SELECT count(*) FROM core_import_batches")
    assert batches == len(ok)
    if not refused:
        assert total == len(rows)                        # both written: every firm exactly once
        assert sum(s["created"] for s in ok) == len(rows)
    else:
        assert total == N                                # only the winner's file is in

"""Two imports of overlapping firm files running at the same time on PostgreSQL leave no duplicate firm.

Each import runs as its own `flask --app wsgi import firms FILE` process against a database of its own
(created and dropped here). One of them may lose the race on the credit-code unique index; it must then
refuse cleanly — exit 1 with the one JSON object and no traceback — and write nothing.
"""
import json

import pytest

from bench.generate import firms
from tests.reliability.conftest import ON_PG, ScratchDB, firm_csv

pytestmark = pytest.mark.skipif(
    not ON_PG, reason="needs PostgreSQL (TEST_DATABASE_URL): SQLite serialises writers, so imports cannot race")

N, OVERLAP = 2400, 1200


def _summary(out: str):
    lines = [line for line in out.strip().splitlines() if line.strip()]
    try:
        return json.loads(lines[-1]) if lines else None
    except ValueError:
        return None


@pytest.fixture(scope="module")
def race(tmp_path_factory):
    """Run the two overlapping imports at the same time, once for the module's tests."""
    tmp = tmp_path_factory.mktemp("race")
    db = ScratchDB(tmp, "postgresql")
    rows = firms(N + N - OVERLAP, seed=88)
    first = firm_csv(tmp / "a.csv", rows[:N])
    second = firm_csv(tmp / "b.csv", rows[N - OVERLAP:])
    procs = [db.popen(first), db.popen(second)]
    outcomes = []
    for proc in procs:
        out, err = proc.communicate(timeout=600)
        outcomes.append({"code": proc.returncode, "summary": _summary(out), "stderr": err})
    yield db, rows, outcomes
    db.drop()


def test_no_duplicate_firm_and_nothing_half_written(race):
    db, rows, outcomes = race
    total = db.scalar("SELECT count(*) FROM registry_firms")
    distinct = db.scalar("SELECT count(DISTINCT uscc) FROM registry_firms")
    assert total == distinct, "a credit code was stored twice"
    ok = [o for o in outcomes if o["code"] == 0]
    assert ok, f"both imports failed: {[(o['code'], o['stderr'][-500:]) for o in outcomes]}"
    assert db.scalar("SELECT count(*) FROM core_import_batches") == len(ok)
    if len(ok) == 2:
        assert total == len(rows)                        # both written: every firm exactly once
        assert sum(o["summary"]["created"] for o in ok) == len(rows)
    else:
        assert total == N                                # only the winner's file is in (all or nothing)


def test_the_loser_of_the_race_reports_cleanly(race):
    """Exit 0, or exit 1 with the one JSON object and no traceback (a retry inside the engine is better)."""
    _db, _rows, outcomes = race
    for o in outcomes:
        assert "Traceback" not in o["stderr"], f"import crashed instead of reporting cleanly:\n{o['stderr'][-2000:]}"
        assert o["code"] in (0, 1), o["code"]
        assert o["summary"] is not None, f"no JSON on stdout (exit {o['code']})"
        assert set(o["summary"]) >= {"created", "updated", "unchanged", "rejected", "errors"}
        if o["code"] == 1:
            assert o["summary"]["errors"]
            assert o["summary"]["created"] == o["summary"]["updated"] == 0

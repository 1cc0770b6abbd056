"""Two imports naming the same firms in opposite orders, at the same time, on PostgreSQL: both finish
(or one is refused cleanly), nothing is half-written and the figures are those of the files.

Without a stable write order the two transactions insert the same (firm, year) facts in opposite
orders and PostgreSQL kills one of them as a deadlock victim. The engine writes rows by credit code
and re-runs a whole import, in a fresh transaction, after a deadlock or serialization failure.
"""
import json
import subprocess

import pytest

from bench.generate import _csv_bytes, firms
from tests.reliability.conftest import FLASK, ON_PG, ROOT, ScratchDB, firm_csv

pytestmark = pytest.mark.skipif(
    not ON_PG, reason="needs PostgreSQL (TEST_DATABASE_URL): SQLite serialises writers, so imports cannot race")

N = 1500
YEAR = "2024"


def _summary(out: str):
    lines = [line for line in out.strip().splitlines() if line.strip()]
    try:
        return json.loads(lines[-1]) if lines else None
    except ValueError:
        return None


def _facts_csv(path, codes):
    rows = [[code, str(1000 + i % 997), str(10 + i % 89)] for i, code in codes]
    path.write_bytes(_csv_bytes(("统一社会信用代码", "主营业务收入", "从业人员"), rows))
    return path


def _popen(db: ScratchDB, path, kind: str, *extra: str) -> subprocess.Popen:
    return subprocess.Popen([FLASK, "--app", "wsgi", "import", kind, str(path), *extra], cwd=ROOT, env=db.env(),
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


@pytest.fixture(scope="module")
def opposite(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("opposite")
    db = ScratchDB(tmp, "postgresql")
    rows = firms(N, seed=41)
    loaded = _popen(db, firm_csv(tmp / "firms.csv", rows), "firms")
    out, err = loaded.communicate(timeout=600)
    assert loaded.returncode == 0, err[-2000:]
    codes = list(enumerate(r["统一社会信用代码"] for r in rows))
    forward = _facts_csv(tmp / "forward.csv", codes)
    backward = _facts_csv(tmp / "backward.csv", codes[::-1])
    procs = [_popen(db, forward, "facts", "--year", YEAR), _popen(db, backward, "facts", "--year", YEAR)]
    outcomes = []
    for proc in procs:
        out, err = proc.communicate(timeout=600)
        outcomes.append({"code": proc.returncode, "summary": _summary(out), "stderr": err})
    yield db, rows, outcomes
    db.drop()


def test_both_imports_finish_or_one_is_refused_cleanly(opposite):
    _db, _rows, outcomes = opposite
    for o in outcomes:
        assert "Traceback" not in o["stderr"], o["stderr"][-2000:]
        assert "deadlock" not in o["stderr"].lower() or o["code"] == 0, o["stderr"][-2000:]
        assert o["summary"] is not None, f"no JSON on stdout (exit {o['code']}): {o['stderr'][-1000:]}"
        if o["code"] != 0:
            assert o["code"] == 1 and o["summary"]["errors"]
            assert o["summary"]["created"] == o["summary"]["updated"] == 0
    assert any(o["code"] == 0 for o in outcomes), [o["stderr"][-1000:] for o in outcomes]


def test_the_facts_are_the_files_facts_once_each(opposite):
    db, rows, outcomes = opposite
    ok = [o for o in outcomes if o["code"] == 0]
    assert db.scalar("SELECT count(*) FROM core_import_batches WHERE kind = 'facts'") == len(ok)
    assert sum(o["summary"]["created"] for o in ok) == N          # each fact created once, by one of them
    facts = db.scalar("SELECT count(*) FROM registry_firm_facts WHERE year = :y", y=int(YEAR))
    assert facts == N
    distinct = db.scalar("SELECT count(DISTINCT firm_id) FROM registry_firm_facts WHERE year = :y", y=int(YEAR))
    assert distinct == N
    for i in (0, 1, N // 2, N - 1):
        revenue = db.scalar("SELECT f.revenue FROM registry_firm_facts f JOIN registry_firms r ON r.id = f.firm_id "
                            "WHERE r.uscc = :c AND f.year = :y", c=rows[i]["统一社会信用代码"], y=int(YEAR))
        assert float(revenue) == 1000 + i % 997

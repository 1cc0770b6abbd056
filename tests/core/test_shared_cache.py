"""The cache shared between processes (core.dataversion, `cached(..., shared=True)`): the dashboard's
figures and the goals API's body computed by one worker are served by the others from
`core_shared_values` while the tables they read are unchanged, never after a commit that wrote one of
them; keeping a value never waits for a lock. On a file SQLite database (the in-memory one of the other
tests has one connection and shares nothing) or TEST_DATABASE_URL's PostgreSQL."""
import os
import re
import subprocess
import sys
import threading
import time
from decimal import Decimal

import pytest
from sqlalchemy import create_engine, func, select, text

from core import dataversion
from core.db import db
from tests.conftest import TEST_DB, _url, make_app, serving

AS_OF = "2024-12-31"
ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


@pytest.fixture
def shared_app(tmp_path):
    yield from serving(make_app(tmp_path, SQLALCHEMY_DATABASE_URI=_url(TEST_DB) if TEST_DB
                                else f"sqlite:///{tmp_path / 'shared.db'}"))


@pytest.fixture
def client(shared_app):
    from core.auth.service import create_user
    user = create_user("shared_admin", "password123", unit="jxj", role="admin")
    from registry.models import Firm
    from registry.uscc import generate
    db.session.add(Firm(uscc=generate(region="330212"), name="宁波共享缓存测试有限公司", above_scale=True,
                        plan_sector="新型材料"))
    db.session.commit()
    client = shared_app.test_client()
    assert client.post("/login", data={"username": user.username, "password": "password123"}).status_code == 302
    return client


def _as_another_process() -> None:
    """What a fresh worker has: no value of its own (the shared names stay: same generation)."""
    with dataversion._CACHE.lock:
        dataversion._CACHE.values = {}


def _figure(client, key: str = "sector_output_new_materials") -> str:
    html = client.get(f"/goals/?as_of={AS_OF}").get_data(as_text=True)
    row = re.search(rf'data-key="{key}".*?class="num actual"[^>]*>(?:<a [^>]*>)?([^<]*)<', html, re.S)
    assert row, key
    return row.group(1).strip()


def _rows() -> int:
    return db.session.scalar(select(func.count()).select_from(dataversion.SharedValue)) or 0


def _fact(value: int) -> None:
    from registry.models import Firm, FirmFact
    firm = db.session.scalars(select(Firm)).first()
    db.session.add(FirmFact(firm_id=firm.id, year=2023, revenue=Decimal(value), output_value=Decimal(value)))
    db.session.commit()


def test_one_process_computes_and_the_others_read_it(client):
    dataversion.clear_cache()
    page = client.get(f"/goals/?as_of={AS_OF}").get_data(as_text=True)
    api = client.get(f"/api/v1/goals?as_of={AS_OF}").get_json()
    assert _rows() == 2                                        # the dashboard's body and the API's
    db.session.commit()

    _as_another_process()
    computed, hits = dataversion.computations(), dataversion.shared_hits()
    again = client.get(f"/goals/?as_of={AS_OF}").get_data(as_text=True)
    assert client.get(f"/api/v1/goals?as_of={AS_OF}").get_json() == api
    assert dataversion.shared_hits() == hits + 2
    # neither body was computed again (what they are made of may be: the API reads the roll-up itself)
    keys = [k[0] for k in dataversion.computed_since(computed) if isinstance(k, tuple)]
    assert "dashboard_body" not in keys and "goals_api_json" not in keys
    strip = re.compile(r'name="csrf[-_]token"[^>]*>')          # the page around the body is the user's own
    assert strip.sub("", again) == strip.sub("", page)


def test_a_commit_that_writes_a_read_table_is_never_served_from_another_process(client):
    dataversion.clear_cache()
    before = _figure(client)
    _fact(7000)                                               # another worker writes …
    _as_another_process()                                     # … and this one has only the shared row
    hits = dataversion.shared_hits()
    after = _figure(client)
    assert after != before
    assert dataversion.shared_hits() == hits                  # the stale row was not served

    _as_another_process()                                     # the recomputed value is shared in turn
    assert _figure(client) == after and dataversion.shared_hits() == hits + 1


def test_a_write_no_figure_reads_keeps_the_shared_value(client, shared_app):
    dataversion.clear_cache()
    before = _figure(client)
    from core.auth.models import User
    db.session.execute(User.__table__.update().values(last_login_at=func.now()))   # quiet: no version moves
    db.session.commit()
    _as_another_process()
    hits = dataversion.shared_hits()
    assert _figure(client) == before and dataversion.shared_hits() == hits + 1


def test_keeping_a_value_does_not_wait_for_a_busy_database(client, shared_app):
    """Another writer holds the lock: the page is served at once, computed, and nothing is kept."""
    dataversion.clear_cache()
    url = shared_app.config["SQLALCHEMY_DATABASE_URI"]
    other = create_engine(url)
    held, release = threading.Event(), threading.Event()

    def hold():
        with other.connect() as conn:
            if conn.dialect.name == "sqlite":
                conn.exec_driver_sql("BEGIN IMMEDIATE")
            else:
                conn.exec_driver_sql("LOCK TABLE core_shared_values IN EXCLUSIVE MODE")
            held.set()
            release.wait(60)
            conn.rollback()

    worker = threading.Thread(target=hold)
    worker.start()
    try:
        assert held.wait(30)
        resp = client.get(f"/goals/?as_of={AS_OF}")
        assert resp.status_code == 200 and b'data-key="sector_output_new_materials"' in resp.data
    finally:
        release.set()
        worker.join()
        other.dispose()
    db.session.rollback()
    assert _rows() == 0


_NAME = ("import sys; sys.path.insert(0, {root!r}); from core.dataversion import _shared_name; "
         "print(_shared_name('t', 0, ('dashboard_body', frozenset({{'甲', 'b', 'c', 'jxj', 'kjj', 'x' * 9}}), "
         "{{'z', 'y'}}, None, True)))")


def test_a_key_names_the_same_row_in_every_process():
    """A key holding a set: its order follows each process's string hashing, its shared name does not."""
    names = {subprocess.run([sys.executable, "-c", _NAME.format(root=ROOT)], capture_output=True, text=True,
                            env={**os.environ, "PYTHONHASHSEED": str(seed)}, check=True).stdout.strip()
             for seed in (1, 2, 3, 4)}
    assert len(names) == 1 and len(names.pop()) == 64


def test_clearing_the_cache_starts_new_shared_names(client):
    dataversion.clear_cache()
    _figure(client)
    dataversion.clear_cache()
    computed, hits = dataversion.computations(), dataversion.shared_hits()
    _figure(client)
    assert dataversion.shared_hits() == hits
    assert "dashboard_body" in [k[0] for k in dataversion.computed_since(computed) if isinstance(k, tuple)]
    db.session.commit()
    assert db.session.execute(text("SELECT count(*) FROM core_shared_values")).scalar() == 2


def test_threads_that_miss_together_compute_once(monkeypatch):
    """After a write every thread of a worker asks for the dashboard at once: one computes, the others
    wait for its value; a value computed for versions a waiter does not hold is not given to it."""
    dataversion.clear_cache()
    held = {"versions": dataversion.Versions("tok", {"t": 1})}
    monkeypatch.setattr(dataversion, "current", lambda: held["versions"])
    monkeypatch.setattr(dataversion, "session_wrote", lambda: False)
    calls, started, go = [], threading.Event(), threading.Event()

    def slow():
        calls.append(1)
        started.set()
        go.wait(10)
        dataversion.depends_on({"t"})
        return f"value {len(calls)}"

    results = []
    threads = [threading.Thread(target=lambda: results.append(dataversion.cached(("flight",), slow)))
               for _ in range(4)]
    threads[0].start()
    assert started.wait(10)
    for t in threads[1:]:
        t.start()
    deadline = time.monotonic() + 10                                 # all four are in the flight of the key
    while dataversion._CACHE.flights[("flight",)][1] < 4 and time.monotonic() < deadline:
        time.sleep(0.01)
    assert dataversion._CACHE.flights[("flight",)][1] == 4
    go.set()
    for t in threads:
        t.join(20)
    assert len(calls) == 1 and results == ["value 1"] * 4

    held["versions"] = dataversion.Versions("tok", {"t": 2})          # a commit wrote table t
    assert dataversion.cached(("flight",), slow) == "value 2" and len(calls) == 2
    assert dataversion._CACHE.flights == {}


def test_processes_compute_a_shared_value_one_at_a_time(shared_app):
    """The flight across processes (PostgreSQL: an advisory lock, SQLite: an flock): whoever comes
    second waits until the first has kept its value, then is told it waited (and reads the row)."""
    name = dataversion._shared_name("tok", 0, ("flight across",))
    order, first_in, release = [], threading.Event(), threading.Event()

    def first():
        with shared_app.app_context(), dataversion._process_flight(name) as waited:
            order.append(("first", waited))
            first_in.set()
            release.wait(20)
            order.append(("first leaves", None))

    def second():
        with shared_app.app_context(), dataversion._process_flight(name) as waited:
            order.append(("second", waited))

    a = threading.Thread(target=first)
    a.start()
    assert first_in.wait(20)
    b = threading.Thread(target=second)
    b.start()
    time.sleep(0.3)
    assert ("second", True) not in order                  # still waiting
    release.set()
    a.join(20)
    b.join(20)
    assert order == [("first", False), ("first leaves", None), ("second", True)]
    # another name is not held up by it
    other = dataversion._shared_name("tok", 0, ("another",))
    with dataversion._process_flight(other) as waited:
        assert waited is False

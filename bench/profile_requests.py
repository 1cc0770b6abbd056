"""`python -m bench.profile_requests [--url URL] [--n 30] [--profile NAME]`: the per-request cost of the
load test's request types, in process (Flask test client, no HTTP server), at 10,000 firms.

For each request type of bench/locustfile.py's MixedUser (and /health): SQL statements per request, the
database time among them, and the median wall time over --n requests (random firms, random search
fragments), and the Python function calls per request (cProfile's count over 5 requests: unlike times,
not disturbed by the other processes of a shared machine), measured in one run. The data set is seeded once per
database (SQLite: a file under --work, kept between runs; PostgreSQL: --url, emptied and seeded when it
has no firms). --profile NAME prints cProfile's top functions of that request type; --sql NAME prints
the statements of one such request.
"""
from __future__ import annotations

import argparse
import cProfile
import pstats
import random
import re
import statistics
import sys
import time
from pathlib import Path
from urllib.parse import urlencode

from bench import common, generate

N_FIRMS = 10_000
PASSWORD = "password123"
CSRF = re.compile(r'name="csrf_token" (?:type="hidden" )?value="([^"]+)"')
FRAGMENTS = ("瑞博", "电子科技", "宁波华", "机械", "甬", "新材料", "信息技术", "鑫", "有限公司", "智能装备")


def _seeded(app) -> bool:
    from sqlalchemy import func, inspect, select
    from core.db import db
    with app.app_context():
        if "registry_firms" not in inspect(db.engine).get_table_names():
            return False
        from registry.models import Firm
        return bool(db.session.scalar(select(func.count()).select_from(Firm)))


def prepare(url: str, instance: Path):
    """The app on `url`, seeded with the load test's data and accounts (once)."""
    app = common.app_for(url, instance)
    if not _seeded(app):
        if url.startswith("postgres"):
            common.pg_reset(url)
            app = common.app_for(url, instance)
        print(f"seeding {N_FIRMS:,} firms into {url} ...", file=sys.stderr)
        common.create_schema(app)
        from core.auth.service import create_user, issue_token
        from core.db import db
        with app.app_context():
            generate.bulk_firms(N_FIRMS)
            generate.seed_related(N_FIRMS)
            create_user("bench_viewer", PASSWORD, unit="jxj", role="viewer")
            editor = create_user("bench_editor", PASSWORD, unit="jxj", role="editor")
            issue_token(editor)
            db.session.commit()
    return app


class Counter:
    """SQL statements and the time spent in them (cursor execute), while `on`."""

    def __init__(self, engine):
        from sqlalchemy import event
        self.n, self.db_s, self.on, self.log = 0, 0.0, False, None
        event.listen(engine, "before_cursor_execute", self._before)
        event.listen(engine, "after_cursor_execute", self._after)

    def _before(self, conn, _cursor, statement, _params, _context, _many):
        conn.info["yz_prof_t0"] = time.perf_counter()

    def _after(self, conn, _cursor, statement, _params, _context, _many):
        if self.on:
            self.n += 1
            self.db_s += time.perf_counter() - conn.info.pop("yz_prof_t0", time.perf_counter())
            if self.log is not None:
                self.log.append(statement)


def _login(client, name: str) -> None:
    page = client.get("/login").get_data(as_text=True)
    token = CSRF.search(page).group(1)
    resp = client.post("/login", data={"username": name, "password": PASSWORD, "csrf_token": token})
    assert resp.status_code == 302, resp.status_code


def scenarios(app, firm_range, token):
    """name -> fn(rng) doing one request of that type (clients signed in as the load test's)."""
    lo, hi = firm_range
    viewer, editor, api = app.test_client(), app.test_client(), app.test_client()
    _login(viewer, "bench_viewer")
    _login(editor, "bench_editor")
    bearer = {"Authorization": f"Bearer {token}"}

    def firm(rng):
        return rng.randint(lo, hi)

    def facts_post(rng):
        fid = firm(rng)
        page = editor.get(f"/registry/firms/{fid}/facts?year=2024").get_data(as_text=True)
        data = {"csrf_token": CSRF.search(page).group(1), "year": "2024",
                # values not from the seeded `rng`: a second run would write what the first wrote (no change)
                "revenue": str(random.randint(1000, 90000)), "employees": str(random.randint(10, 900))}
        return editor.post(f"/registry/firms/{fid}/facts", data=data)

    def api_patch(rng):
        fid = firm(rng)
        got = api.get(f"/api/v1/firms/{fid}", headers=bearer).get_json()
        return api.patch(f"/api/v1/firms/{fid}", headers=bearer,
                         json={"version": got["version"], "address": f"浙江省宁波市鄞州区首南中路{random.randint(1, 999)}号"})

    return {
        "health": lambda rng: api.get("/health"),
        "health signed in": lambda rng: viewer.get("/health"),
        "password page": lambda rng: viewer.get("/password"),
        "firm page": lambda rng: viewer.get(f"/registry/firms/{firm(rng)}"),
        "search page": lambda rng: viewer.get("/registry/?" + urlencode({"q": rng.choice(FRAGMENTS)})),
        "firm list (no q)": lambda rng: viewer.get("/registry/"),
        "dashboard": lambda rng: viewer.get("/goals/"),
        "api firm": lambda rng: api.get(f"/api/v1/firms/{firm(rng)}", headers=bearer),
        "api search": lambda rng: api.get("/api/v1/firms?" + urlencode({"q": rng.choice(FRAGMENTS)}), headers=bearer),
        "api goals": lambda rng: api.get("/api/v1/goals", headers=bearer),
        "facts form GET": lambda rng: editor.get(f"/registry/firms/{firm(rng)}/facts?year=2024"),
        "facts GET+POST": facts_post,
        "api GET+PATCH": api_patch,
        # the dashboard and the goals API right after a write (untimed: `_setup`), as the load test meets them
        "dashboard after facts": _after(facts_post, lambda rng: viewer.get("/goals/")),
        "dashboard after PATCH": _after(api_patch, lambda rng: viewer.get("/goals/")),
        "api goals after facts": _after(facts_post, lambda rng: api.get("/api/v1/goals", headers=bearer)),
    }


def _after(setup, fn):
    """A request type measured right after `setup(rng)`, which is not measured."""
    def run(rng):
        return fn(rng)
    run.setup = setup
    return run


def _setup_of(fn):
    """What runs, unmeasured, before each measured request of `fn` (`_after`), or nothing."""
    return getattr(fn, "setup", lambda rng: None)


def _calls(fn, rng, n: int) -> float:
    """Python function calls per request (cProfile's count): a measure of the work done that the other
    processes of a shared machine do not disturb, unlike times."""
    prof = cProfile.Profile()
    setup = _setup_of(fn)
    for _ in range(n):
        setup(rng)
        prof.enable()
        fn(rng)
        prof.disable()
    return pstats.Stats(prof).total_calls / n


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--url", help="database URL (default: a SQLite file under --work)")
    ap.add_argument("--work", default="/tmp/yinzhou-profile", help="instance folder (and SQLite file)")
    ap.add_argument("--n", type=int, default=30, help="requests per type")
    ap.add_argument("--only", help="comma-separated request types")
    ap.add_argument("--profile", help="cProfile this request type")
    ap.add_argument("--sql", help="print the statements of one request of this type")
    args = ap.parse_args(argv)
    work = Path(args.work)
    url = args.url or f"sqlite:///{work / 'profile.db'}"
    app = prepare(url, work / ("pg" if url.startswith("postgres") else "sqlite"))
    from sqlalchemy import func, select
    from core.auth.models import ApiToken
    from core.db import db
    from registry.models import Firm
    with app.app_context():
        lo, hi = db.session.execute(select(func.min(Firm.id), func.max(Firm.id))).one()
        token = None
        if db.session.scalar(select(func.count()).select_from(ApiToken)):
            db.session.execute(ApiToken.__table__.delete())
        from core.auth.service import issue_token
        from core.auth.models import User
        token = issue_token(db.session.scalars(select(User).where(User.username == "bench_editor")).one())
        db.session.commit()
        counter = Counter(db.engine)
    runs = scenarios(app, (lo, hi), token)
    names = args.only.split(",") if args.only else list(runs)
    rng = random.Random(16)
    print(f"{'request':<18} {'stmts':>6} {'db ms':>7} {'median ms':>10} {'min ms':>7} {'cpu ms':>7} {'calls':>7}")
    for name in names:
        fn = runs[name]
        for _ in range(3):                 # warm: caches, compiled statements, templates
            fn(rng)
        times, stmts, db_ms, cpu = [], [], [], []
        setup = _setup_of(fn)
        for _ in range(args.n):
            setup(rng)
            counter.n, counter.db_s, counter.on = 0, 0.0, True
            t0, c0 = time.perf_counter(), time.thread_time()
            resp = fn(rng)
            times.append((time.perf_counter() - t0) * 1000)
            cpu.append((time.thread_time() - c0) * 1000)
            counter.on = False
            assert resp.status_code < 400 or resp.status_code == 409, (name, resp.status_code)
            stmts.append(counter.n)
            db_ms.append(counter.db_s * 1000)
        calls = _calls(fn, rng, 5)
        print(f"{name:<18} {statistics.median(stmts):>6.0f} {statistics.median(db_ms):>7.1f} "
              f"{statistics.median(times):>10.1f} {min(times):>7.1f} {statistics.median(cpu):>7.1f} {calls:>7.0f}",
              flush=True)
    if args.sql:
        counter.log, counter.on = [], True
        runs[args.sql](rng)
        counter.on = False
        for s in counter.log:
            print("  ", " ".join(s.split())[:300])
    if args.profile:
        prof = cProfile.Profile()
        fn = runs[args.profile]
        setup = _setup_of(fn)
        for _ in range(args.n):
            setup(rng)
            prof.enable()
            fn(rng)
            prof.disable()
        pstats.Stats(prof).sort_stats("cumulative").print_stats(45)
        prof.dump_stats("/tmp/yinzhou-profile/last.prof")
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""Firm search at 100,000 firms: median server time of the search (the list's two queries: the count
and one page of firms in pinyin order), of the whole /registry/?q= page and of /api/v1/firms?q=, on
SQLite and PostgreSQL, for 1-, 2- and 3-character fragments (rare and common) and a credit-code part —
the search as it was ("before": trigram index for 3+ characters, a LIKE scan below, exact count) and as
it is, side by side in the same run (MODES).

    PYTHONPATH=. python -m bench.search [--firms 100000] [--repeat 15] [--pg URL] [--no-record]

--pg (default: $BENCH_PG_URL, else postgres@127.0.0.1 when it answers; --no-pg: SQLite only) takes a database URL (a schema `bench_search` is made in it and dropped
afterwards).
"""
from __future__ import annotations

import argparse
import os
import statistics
import tempfile
import time
from datetime import date
from pathlib import Path
from urllib.parse import quote

from bench import common


def _fragments(app) -> dict:
    """Fragments taken from the generated firms: a rare 3-character piece of a name, a common one, a
    rare and a common 2-character one (below the trigram size), one character, part of a credit code."""
    from sqlalchemy import select

    from core.db import db
    from registry.models import Firm
    with app.app_context():
        name, code = db.session.execute(select(Firm.name, Firm.uscc).order_by(Firm.id).offset(777).limit(1)).one()
    return {"2-char rare": name[2:4], "2-char common": "科技", "1-char": name[3], "3-char rare": name[2:5],
            "3-char common": "科技有", "code part (8)": code[6:14].lower()}


MODES = {
    "before": "the search as it was: trigram index for 3+ characters, a LIKE scan below; exact count; "
              "matches sorted",
    "sorted": "grams for 1–2 characters, count capped at 10,000, matches collected and sorted",
    "after": "the same, the page read along the name index once there are 2,000+ matches (the shipped path)",
}


class _Mode:
    """Switch registry.queries / registry.search to one of MODES for the duration of a `with`."""

    def __init__(self, mode: str):
        self.mode = mode

    def __enter__(self):
        from registry import queries, search
        self.saved = queries.COUNT_CAP, queries.WALK_FROM, search.condition
        if self.mode in ("before", "sorted"):
            queries.WALK_FROM = 10 ** 12
        if self.mode == "before":
            queries.COUNT_CAP = 10 ** 12
            original = self.saved[2]

            def before(q, *, indexed=True):
                short = len(q) < search.TRIGRAM or 0 < len(search.uscc_mod.normalize(q).replace(" ", "")) < search.TRIGRAM
                return original(q, indexed=indexed and not short)
            search.condition = before
        return self

    def __exit__(self, *_exc):
        from registry import queries, search
        queries.COUNT_CAP, queries.WALK_FROM, search.condition = self.saved


def _server_ms(app, q: str, repeat: int) -> tuple[float, int, bool]:
    from core.db import db
    from registry import queries
    with app.app_context():
        flt = queries.FirmFilter(q=q)
        found = queries.find(flt, date.today())
        times = []
        for _ in range(repeat):
            t0 = time.perf_counter()
            queries.find(flt, date.today())
            times.append((time.perf_counter() - t0) * 1000)
            db.session.rollback()
        return statistics.median(times), found.total, found.capped


def _http_ms(client, path: str, repeat: int, headers=None) -> float:
    def get():
        resp = client.get(path, headers=headers or {})
        assert resp.status_code == 200, (path, resp.status_code, resp.headers.get("Location"))
    get()
    return common.median_ms(get, repeat)


def measure(app, repeat: int) -> list[dict]:
    from core.auth.service import create_user, issue_token
    from core.db import db
    from bench.run import signed_in_client
    with app.app_context():
        token = issue_token(create_user("bench_search", "password123", unit="jxj", role="viewer"))
        db.session.commit()
    client = signed_in_client(app, "bench_search", "password123")
    headers = {"Authorization": f"Bearer {token}"}
    out = []
    for label, q in _fragments(app).items():
        row = {"label": label, "q": q}
        for mode in MODES:
            # the scans of "before" take seconds each on a busy machine: fewer repeats
            n = max(3, repeat // 3) if mode == "before" else repeat
            with _Mode(mode):
                row[f"{mode}_ms"], row[f"{mode}_total"], row[f"{mode}_capped"] = _server_ms(app, q, n)
                if mode != "sorted":
                    row[f"{mode}_page_ms"] = _http_ms(client, f"/registry/?q={quote(q)}", n)
                    row[f"{mode}_api_ms"] = _http_ms(client, f"/api/v1/firms?q={quote(q)}", n, headers)
        print(row, flush=True)
        out.append(row)
    return out


def build(url: str, instance: Path, n: int):
    from bench.generate import analyze, bulk_firms
    app = common.app_for(url, instance)
    common.create_schema(app)
    with app.app_context():
        t0 = time.perf_counter()
        bulk_firms(n)
        load_s = time.perf_counter() - t0
        analyze()               # the statistics (and on PostgreSQL the visibility map) a deployment has
    return app, load_s


def _pg_schema_url(base: str, schema: str, *, drop: bool = False) -> str:
    import psycopg
    plain = base.replace("postgresql+psycopg://", "postgresql://")
    with psycopg.connect(plain, autocommit=True) as conn:
        conn.execute(f"DROP SCHEMA IF EXISTS {schema} CASCADE")
        if not drop:
            conn.execute(f"CREATE SCHEMA {schema}")
    url = "postgresql+psycopg://" + plain.split("://", 1)[1]
    return url + ("&" if "?" in url else "?") + f"options=-csearch_path%3D{schema}"


def table(results: dict, n: int) -> str:
    lines = ["| database | query | firms found | search, after | search, before | search, after but sorted "
             "| page /registry/?q=, after | page, before | API /api/v1/firms?q=, after | API, before |",
             "|---|---|---|---|---|---|---|---|---|---|"]
    for db_name, rows in results.items():
        for r in rows:
            found = f"{r['before_total']:,}" + (" (shown: more than 10,000)" if r["after_capped"] else "")
            lines.append(f"| {db_name} | {r['label']} “{r['q']}” | {found} | **{r['after_ms']:.1f} ms** | "
                         f"{r['before_ms']:.1f} ms | {r['sorted_ms']:.1f} ms | {r['after_page_ms']:.0f} ms | "
                         f"{r['before_page_ms']:.0f} ms | {r['after_api_ms']:.0f} ms | {r['before_api_ms']:.0f} ms |")
    return "\n".join(lines)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--firms", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=15)
    parser.add_argument("--pg", default=os.environ.get("BENCH_PG_URL"),
                        help="a PostgreSQL database URL (default: BENCH_PG_URL, else postgres@127.0.0.1 if it answers)")
    parser.add_argument("--no-pg", action="store_true", help="SQLite only")
    parser.add_argument("--no-record", action="store_true")
    args = parser.parse_args(argv)
    args.pg = None if args.no_pg else (args.pg or common.pg_base_url())
    results, loads = {}, {}
    with tempfile.TemporaryDirectory(prefix="yinzhou-search-") as tmp:
        work = Path(tmp)
        app, loads["SQLite"] = build(f"sqlite:///{work / 'search.db'}", work / "sqlite", args.firms)
        results["SQLite"] = measure(app, args.repeat)
        print(table(results, args.firms), flush=True)
        if args.pg:
            url = _pg_schema_url(args.pg, "bench_search")
            try:
                app, loads["PostgreSQL"] = build(url, work / "pg", args.firms)
                results["PostgreSQL"] = measure(app, args.repeat)
                with app.app_context():
                    from core.db import db
                    db.engine.dispose()
            finally:
                _pg_schema_url(args.pg, "bench_search", drop=True)
    text = (common.header(f"Firm search at {args.firms:,} firms (bench/search.py)") +
            "- bulk load of the firms, indexes kept by triggers (FTS5 + grams on SQLite, GIN + grams on "
            "PostgreSQL): " + ", ".join(f"{k} {v:.1f} s" for k, v in loads.items()) + "\n"
            f"- medians of {args.repeat} ({max(3, args.repeat // 3)} for “before”); “search” is the server time "
            "of the list's two queries (the count and one page of 50 in pinyin order), in process; page and API "
            "through the Flask test client. Modes, side by side in one run: "
            + "; ".join(f"“{k}”: {v}" for k, v in MODES.items()) + "\n\n" + table(results, args.firms))
    print(text)
    if not args.no_record:
        common.append_results(text)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

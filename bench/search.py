"""Firm search at 100,000 firms: median server time of the search (the page's two queries: one page of
firms in pinyin order and the count), of the whole /registry/?q= page and of /api/v1/firms?q=, on
SQLite and PostgreSQL, through the trigram index and without it (the LIKE scan the search used
before, which is also what runs when the index is missing).

    PYTHONPATH=. python -m bench.search [--firms 100000] [--repeat 15] [--pg URL] [--no-record]

--pg takes a database URL (a schema `bench_search` is made in it and dropped afterwards).
"""
from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from datetime import date
from pathlib import Path
from urllib.parse import quote

from bench import common


def _fragments(app) -> dict:
    """Fragments taken from the generated firms: a rare 3-character piece of a name, a common one, a
    2-character brand (below the trigram size), part of a credit code (lower case)."""
    from sqlalchemy import select

    from core.db import db
    from registry.models import Firm
    with app.app_context():
        name, code = db.session.execute(select(Firm.name, Firm.uscc).order_by(Firm.id).offset(777).limit(1)).one()
    return {"3-char rare": name[2:5], "3-char common": "科技有", "2-char": name[2:4],
            "code part (8)": code[6:14].lower()}


def _server_ms(app, q: str, repeat: int) -> tuple[float, int]:
    from core.db import db
    from registry import queries
    with app.app_context():
        flt = queries.FirmFilter(q=q)
        _rows, total = queries.search(flt, date.today())
        times = []
        for _ in range(repeat):
            t0 = time.perf_counter()
            queries.search(flt, date.today())
            times.append((time.perf_counter() - t0) * 1000)
            db.session.rollback()
        return statistics.median(times), total


def _http_ms(client, path: str, repeat: int, headers=None) -> float:
    def get():
        resp = client.get(path, headers=headers or {})
        assert resp.status_code == 200, (path, resp.status_code)
    get()
    return common.median_ms(get, repeat)


def measure(app, repeat: int) -> list[dict]:
    from core.auth.service import create_user, issue_token
    from core.db import db
    from registry import search
    from bench.run import signed_in_client
    with app.app_context():
        token = issue_token(create_user("bench_search", "password123", unit="jxj", role="viewer"))
        db.session.commit()
        engine = db.engine
    client = signed_in_client(app, "bench_search", "password123")
    headers = {"Authorization": f"Bearer {token}"}
    out = []
    for label, q in _fragments(app).items():
        row = {"label": label, "q": q}
        for mode in ("index", "scan"):
            search._ready[engine] = mode == "index"
            if app.config["SQLALCHEMY_DATABASE_URI"].startswith("postgresql"):
                _pg_indexes(app, on=mode == "index")
            row[f"{mode}_ms"], row["total"] = _server_ms(app, q, repeat)
            row[f"{mode}_page_ms"] = _http_ms(client, f"/registry/?q={quote(q)}", repeat)
            row[f"{mode}_api_ms"] = _http_ms(client, f"/api/v1/firms?q={quote(q)}", repeat, headers)
        search._ready.pop(engine, None)
        out.append(row)
    return out


def _pg_indexes(app, *, on: bool) -> None:
    """PostgreSQL: the planner's use of the trigram indexes switched on or off for the session
    (enable_bitmapscan, the only way it reads a GIN index) — the indexes themselves stay."""
    from sqlalchemy import event
    from core.db import db
    with app.app_context():
        engine = db.engine
    value = "on" if on else "off"
    for fn in list(getattr(app, "_bench_listeners", [])):
        event.remove(engine, "connect", fn)

    def set_scan(dbapi_conn, _rec):
        with dbapi_conn.cursor() as cur:
            cur.execute(f"SET enable_bitmapscan = {value}")
    event.listen(engine, "connect", set_scan)
    app._bench_listeners = [set_scan]
    engine.dispose()


def build(url: str, instance: Path, n: int):
    from sqlalchemy import text

    from bench.generate import bulk_firms
    from core.db import db
    app = common.app_for(url, instance)
    common.create_schema(app)
    with app.app_context():
        t0 = time.perf_counter()
        bulk_firms(n)
        load_s = time.perf_counter() - t0
        if db.engine.dialect.name == "postgresql":
            db.session.execute(text("ANALYZE registry_firms"))
        else:
            db.session.execute(text("ANALYZE"))
        db.session.commit()
    return app, load_s


def _pg_schema_url(base: str, schema: str, *, drop: bool = False) -> str:
    import psycopg
    plain = base.replace("postgresql+psycopg://", "postgresql://")
    with psycopg.connect(plain, autocommit=True) as conn:
        conn.execute(f"DROP SCHEMA IF EXISTS {schema} CASCADE")
        if not drop:
            conn.execute(f"CREATE SCHEMA {schema}")
    url = "postgresql+psycopg://" + plain.split("://", 1)[1]
    return url + ("&" if "?" in url else "?") + f"options=-csearch_path%3D{schema},public"


def table(results: dict, n: int) -> str:
    lines = ["| database | query | rows found | search, index | search, scan (before) | page /registry/?q=, index "
             "| page, scan | API /api/v1/firms?q=, index | API, scan |", "|---|---|---|---|---|---|---|---|---|"]
    for db_name, rows in results.items():
        for r in rows:
            lines.append(f"| {db_name} | {r['label']} “{r['q']}” | {r['total']:,} | **{r['index_ms']:.1f} ms** | "
                         f"{r['scan_ms']:.1f} ms | {r['index_page_ms']:.0f} ms | {r['scan_page_ms']:.0f} ms | "
                         f"{r['index_api_ms']:.0f} ms | {r['scan_api_ms']:.0f} ms |")
    return "\n".join(lines)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--firms", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=15)
    parser.add_argument("--pg", default=None)
    parser.add_argument("--no-record", action="store_true")
    args = parser.parse_args(argv)
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
            "- bulk load of the firms with the index kept by triggers / GIN indexes: "
            + ", ".join(f"{k} {v:.1f} s" for k, v in loads.items()) + "\n"
            f"- medians of {args.repeat}; “search” is the server time of the page's two queries (one page in "
            "pinyin order, and the count), in process; page and API through the Flask test client. “scan” is "
            "the same search with the index not used (SQLite: the LIKE path; PostgreSQL: bitmap scans off), "
            "i.e. the search as it was before the index\n\n" + table(results, args.firms))
    print(text)
    if not args.no_record:
        common.append_results(text)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

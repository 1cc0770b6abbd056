"""`make loadtest` / `python -m bench.loadtest [--users 50] [--time 60s]`: load test of issue 8.

For SQLite (a file database) and, when a PostgreSQL server answers, PostgreSQL (database bench_load,
dropped and recreated): seed the 10,000-firm data set (firms bulk-inserted, then pools, facts,
incubation, talent and finance records), create a viewer and an editor and the editor's API token
(`flask --app wsgi users token`), start gunicorn with 2 workers on 127.0.0.1 (a free port), and run
locust headless twice — the mixed scenario (bench/locustfile.py MixedUser) and the bare /health
endpoint (HealthUser) — with the same users, spawn rate and duration. Prints and appends to
bench/RESULTS.md: requests, failures, requests/s, median and p95 per scenario and per request type.
"""
from __future__ import annotations

import argparse
import csv
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bench import common, generate

N_FIRMS = 10_000
PASSWORD = "password123"


def log(msg: str) -> None:
    print(f"[loadtest {time.strftime('%H:%M:%S')}] {msg}", file=sys.stderr, flush=True)


def seed(url: str, instance: Path) -> tuple[str, str]:
    """Schema, data and accounts on `url`; returns (editor API token, firm id range)."""
    app = common.app_for(url, instance)
    common.create_schema(app)
    from sqlalchemy import func, select
    from core.auth.service import create_user
    from core.db import db
    from registry.models import Firm
    with app.app_context():
        generate.bulk_firms(N_FIRMS)
        counts = generate.seed_related(N_FIRMS)
        create_user("bench_viewer", PASSWORD, unit="jxj", role="viewer")
        create_user("bench_editor", PASSWORD, unit="jxj", role="editor")
        db.session.commit()
        lo, hi = db.session.execute(select(func.min(Firm.id), func.max(Firm.id))).one()
        db.engine.dispose()
    log(f"   seeded {N_FIRMS:,} firms, {counts}")
    res = common.run(common.flask_cmd("users", "token", "bench_editor"), cwd=common.ROOT,
                     env=common.cli_env(url, instance))
    if res.returncode != 0:
        raise RuntimeError(f"users token failed: {res.stderr[-1000:]}")
    return res.stdout.strip().splitlines()[-1].strip(), f"{lo}-{hi}"


def gunicorn(url: str, instance: Path, port: int) -> subprocess.Popen:
    env = common.cli_env(url, instance)
    log_path = instance / "gunicorn.log"
    proc = subprocess.Popen([str(common.BIN / "gunicorn"), "--workers", "2", "--bind", f"127.0.0.1:{port}",
                             "--timeout", "120", "wsgi:app"], cwd=common.ROOT, env=env,
                            stdout=log_path.open("w"), stderr=subprocess.STDOUT)
    common.wait_http(f"http://127.0.0.1:{port}/health", timeout=90)
    return proc


def locust(port: int, user_class: str, prefix: Path, env_extra: dict, users: int, spawn: int, duration: str) -> dict:
    env = dict(common.cli_env("", prefix.parent))
    env.update(env_extra)
    cmd = [str(common.BIN / "locust"), "-f", str(Path(__file__).with_name("locustfile.py")), user_class,
           "--headless", "-u", str(users), "-r", str(spawn), "-t", duration, "--host", f"http://127.0.0.1:{port}",
           "--csv", str(prefix), "--only-summary", "--loglevel", "WARNING"]
    res = common.run(cmd, cwd=common.ROOT, env=env, timeout=600)
    stats = Path(f"{prefix}_stats.csv")
    if not stats.exists():
        raise RuntimeError(f"locust wrote no stats: {res.stderr[-2000:]}")
    rows = list(csv.DictReader(stats.open(encoding="utf-8")))
    failures = Path(f"{prefix}_failures.csv")
    fails = list(csv.DictReader(failures.open(encoding="utf-8"))) if failures.exists() else []
    return {"rows": rows, "failures": fails}


def _fmt(row: dict) -> tuple:
    return (row["Name"] if row["Name"] != "Aggregated" else "**all requests**", int(row["Request Count"]),
            int(row["Failure Count"]), f"{float(row['Requests/s']):.1f}", row["50%"], row["95%"], f"{float(row['Max Response Time']):.0f}")


def run_backend(label: str, url: str, work: Path, args) -> str:
    instance = work / label
    instance.mkdir(parents=True, exist_ok=True)
    log(f"{label}: seeding ...")
    token, firm_ids = seed(url, instance)
    port = common.free_port()
    server = gunicorn(url, instance, port)
    env = {"LOAD_TOKEN": token, "LOAD_FIRM_IDS": firm_ids, "LOAD_EDITOR": f"bench_editor:{PASSWORD}",
           "LOAD_VIEWER": f"bench_viewer:{PASSWORD}"}
    try:
        log(f"{label}: mixed scenario, {args.users} users, {args.time} ...")
        mixed = locust(port, "MixedUser", instance / "mixed", env, args.users, args.spawn, args.time)
        log(f"{label}: /health, {args.users} users, {args.time} ...")
        health = locust(port, "HealthUser", instance / "health", env, args.users, args.spawn, args.time)
    finally:
        server.send_signal(signal.SIGTERM)
        try:
            server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            server.kill()
    errors_500 = sum(1 for line in (instance / "gunicorn.log").read_text(errors="replace").splitlines()
                     if "Traceback" in line)
    agg_m = next(r for r in mixed["rows"] if r["Name"] == "Aggregated")
    agg_h = next(r for r in health["rows"] if r["Name"] == "Aggregated")
    failed = int(agg_m["Failure Count"]) + int(agg_h["Failure Count"])
    lines = [f"### {label}: gunicorn 2 workers, {args.users} users, spawn {args.spawn}/s, {args.time} each, "
             f"{N_FIRMS:,} firms", "",
             "| Scenario | Requests | Failures | Req/s | Median ms | p95 ms | Max ms |", "|---|---|---|---|---|---|---|",
             "| mixed (dashboard, search, firm pages, API reads, writes) | " + " | ".join(str(x) for x in _fmt(agg_m)[1:])
             + " |",
             "| bare endpoint /health | " + " | ".join(str(x) for x in _fmt(agg_h)[1:]) + " |", "",
             f"Result: {'0 errors' if failed == 0 else f'MISSED: {failed} failed requests'}; "
             f"tracebacks in the gunicorn log: {errors_500}.", "",
             "<details><summary>per request type (mixed)</summary>", "",
             "| Request | Requests | Failures | Req/s | Median ms | p95 ms | Max ms |", "|---|---|---|---|---|---|---|"]
    lines += ["| " + " | ".join(str(x) for x in _fmt(r)) + " |" for r in mixed["rows"] if r["Name"] != "Aggregated"]
    lines += ["", "</details>", ""]
    if mixed["failures"] or health["failures"]:
        lines += ["Failures:", ""] + [f"- {f.get('Method')} {f.get('Name')}: {f.get('Error')} × {f.get('Occurrences')}"
                                      for f in mixed["failures"] + health["failures"]] + [""]
    return "\n".join(lines)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--users", type=int, default=50)
    ap.add_argument("--spawn", type=int, default=10)
    ap.add_argument("--time", default="60s")
    ap.add_argument("--no-postgres", action="store_true")
    ap.add_argument("--no-record", action="store_true")
    args = ap.parse_args(argv)
    work = Path(tempfile.mkdtemp(prefix="yinzhou-load-"))
    sections = []
    try:
        generate.write_files(N_FIRMS, quiet=True)
        sections.append(run_backend("SQLite", f"sqlite:///{work / 'load.db'}", work, args))
        base = None if args.no_postgres else common.pg_base_url()
        if base:
            sections.append(run_backend("PostgreSQL", common.pg_database(base, "bench_load"), work, args))
        else:
            sections.append("### PostgreSQL: skipped (no server answered; set BENCH_PG_URL)\n")
    finally:
        shutil.rmtree(work, ignore_errors=True)
    text = common.header("Load test") + "\n" + "\n".join(sections)
    print(text)
    if not args.no_record:
        common.append_results(text)
        log(f"appended to {common.RESULTS}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

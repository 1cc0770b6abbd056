"""`make loadtest` / `python -m bench.loadtest [--users 8] [--time 30s] [--configs sync:2,gthread:2x4]`:
the load test of issues 8 and 16.

For SQLite (a file database) and, when a PostgreSQL server answers, PostgreSQL (BENCH_PG_URL's database,
emptied, when set; else database bench_load, dropped and recreated): seed the 10,000-firm data set (firms
bulk-inserted, then pools, facts, incubation, talent and finance records), create a viewer and an editor
and the editor's API token (`flask --app wsgi users token`), and for each gunicorn configuration (worker class and count, e.g.
`sync:2`, `sync:4`, `gthread:2x4` = 2 workers × 4 threads) start gunicorn on 127.0.0.1 (a free port) and
run locust headless (FastHttpUser, no think time) twice, side by side — the bare /health endpoint
(HealthUser) and the mixed scenario (bench/locustfile.py MixedUser) — with the same users, spawn rate and
duration. Prints and appends to bench/RESULTS.md: requests, failures, requests/s, median and p95 per
scenario and per request type, and the mixed scenario's share of /health's requests/s.
Goals (issue 16): mixed ≥ 20 % of /health's req/s, p95 ≤ 100 ms at 8 users, 0 errors.
"""
from __future__ import annotations

import argparse
import csv
import json
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


def parse_config(text: str) -> tuple[str, int, int]:
    """'sync:2' → ('sync', 2, 1); 'gthread:2x4' → ('gthread', 2, 4)."""
    kind, _sep, size = text.partition(":")
    workers, _x, threads = size.partition("x")
    return kind, int(workers or 2), int(threads or 1)


def gunicorn(url: str, instance: Path, port: int, config: str) -> subprocess.Popen:
    env = common.cli_env(url, instance)
    kind, workers, threads = parse_config(config)
    log_path = instance / "gunicorn.log"
    proc = subprocess.Popen([str(common.BIN / "gunicorn"), "--worker-class", kind, "--workers", str(workers),
                             "--threads", str(threads), "--bind", f"127.0.0.1:{port}",
                             "--timeout", "120", "wsgi:app"], cwd=common.ROOT, env=env,
                            stdout=log_path.open("w"), stderr=subprocess.STDOUT)
    common.wait_http(f"http://127.0.0.1:{port}/health", timeout=90)
    return proc


def locust(port: int, user_class: str, prefix: Path, env_extra: dict, users: int, spawn: int, duration: str) -> dict:
    env = dict(common.cli_env("", prefix.parent))
    env.update(env_extra)
    summary_path = Path(f"{prefix}_steady.json")
    summary_path.unlink(missing_ok=True)
    env["LOAD_STATS_OUT"] = str(summary_path)
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
    steady = json.loads(summary_path.read_text()) if summary_path.exists() else None
    if steady is None:
        raise RuntimeError(f"locust wrote no steady-state summary: {res.stderr[-2000:]}")
    return {"rows": rows, "failures": fails, "steady": steady}


def _steady(name: str, st: dict) -> str:
    return (f"| {name} | {st['requests']} | {st['failures']} | {st['rps']:.1f} | {st['median']:.0f} | {st['p95']:.0f} "
            f"| {st['max']:.0f} |")


def _fmt(row: dict) -> tuple:
    return (row["Name"] if row["Name"] != "Aggregated" else "**all requests**", int(row["Request Count"]),
            int(row["Failure Count"]), f"{float(row['Requests/s']):.1f}", row["50%"], row["95%"], f"{float(row['Max Response Time']):.0f}")


def run_config(label: str, url: str, instance: Path, env: dict, config: str, args) -> tuple[list[str], dict]:
    port = common.free_port()
    (instance / "gunicorn.log").unlink(missing_ok=True)
    server = gunicorn(url, instance, port, config)
    try:
        log(f"{label} {config}: /health, {args.users} users, {args.time} ...")
        health = locust(port, "HealthUser", instance / "health", env, args.users, args.spawn, args.time)
        log(f"{label} {config}: mixed scenario, {args.users} users, {args.time} ...")
        mixed = locust(port, "MixedUser", instance / "mixed", env, args.users, args.spawn, args.time)
    finally:
        server.send_signal(signal.SIGTERM)
        try:
            server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            server.kill()
    tracebacks = sum(1 for line in (instance / "gunicorn.log").read_text(errors="replace").splitlines()
                     if "Traceback" in line)
    agg_m, agg_h = mixed["steady"]["all"], health["steady"]["all"]
    failed = agg_m["failures"] + agg_h["failures"] + sum(int(r["Failure Count"]) for r in mixed["rows"]
                                                         if r["Name"] == "Aggregated")
    share = agg_m["rps"] / max(agg_h["rps"], 1e-9)
    p95 = agg_m["p95"]
    kind, workers, threads = parse_config(config)
    what = f"gunicorn {kind}, {workers} workers" + (f" × {threads} threads" if threads > 1 else "")
    summary = {"config": config, "share": share, "p95": p95, "failed": failed + tracebacks,
               "mixed": agg_m["rps"], "health": agg_h["rps"]}
    lines = [f"### {label}: {what}, {args.users} users, no think time, {args.time} each, {N_FIRMS:,} firms", "",
             f"Steady state (after every user signed in; sign-ins in their own rows below): "
             f"{health['steady']['window_s']:.0f} s of /health, {mixed['steady']['window_s']:.0f} s of the mixed scenario.",
             "", "| Scenario | Requests | Failures | Req/s | Median ms | p95 ms | Max ms |", "|---|---|---|---|---|---|---|",
             _steady("bare endpoint /health", agg_h),
             _steady("mixed (dashboard, search, firm pages, API reads, writes)", agg_m), "",
             f"Mixed = {share:.0%} of /health's req/s (goal ≥ 20 %: {'met' if share >= 0.2 else 'MISSED'}); "
             f"p95 {p95:.0f} ms (goal ≤ 100 ms: {'met' if p95 <= 100 else 'MISSED'}); "
             f"{'0 errors' if failed == 0 else f'MISSED: {failed} failed requests'}; "
             f"tracebacks in the gunicorn log: {tracebacks}.", "",
             "<details><summary>per request type (mixed, steady state; then locust's whole-run rows of the sign-in)"
             "</summary>", "",
             "| Request | Requests | Failures | Req/s | Median ms | p95 ms | Max ms |", "|---|---|---|---|---|---|---|"]
    lines += [_steady(name, st) for name, st in mixed["steady"]["by_name"].items()]
    lines += ["| " + " | ".join(str(x) for x in _fmt(r)) + " |" for r in mixed["rows"] if r["Name"].startswith("/login")]
    lines += ["", "</details>", ""]
    if mixed["failures"] or health["failures"]:
        lines += ["Failures:", ""] + [f"- {f.get('Method')} {f.get('Name')}: {f.get('Error')} × {f.get('Occurrences')}"
                                      for f in mixed["failures"] + health["failures"]] + [""]
    return lines, summary


def run_backend(label: str, url: str, work: Path, args) -> str:
    instance = work / label
    instance.mkdir(parents=True, exist_ok=True)
    log(f"{label}: seeding ...")
    token, firm_ids = seed(url, instance)
    env = {"LOAD_TOKEN": token, "LOAD_FIRM_IDS": firm_ids, "LOAD_EDITOR": f"bench_editor:{PASSWORD}",
           "LOAD_VIEWER": f"bench_viewer:{PASSWORD}", "LOAD_WAIT": str(args.wait)}
    lines, summaries = [], []
    for config in args.configs.split(","):
        more, summary = run_config(label, url, instance, env, config.strip(), args)
        lines += more
        summaries.append(summary)
    if len(summaries) > 1:
        lines += [f"#### {label}: the configurations side by side", "",
                  "| gunicorn | /health req/s | mixed req/s | mixed / health | mixed p95 ms | errors |",
                  "|---|---|---|---|---|---|"]
        lines += [f"| {s['config']} | {s['health']:.0f} | {s['mixed']:.1f} | {s['share']:.0%} | {s['p95']:.0f} "
                  f"| {s['failed']} |" for s in summaries]
        lines.append("")
    return "\n".join(lines)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--users", type=int, default=8)
    ap.add_argument("--spawn", type=int, default=8)
    ap.add_argument("--time", default="30s")
    ap.add_argument("--wait", type=float, default=0.0, help="think time: each user waits up to this many s")
    ap.add_argument("--configs", default="gthread:2x4",
                    help="gunicorn worker class:workers[xthreads], comma-separated (e.g. sync:2,sync:4,gthread:2x4)")
    ap.add_argument("--no-postgres", action="store_true")
    ap.add_argument("--no-sqlite", action="store_true")
    ap.add_argument("--no-record", action="store_true")
    args = ap.parse_args(argv)
    work = Path(tempfile.mkdtemp(prefix="yinzhou-load-"))
    sections = []
    try:
        generate.write_files(N_FIRMS, quiet=True)
        if not args.no_sqlite:
            sections.append(run_backend("SQLite", f"sqlite:///{work / 'load.db'}", work, args))
        # BENCH_PG_URL's own database when set (emptied first), else database bench_load (re)created
        pg_url = None if args.no_postgres else common.bench_pg_url("bench_load")
        if pg_url:
            sections.append(run_backend("PostgreSQL", pg_url, work, args))
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

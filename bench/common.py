"""Shared helpers of the benchmarks and the load test: throwaway app instances, machine facts."""
from __future__ import annotations

import os
import platform
import socket
import statistics
import subprocess
import sys
import time
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
RESULTS = Path(__file__).resolve().parent / "RESULTS.md"
SECRET = "bench-secret-key"
PII_KEY = "bench-pii-key"


def app_for(url: str, instance: Path):
    """A Flask app on `url` with a private instance folder (no secrets written to instance/)."""
    from composition import create_app
    instance.mkdir(parents=True, exist_ok=True)
    return create_app({"SQLALCHEMY_DATABASE_URI": url, "INSTANCE_PATH": str(instance), "LOG_LEVEL": "WARNING",
                       "SECRET_KEY": SECRET, "PII_HASH_KEY": PII_KEY})


def create_schema(app) -> None:
    """create_all + units + every domain's seeders (the plan's goals, pools, criteria)."""
    from core.db import db
    from core.seed import run_seeders, seed_units
    with app.app_context():
        db.create_all()
        seed_units()
        run_seeders()
        db.session.commit()
        db.engine.dispose()


def cli_env(url: str, instance: Path) -> dict:
    """Environment for `flask --app wsgi ...` / gunicorn subprocesses on `url`."""
    env = dict(os.environ)
    env.update(DATABASE_URL=url, INSTANCE_PATH=str(instance), SECRET_KEY=SECRET, PII_HASH_KEY=PII_KEY,
               LOG_LEVEL="WARNING", PYTHONPATH=str(ROOT))
    return env


def flask_cmd(*args: str) -> list[str]:
    return [str(BIN / "flask"), "--app", "wsgi", *args]


def pg_base_url() -> str | None:
    """postgresql://... of a reachable server (BENCH_PG_URL, else TEST_DATABASE_URL's server, else
    postgres@127.0.0.1:5432), or None."""
    url = os.environ.get("BENCH_PG_URL") or os.environ.get("TEST_DATABASE_URL") or \
        "postgresql://postgres@127.0.0.1:5432/postgres"
    if not url.startswith("postgres"):
        return None
    try:
        import psycopg
        with psycopg.connect(_psycopg(url), connect_timeout=3):
            pass
    except Exception:  # noqa: BLE001 - no server: skip the PostgreSQL part
        return None
    return url


def _psycopg(url: str) -> str:
    return url.replace("postgresql+psycopg://", "postgresql://")


def pg_database(base_url: str, name: str, *, drop: bool = True) -> str:
    """(Re)create database `name` on base_url's server; returns its postgresql+psycopg URL."""
    import psycopg
    from psycopg import sql
    with psycopg.connect(_psycopg(base_url), autocommit=True) as conn:
        if drop:
            conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    head, _sep, _db = _psycopg(base_url).rpartition("/")
    return "postgresql+psycopg://" + head.split("://", 1)[1] + "/" + name


def pg_reset(url: str) -> None:
    """Empty database `url` (its public schema dropped and made again): a benchmark's own database."""
    import psycopg
    with psycopg.connect(_psycopg(url), autocommit=True) as conn:
        conn.execute("DROP SCHEMA IF EXISTS public CASCADE")
        conn.execute("CREATE SCHEMA public")


def bench_pg_url(name: str) -> str | None:
    """The PostgreSQL database a benchmark may empty and fill: BENCH_PG_URL's database itself when set
    (emptied), else database `name` (re)created on pg_base_url()'s server; None without a server."""
    explicit = os.environ.get("BENCH_PG_URL")
    if explicit:
        url = "postgresql+psycopg://" + _psycopg(explicit).split("://", 1)[1]
        pg_reset(url)
        return url
    base = pg_base_url()
    return pg_database(base, name) if base else None


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_http(url: str, timeout: float = 60) -> None:
    import urllib.request
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        try:
            with urllib.request.urlopen(url, timeout=2) as resp:
                if resp.status == 200:
                    return
        except OSError:
            time.sleep(0.3)
    raise RuntimeError(f"{url} did not answer within {timeout} s")


def median_ms(fn, repeat: int) -> float:
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        times.append((time.perf_counter() - t0) * 1000)
    return statistics.median(times)


@contextmanager
def timed():
    box = {}
    t0 = time.perf_counter()
    yield box
    box["s"] = time.perf_counter() - t0


# ----------------------------------------------------------------------------- machine / commit

def machine() -> dict:
    cpu = platform.processor() or "?"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    ram = "?"
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal"):
                ram = f"{int(line.split()[1]) / 1024 / 1024:.1f} GB"
                break
    except OSError:
        pass
    return {"platform": platform.platform(), "python": platform.python_version(), "cpu": cpu,
            "cores": os.cpu_count(), "ram": ram}


def git_commit() -> str:
    """The checked-out commit, read from .git (no git process); in a git worktree .git is a file naming
    the worktree's directory, whose HEAD is read there and whose refs live in the common directory."""
    git = ROOT / ".git"
    try:
        refs = git
        if git.is_file():
            git = Path(git.read_text().split("gitdir:", 1)[1].strip())
            common_dir = git / "commondir"
            refs = (git / common_dir.read_text().strip()).resolve() if common_dir.exists() else git
        head = (git / "HEAD").read_text().strip()
        if not head.startswith("ref: "):
            return head[:12]
        ref = head[5:]
        path = refs / ref
        if path.exists():
            return path.read_text().strip()[:12]
        for line in (refs / "packed-refs").read_text().splitlines():
            if line.endswith(" " + ref):
                return line.split()[0][:12]
    except (OSError, IndexError):
        pass
    return "unknown"


def cpu_calibration() -> float:
    """Seconds for a pure-Python loop of 10^7 additions. This shared machine's speed drifts between
    runs, so absolute times of different runs are compared through it; ratios need not be."""
    t0 = time.perf_counter()
    total = 0
    for i in range(10 ** 7):
        total += i
    return time.perf_counter() - t0


def header(title: str) -> str:
    m = machine()
    return (f"## {title} — {datetime.now().strftime('%Y-%m-%d %H:%M')}\n\n"
            f"- machine: {m['platform']}, Python {m['python']}, CPU {m['cpu']} × {m['cores']} cores, RAM {m['ram']}\n"
            f"- CPU calibration when recorded: a pure-Python loop of 10^7 additions took {cpu_calibration():.2f} s "
            "(absolute times scale with it)\n"
            f"- commit: {git_commit()} (plus uncommitted work in progress)\n"
            f"- load average when recorded (1/5/15 min): {' / '.join(f'{x:.1f}' for x in os.getloadavg())} "
            f"— other processes were {'busy' if os.getloadavg()[1] > 1.5 else 'quiet'} on this {m['cores']}-core machine\n")


def append_results(text: str) -> None:
    if not RESULTS.exists():
        RESULTS.write_text("# Benchmark and load-test results\n\nAppended by `make bench` (bench/run.py) and "
                           "`make loadtest` (bench/loadtest.py); newest last. Numbers are what was measured, "
                           "goals missed are marked MISSED.\n\n", encoding="utf-8")
    with RESULTS.open("a", encoding="utf-8") as fh:
        fh.write(text.rstrip() + "\n\n")


def run(cmd, **kw) -> subprocess.CompletedProcess:
    return subprocess.run(cmd, check=False, capture_output=True, text=True, **kw)

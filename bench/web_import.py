"""`python -m bench.web_import [--rows 250000]`: a long import through the web pages, as a user makes it.

A file-shaped firm list of ~38 MB (250,000 rows; bench.generate's firms with the columns a registry
extract carries, without the long business scope) is uploaded to `flask run` (one process, no scheduler,
as `make run` serves) on a fresh SQLite file; the preview job's page is polled once a second as the
browser does, the import confirmed, the commit job polled to its end. Prints the time of every phase
and the slowest request of each kind: no request may take the worker's time (the jobs run off it).
"""
from __future__ import annotations

import argparse
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bench import common, generate

COLUMNS = ("统一社会信用代码", "企业名称", "成立日期", "注册资本", "法定代表人", "所属行业", "所属街道/镇", "园区",
           "产业类别", "规上", "高新技术企业", "上市")
PASSWORD = "password123"


def log(msg: str) -> None:
    print(f"[web_import {time.strftime('%H:%M:%S')}] {msg}", file=sys.stderr, flush=True)


def firm_file(rows: int, path: Path) -> int:
    data = generate._csv_bytes(COLUMNS, ([f[c] for c in COLUMNS] for f in generate.firms(rows, seed=250)))
    path.write_bytes(data)
    return len(data)


class Client:
    """requests with a timer per request kind."""

    def __init__(self, base: str):
        import requests
        self.base, self.http, self.times = base, requests.Session(), {}

    def call(self, what: str, method: str, path: str, **kw):
        started = time.perf_counter()
        resp = self.http.request(method, self.base + path, allow_redirects=False, timeout=600, **kw)
        took = time.perf_counter() - started
        self.times.setdefault(what, []).append(took)
        if took > 1:
            log(f"  slow: {what} {path} {took:.2f} s")
        return resp

    def csrf(self, path: str) -> str:
        html = self.call("page", "GET", path).text
        return re.search(r'name="csrf_token" (?:type="hidden" )?value="([^"]+)"', html).group(1)

    def follow(self, what: str, job_url: str) -> dict:
        """Poll the job's status once a second (as static/js/import_job.js does) until it ends."""
        last = None
        while True:
            status = self.call(what, "GET", job_url + "/status").json()
            if (status["phase"], status["read"], status["validated"], status["written"]) != last:
                last = (status["phase"], status["read"], status["validated"], status["written"])
                log(f"  {status['state']:8} {status['phase']:10} read {status['read']:>7} "
                    f"validated {status['validated']:>7} written {status['written']:>7} / {status['total']}")
            if status["state"] in ("done", "failed"):
                return status
            time.sleep(1)


def main(argv: list[str]) -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=250_000)
    args = parser.parse_args(argv)
    work = Path(tempfile.mkdtemp(prefix="web-import-"))
    try:
        run(work, args.rows)
    finally:
        shutil.rmtree(work, ignore_errors=True)


def run(work: Path, rows: int) -> None:
    instance, csv_path = work / "instance", work / "firms.csv"
    url = f"sqlite:///{work / 'web.db'}"
    log(f"generating {rows} firms")
    size = firm_file(rows, csv_path)
    log(f"file: {size / 1e6:.1f} MB")
    app = common.app_for(url, instance)
    common.create_schema(app)
    env = common.cli_env(url, instance)
    subprocess.run(common.flask_cmd("users", "create", "web_editor", "--unit", "jxj", "--role", "editor",
                                    "--password-stdin"), input=PASSWORD + "\n", text=True, env=env, check=True,
                   cwd=common.ROOT, capture_output=True)
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    server = subprocess.Popen(common.flask_cmd("run", "--port", str(port)), env=env, cwd=common.ROOT,
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        base = f"http://127.0.0.1:{port}"
        for _ in range(100):
            try:
                import requests
                requests.get(base + "/health", timeout=1)
                break
            except Exception:  # noqa: BLE001 - not up yet
                time.sleep(0.2)
        measure(Client(base), csv_path, rows)
    finally:
        server.terminate()
        server.wait(timeout=30)


def measure(client: Client, csv_path: Path, rows: int) -> None:
    token = client.csrf("/login")
    client.call("login", "POST", "/login", data={"username": "web_editor", "password": PASSWORD, "csrf_token": token})
    token = client.csrf("/imports/firms")
    started = time.perf_counter()
    with csv_path.open("rb") as fh:
        resp = client.call("upload (POST preview)", "POST", "/imports/firms/preview",
                           data={"csrf_token": token}, files={"file": ("企业名单.csv", fh, "text/csv")})
    assert resp.status_code == 303, resp.text[:500]
    job_url = resp.headers["Location"]
    client.call("job page", "GET", job_url)
    status = client.follow("status poll", job_url)
    preview_done = time.perf_counter()
    log(f"preview {status['state']} after {preview_done - started:.1f} s")
    html = client.call("job page", "GET", job_url).text
    assert status["state"] == "done" and 'id="import-commit"' in html, html[:2000]
    stash_token = re.search(r'name="token" type="hidden" value="([^"]+)"', html).group(1)
    csrf = re.search(r'name="csrf_token" (?:type="hidden" )?value="([^"]+)"', html).group(1)
    resp = client.call("confirm (POST commit)", "POST", "/imports/firms/commit",
                       data={"csrf_token": csrf, "token": stash_token})
    assert resp.status_code == 303, resp.text[:500]
    commit_url = resp.headers["Location"]
    client.call("job page", "GET", commit_url)
    status = client.follow("status poll", commit_url)
    done = time.perf_counter()
    html = client.call("job page", "GET", commit_url).text
    assert status["state"] == "done" and "导入完成" in html, html[:2000]
    client.call("my imports", "GET", "/imports/jobs")
    log(f"commit done after {done - preview_done:.1f} s; total {done - started:.1f} s for {rows} rows")
    print("| request | count | median ms | max ms |\n|---|---|---|---|")
    for what, times in client.times.items():
        times = sorted(times)
        print(f"| {what} | {len(times)} | {1000 * times[len(times) // 2]:.0f} | {1000 * times[-1]:.0f} |")
    slowest = max(t for times in client.times.values() for t in times)
    print(f"preview {preview_done - started:.1f} s, commit {done - preview_done:.1f} s, "
          f"slowest request {1000 * slowest:.0f} ms")


if __name__ == "__main__":
    main(sys.argv[1:])

"""Locust scenario of the load test (run by bench/loadtest.py; 127.0.0.1 only).

MixedUser: a bureau user signed in through the login form — dashboard (/goals/), firm search, firm
pages, API reads with a bearer token, and some writes (annual facts through the form, firm address
through the API PATCH with its version; a 409 "changed meanwhile" is a correct answer to a race and
counts as a success). HealthUser: only /health, the bare endpoint measured the same way.

Both use locust's FastHttpUser (geventhttpclient): plain HttpUser (requests) stalls near 160 req/s on this
machine, so it measured the client, not the server. LOAD_WAIT ("0" by default: no think time, every user
sends its next request as soon as the answer came) is the upper bound of a random wait in seconds.

Steady state: locust's own table counts the sign-ins too (scrypt hashing, seconds when 8 users sign in at
once on a busy machine). With LOAD_STATS_OUT set, this file also writes a JSON summary of the requests
made after every user finished signing in, /login rows left out (see `_write_summary`): that window is
what bench/loadtest.py reports as the scenario; the sign-in keeps its own row.

Environment: LOAD_EDITOR / LOAD_VIEWER ("name:password"), LOAD_TOKEN (bearer token of the editor),
LOAD_FIRM_IDS ("first-last").
"""
import itertools
import json
import os
import random
import re
import statistics
import time
from urllib.parse import urlencode

from locust import between, constant, events, task
from locust.contrib.fasthttp import FastHttpSession, FastHttpUser

FRAGMENTS = ("瑞博", "电子科技", "宁波华", "机械", "甬", "新材料", "信息技术", "鑫", "有限公司", "智能装备")
CSRF = re.compile(r'name="csrf_token" (?:type="hidden" )?value="([^"]+)"')
FIRST, LAST = (int(x) for x in os.environ.get("LOAD_FIRM_IDS", "1-10000").split("-"))
TOKEN = os.environ.get("LOAD_TOKEN", "")
WAIT = float(os.environ.get("LOAD_WAIT", "0"))
WAIT_TIME = between(WAIT / 5, WAIT) if WAIT > 0 else constant(0)


STATS_OUT = os.environ.get("LOAD_STATS_OUT")
_SAMPLES: list[tuple[float, str, float, bool]] = []
_USER_NUMBERS = itertools.count()
_STEADY = {"started": 0, "at": None}


@events.request.add_listener
def _on_request(request_type, name, response_time, response_length, exception=None, **_kw):
    _SAMPLES.append((time.time(), f"{request_type} {name}", response_time, exception is not None))


def _user_ready(environment) -> None:
    _STEADY["started"] += 1
    runner = environment.runner
    if _STEADY["at"] is None and runner is not None and _STEADY["started"] >= runner.target_user_count:
        _STEADY["at"] = time.time()


def _pct(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(p * (len(ordered) - 1))))] if ordered else 0.0


@events.test_stop.add_listener
def _write_summary(environment, **_kw):
    """Requests after every user was signed in (sign-ins left out): count, failures, req/s, percentiles."""
    if not STATS_OUT:
        return
    start = _STEADY["at"] or (min(t for t, *_ in _SAMPLES) if _SAMPLES else time.time())
    rows = [r for r in _SAMPLES if r[0] >= start and "/login" not in r[1]]
    end = max((t for t, *_ in rows), default=start)
    span = max(end - start, 1e-6)

    def stats(items):
        times = [r[2] for r in items]
        return {"requests": len(items), "failures": sum(1 for r in items if r[3]), "rps": len(items) / span,
                "median": statistics.median(times) if times else 0.0, "p95": _pct(times, 0.95),
                "max": max(times, default=0.0)}
    names = sorted({r[1] for r in rows})
    with open(STATS_OUT, "w", encoding="utf-8") as fh:
        json.dump({"window_s": span, "all": stats(rows),
                   "by_name": {n: stats([r for r in rows if r[1] == n]) for n in names}}, fh)


def _account(var: str, default: str) -> tuple[str, str]:
    name, _sep, password = os.environ.get(var, default).partition(":")
    return name, password


class MixedUser(FastHttpUser):
    wait_time = WAIT_TIME
    weight = 1

    def on_start(self):
        # every third user an editor (3 of 8): the same share of writes in every run, not a random draw
        # (a run whose 8 draws gave no editor measured no facts writes at all)
        self.editor = next(_USER_NUMBERS) % 3 == 0
        name, password = _account("LOAD_EDITOR" if self.editor else "LOAD_VIEWER",
                                  "bench_editor:password123" if self.editor else "bench_viewer:password123")
        page = self.client.get("/login", name="/login").text
        token = CSRF.search(page).group(1)
        with self.client.post("/login", data={"username": name, "password": password, "csrf_token": token},
                               allow_redirects=False, name="/login [POST]", catch_response=True) as resp:
            if resp.status_code != 302:
                resp.failure(f"login refused: {resp.status_code}")
        self.api = {"Authorization": f"Bearer {TOKEN}"}
        # API clients send no session cookie (with one, the CSRF check applies and refuses the write)
        self.api_client = FastHttpSession(base_url=self.host, request_event=self.environment.events.request,
                                          user=self)
        _user_ready(self.environment)

    def _firm_id(self) -> int:
        return random.randint(FIRST, LAST)

    @task(3)
    def dashboard(self):
        self.client.get("/goals/", name="/goals/ (dashboard)")

    @task(5)
    def search(self):
        self.client.get("/registry/?" + urlencode({"q": random.choice(FRAGMENTS)}), name="/registry/?q= (search)")

    @task(5)
    def firm_page(self):
        self.client.get(f"/registry/firms/{self._firm_id()}", name="/registry/firms/[id]")

    @task(2)
    def api_firm_search(self):
        self.api_client.get("/api/v1/firms?" + urlencode({"q": random.choice(FRAGMENTS)}), headers=self.api,
                        name="/api/v1/firms?q=")

    @task(2)
    def api_firm(self):
        self.api_client.get(f"/api/v1/firms/{self._firm_id()}", headers=self.api, name="/api/v1/firms/[id]")

    @task(1)
    def api_goals(self):
        self.api_client.get("/api/v1/goals", headers=self.api, name="/api/v1/goals")

    @task(1)
    def write_facts(self):
        if not self.editor:
            return
        firm = self._firm_id()
        page = self.client.get(f"/registry/firms/{firm}/facts?year=2024", name="/registry/firms/[id]/facts").text
        token = CSRF.search(page).group(1)
        data = {"csrf_token": token, "year": "2024", "revenue": str(random.randint(1000, 90000)),
                "employees": str(random.randint(10, 900))}
        with self.client.post(f"/registry/firms/{firm}/facts", data=data, allow_redirects=False,
                              name="/registry/firms/[id]/facts [POST]", catch_response=True) as resp:
            if resp.status_code != 302:
                resp.failure(f"fact form not saved: {resp.status_code}")

    @task(1)
    def api_patch_firm(self):
        firm = self._firm_id()
        got = self.api_client.get(f"/api/v1/firms/{firm}", headers=self.api, name="/api/v1/firms/[id]")
        if got.status_code != 200:
            return
        body = {"version": got.json()["version"], "address": f"浙江省宁波市鄞州区首南中路{random.randint(1, 999)}号"}
        with self.api_client.patch(f"/api/v1/firms/{firm}", json=body, headers=self.api,
                               name="/api/v1/firms/[id] [PATCH]", catch_response=True) as resp:
            if resp.status_code in (200, 409):
                resp.success()
            else:
                resp.failure(f"PATCH answered {resp.status_code}")


class HealthUser(FastHttpUser):
    wait_time = WAIT_TIME
    weight = 1

    def on_start(self):
        _user_ready(self.environment)

    @task
    def health(self):
        self.client.get("/health", name="/health")

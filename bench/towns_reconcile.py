"""`python -m bench.towns_reconcile [--size N] [--pg]`: issue 14's timings at N generated firms.

1. every computed goal by town (and by park) as of today: placing every record (the way before the
   metrics' SQL aggregates, `aggregates=False`) against the aggregates, checked to give the same
   numbers; one town's page; the plain roll-up of the same goals;
2. reconciling a 10,000-name list (6,000 registry names with the usual noise, 2,000 with one
   character changed, 2,000 unknown) against the high-growth pool: reading + matching.
A fresh SQLite file (or a fresh PostgreSQL database with --pg), firms bulk-inserted by bench.generate,
10 % of them without a town.
"""
from __future__ import annotations

import argparse
import os
import random
import statistics
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

from bench import common, generate


def _median_s(fn, repeat: int = 3) -> float:
    runs = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        runs.append(time.perf_counter() - start)
    return statistics.median(runs)


def _noisy(name: str, rng: random.Random) -> str:
    kind = rng.randrange(5)
    if kind == 0:
        return f" {name[:3]} {name[3:]}※"
    if kind == 1:
        return name.replace("有限公司", "有限责任公司")
    if kind == 2:
        return f"{rng.randint(1, 999)}、{name}注1"
    if kind == 3:
        return name.removeprefix("宁波")
    return name + "①"


def _list(names: list[str], rng: random.Random) -> str:
    picked = rng.sample(names, 8000)
    lines = [_noisy(n, rng) for n in picked[:6000]]
    for n in picked[6000:]:
        i = rng.randrange(3, max(4, len(n) - 4))
        lines.append(n[:i] + "鑫" + n[i + 1:])
    lines += [f"宁波未登记{i:05d}号商贸有限公司" for i in range(2000)]
    rng.shuffle(lines)
    return "\n".join(lines)


def main(argv: list[str]) -> None:
    args = argparse.ArgumentParser()
    args.add_argument("--size", type=int, default=10_000)
    args.add_argument("--pg", action="store_true")
    opts = args.parse_args(argv)
    tmp = Path(tempfile.mkdtemp(prefix="bench-towns-"))
    url = common.pg_database(common.pg_base_url(), "bench_towns_reconcile") if opts.pg else f"sqlite:///{tmp / 'b.db'}"
    app = common.app_for(url, tmp / "instance")
    common.create_schema(app)
    with app.app_context():
        _run(opts.size)


def _run(n: int) -> None:
    from core.db import db, refresh_statistics
    from goals import rollup, towns
    from registry import reference, service
    from registry.models import Firm
    from registry.reconcile import read_list, reconcile
    generate.bulk_firms(n)
    generate.seed_related(n)
    db.session.execute(db.text("UPDATE registry_firms SET town_code = NULL WHERE id % 10 = 0"))
    db.session.commit()
    refresh_statistics()
    today = date.today()
    goals = [g for g in db.session.scalars(rollup.goals_query()) if g.kind == "computed"]
    print(f"{n:,} firms, {len(goals)} computed goals, {db.engine.dialect.name}")
    print(f"load average before: {_load()}")
    print(f"roll-up of the computed goals      {_median_s(lambda: rollup.rollup_rows(today, goals=goals)):.2f} s")
    for by in ("town", "park"):
        slow = _median_s(lambda: towns.breakdown(today, by, aggregates=False))
        fast = _median_s(lambda: towns.breakdown(today, by))
        print(f"breakdown by {by}, every goal      records {slow:.2f} s   aggregates {fast:.2f} s")
    town = reference.towns()[0][0]
    print(f"a town's page data ({town})     {_median_s(lambda: towns.town_detail(town, today)):.2f} s")
    rows, before = towns.breakdown(today, "town"), towns.breakdown(today, "town", aggregates=False)
    same = all((a.mode, a.total, a.values) == (b.mode, b.total, b.values) for a, b in zip(rows, before))
    ok = all(towns.parts_total(r) == r.total for r in rows if r.additive)
    print(f"aggregates give the records' numbers: {same}; additive goals whose parts add up: {ok} "
          f"({sum(r.additive for r in rows)} of {len(rows)})")
    names = list(db.session.scalars(db.select(Firm.name)))
    text = _list(names, random.Random(14))
    pool = service.pool_by_key("high_growth")
    start = time.perf_counter()
    rec = reconcile(pool, read_list(pasted=text), today, "基准名单")
    print(f"reconcile 10,000 names             {time.perf_counter() - start:.2f} s  {rec.counts()}")
    print(f"load average after: {_load()}")


def _load() -> str:
    return " ".join(f"{x:.2f}" for x in os.getloadavg())


if __name__ == "__main__":
    main(sys.argv[1:])

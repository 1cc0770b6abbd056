"""Jobs: nightly snapshots (one per goal per day, even with two schedulers), reminders, data quality."""
import os
import subprocess
import sys
import threading
from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import func, select

from core import scheduler
from core.db import db
from core.scheduler import JobRun
from goals import jobs, service
from goals.models import DataQualityIssue, GoalSnapshot, Notification

ROOT = Path(__file__).resolve().parents[2]
NIGHT = date(2019, 6, 30)


def _snapshots(day=NIGHT):
    return db.session.scalar(select(func.count(GoalSnapshot.id)).where(GoalSnapshot.day == day))


def test_jobs_registered(app):
    assert {"goals.snapshot", "goals.reminders", "goals.data_quality"} <= set(scheduler.jobs())


def test_snapshot_job_twice_one_snapshot(app, champion_firms):
    first = scheduler.run_job("goals.snapshot", NIGHT)
    assert first.status == "ok", first.summary
    count = _snapshots()
    assert count > 0
    assert scheduler.run_job("goals.snapshot", NIGHT) is None
    assert _snapshots() == count


def test_snapshot_insert_itself_idempotent(app, champion_firms):
    first = service.snapshot_all(NIGHT)
    db.session.commit()
    assert first > 0 and service.snapshot_all(NIGHT) == 0
    db.session.commit()
    assert _snapshots() == first


def test_snapshot_value_is_the_as_of_actual(app, champion_firms, goal):
    service.snapshot_all(date(2018, 12, 31))
    db.session.commit()
    g = goal("single_champion_pool")
    snap = db.session.scalars(select(GoalSnapshot).where(GoalSnapshot.goal_id == g.id)).one()
    assert snap.value == 2


@pytest.fixture
def file_app(tmp_path):
    """An app on a SQLite file, so that threads and processes share one database."""
    if os.environ.get("TEST_DATABASE_URL"):
        from tests.conftest import make_app
        url = os.environ["TEST_DATABASE_URL"]
        app = make_app(tmp_path)
    else:
        from tests.conftest import make_app
        url = f"sqlite:///{tmp_path / 'jobs.db'}"
        app = make_app(tmp_path, SQLALCHEMY_DATABASE_URI=url)
    with app.app_context():
        db.create_all()
        from core.seed import run_seeders, seed_units
        seed_units()
        run_seeders()
        db.session.commit()
    yield app, url
    with app.app_context():
        if os.environ.get("TEST_DATABASE_URL"):
            from tests.conftest import _truncate_all
            _truncate_all()
        db.session.remove()
        db.engine.dispose()


def _count_in(app):
    with app.app_context():
        snaps = db.session.scalar(select(func.count(GoalSnapshot.id)).where(GoalSnapshot.day == NIGHT))
        per_goal = db.session.execute(select(GoalSnapshot.goal_id, func.count()).group_by(
            GoalSnapshot.goal_id, GoalSnapshot.day).having(func.count() > 1)).all()
        runs = db.session.scalar(select(func.count(JobRun.id)).where(JobRun.job == "goals.snapshot"))
        return snaps, per_goal, runs


def test_two_scheduler_threads_same_night(file_app):
    app, _url = file_app
    results, barrier = [], threading.Barrier(2)

    def worker():
        with app.app_context():
            barrier.wait()
            run = scheduler.run_job("goals.snapshot", NIGHT)
            results.append(None if run is None else run.status)
            db.session.remove()

    threads = [threading.Thread(target=worker) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert sorted(map(str, results)) == ["None", "ok"]
    snaps, dupes, runs = _count_in(app)
    assert snaps > 0 and dupes == [] and runs == 1


def test_two_scheduler_processes_same_night(file_app, tmp_path):
    app, url = file_app
    env = dict(os.environ, DATABASE_URL=url, SECRET_KEY="x", PII_HASH_KEY="y", LOG_LEVEL="WARNING",
               INSTANCE_PATH=str(tmp_path / "instance"))
    cmd = [sys.executable, "-m", "flask", "--app", "wsgi", "run-job", "goals.snapshot", "--date", NIGHT.isoformat()]
    procs = [subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
             for _ in range(2)]
    outs = [p.communicate(timeout=120) for p in procs]
    assert all(p.returncode == 0 for p in procs), outs
    texts = sorted(o[0].strip() for o in outs)
    assert texts[0] == "already done for this period" and texts[1].startswith("ok:"), texts
    snaps, dupes, runs = _count_in(app)
    assert snaps > 0 and dupes == [] and runs == 1


# --------------------------------------------------------------------------- reminders

def test_reminders_per_unit_once(app, goal, make_user):
    day = date(2019, 2, 11)          # 2018 is due
    summary = jobs.reminder_job("2019-W07", day)
    db.session.commit()
    assert "units reminded" in summary
    notes = list(db.session.scalars(select(Notification)))
    units = {n.unit.code for n in notes}
    assert {"jxj", "hbj", "scjgj", "kjj"} <= units
    assert len(notes) == len(units)                       # one per unit
    jxj = next(n for n in notes if n.unit.code == "jxj")
    assert "数控化率" in jxj.message and "（2018）" in jxj.message
    jobs.reminder_job("2019-W07", day)
    db.session.commit()
    assert db.session.scalar(select(func.count(Notification.id))) == len(notes)


def test_no_reminder_once_submitted(app, goal, editor):
    service.save_report(goal("nc_rate"), period="2018", value="65", note="", actor=editor, unit=editor.unit,
                        today=date(2019, 2, 11))
    db.session.commit()
    due = jobs.overdue(date(2019, 2, 11))
    jxj_goals = [g.key for unit, items in due.items() if unit.code == "jxj" for g, _p in items]
    assert "nc_rate" not in jxj_goals and "machine_networking_rate" in jxj_goals
    assert jobs.overdue(date(2026, 2, 1)).get("nc_rate") is None   # past the goal's last target year


def test_reminder_mail_only_with_smtp(app, monkeypatch):
    sent = []

    class FakeSMTP:
        def __init__(self, host, port, timeout):
            sent.append(host)

        def __enter__(self):
            return self

        def __exit__(self, *a):
            return False

        def send_message(self, msg):
            sent.append(msg["To"])

    monkeypatch.setattr(jobs.smtplib, "SMTP", FakeSMTP)
    app.config["GOALS_UNIT_EMAILS"] = {"jxj": ["jxj@example.gov.cn"]}
    jobs.reminder_job("2019-W07", date(2019, 2, 11))
    assert sent == []                                      # no SMTP_HOST
    db.session.rollback()
    app.config["SMTP_HOST"] = "mail.intranet"
    summary = jobs.reminder_job("2019-W08", date(2019, 2, 18))
    assert sent == ["mail.intranet", "jxj@example.gov.cn"] and "1 e-mails" in summary


# --------------------------------------------------------------------------- data quality

def test_data_quality_scan(app, admin, champion_firms):
    from registry import service as reg
    from registry.uscc import generate
    code = generate(org_prefix="MA2Q")
    bad = code[:-1] + ("0" if code[-1] != "0" else "1")
    firm = reg.create_firm(admin, uscc=bad, name="校验失败但真实的公司", code_override_reason="营业执照核实")
    firms, _m = champion_firms
    reg.upsert_fact(admin, firms[0], 2018, revenue="1000")
    db.session.commit()
    summary = jobs.quality_job("2019-06-30", date(2019, 6, 30))
    issues = list(db.session.scalars(select(DataQualityIssue)))
    kinds = {(i.kind, i.firm_name) for i in issues}
    assert ("code_override", firm.name) in kinds
    assert ("missing_facts", "丙电子科技有限公司") in kinds      # in the pool, no 2018 facts
    assert ("missing_facts", "甲精密机械有限公司") not in kinds   # has 2018 facts
    assert ("missing_facts", "乙新材料股份有限公司") not in kinds  # left the pool
    assert "code_override=1" in summary
    jobs.quality_job("2019-06-30", date(2019, 6, 30))          # same day again: replaced, not doubled
    assert db.session.scalar(select(func.count(DataQualityIssue.id))) == len(issues)


def test_long_tenancy_found(app, admin):
    inc = pytest.importorskip("incubation.service")
    from registry.uscc import generate
    carrier = inc.create_carrier(admin, name="鄞州众创空间", carrier_type="众创空间", level="区级",
                                 opened_on=date(2014, 1, 1))
    db.session.flush()
    inc.register_tenancy(admin, carrier=carrier, uscc=generate(org_prefix="MA2T"), firm_name="老孵化企业",
                         entered_on=date(2015, 3, 1))
    inc.register_tenancy(admin, carrier=carrier, uscc=generate(org_prefix="MA2U"), firm_name="新孵化企业",
                         entered_on=date(2018, 3, 1))
    db.session.commit()
    jobs.scan(date(2019, 6, 30))
    names = {i.firm_name for i in db.session.scalars(select(DataQualityIssue).where(
        DataQualityIssue.kind == "long_tenancy"))}
    assert names == {"老孵化企业"}

"""Jobs that recover: a killed run's period is taken over after its lease, failed runs are retried
with backoff and shown to administrators, and `run-job` reruns a failed period."""
from datetime import date, timedelta

import pytest
from sqlalchemy import select

from core import scheduler
from core.dates import as_utc
from core.db import db, utcnow
from core.scheduler import Job, JobRun, retry_due, run_job

DAY = date(2026, 3, 2)


@pytest.fixture
def flaky(app):
    """A job that fails while `state["fail"]` is true; registered for this test only."""
    state = {"fail": True, "calls": 0}

    def func(period, today):
        state["calls"] += 1
        if state["fail"]:
            raise RuntimeError("源数据暂不可用")
        return f"done {period}"
    scheduler.register_jobs([Job("test.flaky", func, cron={"hour": 1})])
    yield state
    scheduler._JOBS.pop("test.flaky", None)


def _run():
    return db.session.scalars(select(JobRun).where(JobRun.job == "test.flaky")).one()


def _claim_killed(minutes_ago: int):
    """What a scheduler killed after claiming leaves behind: a "running" row and nothing else."""
    db.session.add(JobRun(job="test.flaky", period=DAY.isoformat(), run_date=DAY, status="running",
                          started_at=utcnow() - timedelta(minutes=minutes_ago),
                          lease_until=utcnow() + timedelta(minutes=120 - minutes_ago)))
    db.session.commit()


def test_a_killed_claim_is_taken_over_after_its_lease(app, flaky):
    flaky["fail"] = False
    _claim_killed(minutes_ago=30)
    assert run_job("test.flaky", DAY) is None          # still within its lease: maybe alive
    assert retry_due() == []
    db.session.execute(scheduler.update(JobRun).values(lease_until=utcnow() - timedelta(seconds=1)))
    db.session.commit()
    [run] = retry_due()                                 # the scheduler's sweep takes the period over
    assert (run.status, run.attempts, run.summary, run.lease_until) == ("ok", 2, "done 2026-03-02", None)
    assert flaky["calls"] == 1


def test_a_claim_from_before_leases_counts_from_its_start(app, flaky):
    flaky["fail"] = False
    db.session.add(JobRun(job="test.flaky", period=DAY.isoformat(), status="running",
                          started_at=utcnow() - timedelta(days=1)))
    db.session.commit()
    run = run_job("test.flaky", DAY)
    assert run.status == "ok" and run.attempts == 2


def test_failures_are_retried_with_backoff_then_left_to_a_person(app, flaky):
    run = run_job("test.flaky", DAY)
    assert (run.status, run.attempts) == ("failed", 1) and "源数据暂不可用" in run.summary
    first_wait = as_utc(run.next_try_at) - utcnow()
    assert timedelta(minutes=9) < first_wait <= timedelta(minutes=10)
    assert run_job("test.flaky", DAY) is None and retry_due() == []     # not due yet
    for attempt in (2, 3):
        _make_due()
        [run] = retry_due()
        assert (run.status, run.attempts) == ("failed", attempt)
    assert run.next_try_at is None                      # JOB_MAX_ATTEMPTS reached: no more automatic tries
    _make_due()
    assert retry_due() == []
    assert flaky["calls"] == 3


def test_backoff_doubles(app, flaky):
    run_job("test.flaky", DAY)
    _make_due()
    [run] = retry_due()
    wait = as_utc(run.next_try_at) - utcnow()
    assert timedelta(minutes=19) < wait <= timedelta(minutes=20)


def _make_due():
    db.session.execute(scheduler.update(JobRun).where(JobRun.next_try_at.is_not(None))
                       .values(next_try_at=utcnow() - timedelta(seconds=1)))
    db.session.commit()


def test_run_job_reruns_a_failed_period(app, flaky):
    runner = app.test_cli_runner()
    res = runner.invoke(args=["run-job", "test.flaky", "--date", "2026-03-02"])
    assert res.exit_code == 1 and res.output.startswith("failed: RuntimeError")
    flaky["fail"] = False
    res = runner.invoke(args=["run-job", "test.flaky", "--date", "2026-03-02"])
    assert res.exit_code == 0 and res.output.strip() == "ok: done 2026-03-02 (attempt 2)"
    res = runner.invoke(args=["run-job", "test.flaky", "--date", "2026-03-02"])
    assert "already done" in res.output and flaky["calls"] == 2
    assert _run().status == "ok"


def test_run_job_refuses_a_bad_date(app, flaky):
    res = app.test_cli_runner().invoke(args=["run-job", "test.flaky", "--date", "2026-02-30"])
    assert res.exit_code == 2 and "not a date" in res.output
    assert db.session.scalars(select(JobRun)).all() == []


def test_admins_see_failed_runs_and_their_retries(app, flaky, admin, login):
    run_job("test.flaky", DAY)
    html = login(admin).get("/admin/jobs").get_data(as_text=True)
    assert "失败的运行" in html and "源数据暂不可用" in html and "自动重试" in html
    assert ">failed<" not in html                      # the status in words, not its key

"""Admin pages of goals/: targets (with revision history), thresholds, jobs, data quality."""
from flask import abort, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select

from core import scheduler
from core.db import db
from core.permissions import ensure, get_in_scope_or_404, requires
from core.saving import act, save
from core import dates
from goals import definition, jobs, service
from goals import rollup as ru
from goals.forms import EmptyForm, TargetForm, ThresholdForm, YearTargetForm
from goals.models import GoalTarget, StatusThreshold
from goals.views import bp, goal_or_404, lang


@bp.route("/targets/<int:tid>/edit", methods=["GET", "POST"])
@requires("goals.target")
def target_edit(tid):
    target = get_in_scope_or_404(GoalTarget, tid, "goals.target")
    form = TargetForm()
    if not form.is_submitted():
        form.value.data = _plain(target.value)
        form.value_max.data = _plain(target.value_max)
        form.version.data = target.version
    elif form.validate() and save(form, lambda: service.revise_target(
            target, value=form.value.data, value_max=form.value_max.data, note=form.note.data, actor=current_user),
            record=target):
        flash(_("目标值已修改，修改记录已保存"), "success")
        return redirect(url_for("goals.goal_detail", key=target.goal.key))
    return render_template("goals/target_edit.html", target=target, form=form, lang=lang())


@bp.route("/g/<key>/targets", methods=["GET", "POST"])
@requires("goals.target")
def target_set(key):
    """Set a goal's target for a year (interim years, or a goal without one), with the history."""
    goal = goal_or_404(key)
    ensure("goals.target", goal)
    form = YearTargetForm()
    if form.validate_on_submit() and save(form, lambda: service.set_target(
            goal, year=form.year.data, value=form.value.data, value_max=form.value_max.data,
            note=form.note.data, actor=current_user)):
        flash(_("目标已设定，修改记录已保存"), "success")
        return redirect(url_for("goals.target_set", key=goal.key))
    return render_template("goals/target_set.html", goal=goal, form=form, lang=lang(),
                           definition=definition.paragraphs(goal, ru.main_target(goal, dates.today())))


def _plain(value):
    if value is None:
        return ""
    return format(value.normalize(), "f")


@bp.route("/admin/thresholds")
@requires("goals.admin")
def threshold_list():
    rules = list(db.session.scalars(select(StatusThreshold).order_by(StatusThreshold.position)))
    forms = {}
    for rule in rules:
        form = ThresholdForm(prefix=f"t{rule.id}")
        if not form.is_submitted() and rule.min_ratio is not None:
            form.min_ratio.data = _plain(rule.min_ratio)
        forms[rule.id] = form
    return render_template("goals/threshold_list.html", rules=rules, forms=forms, lang=lang())


@bp.route("/admin/thresholds/<int:rid>", methods=["POST"])
@requires("goals.admin")
def threshold_update(rid):
    rule = db.session.get(StatusThreshold, rid)
    if rule is None:
        abort(404)
    form = ThresholdForm(prefix=f"t{rule.id}")
    if not form.validate_on_submit():
        flash(_("请填写阈值"), "danger")
    elif act(lambda: service.update_threshold(rule, min_ratio=form.min_ratio.data, actor=current_user)):
        flash(_("阈值已保存"), "success")
    return redirect(url_for("goals.threshold_list"))


@bp.route("/admin/jobs")
@requires("goals.admin")
def job_list():
    return render_template("goals/job_list.html", runs=scheduler.last_runs(), form=EmptyForm(), lang=lang())


@bp.route("/admin/jobs/<name>/run", methods=["POST"])
@requires("goals.admin")
def job_run(name):
    if name not in scheduler.jobs():
        abort(404)
    if not EmptyForm().validate_on_submit():
        abort(400)
    run = scheduler.run_job(name)
    if run is None:
        flash(_("该任务本期已运行过"), "info")
    else:
        flash(_("任务已运行：%(s)s %(m)s", s=run.status, m=run.summary), "success" if run.status == "ok" else "danger")
    return redirect(url_for("goals.job_list"))


@bp.route("/admin/quality")
@requires("goals.admin")
def quality_list():
    day, issues = jobs.latest_issues()
    return render_template("goals/quality_list.html", day=day, issues=issues, today=dates.today(), lang=lang())

"""Goal pages added for the daily workspace: the comment (分析与建议) form of a goal."""
from flask import flash, jsonify, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from core import dates
from core.permissions import ALL_UNITS, ensure, requires, unit_scope
from core.saving import save
from goals import comments, home
from goals.forms import CommentForm
from goals.views import bp, goal_or_404, lang


@bp.route("/headline-trends.json")
@requires("goals.view")
def headline_trends():
    """The home page's headline cards' trends, recomputed from the dated records (cached per data version)."""
    return jsonify(home.headline_trends(dates.today()))


@bp.route("/g/<key>/comment", methods=["GET", "POST"])
@requires("goals.comment")
def goal_comment(key):
    goal = goal_or_404(key)
    ensure("goals.comment", goal)
    form = CommentForm()
    units = _writing_units(goal)
    form.unit.choices = [(u.code, u.name_en if lang() == "en" and u.name_en else u.name_zh) for u in units]
    if request.method == "GET" or (len(units) == 1 and not form.unit.data):   # one unit: the field is not shown
        form.unit.data = request.args.get("unit") or (units[0].code if units else None)
    if request.method == "GET":
        _fill(form, goal, request.args.get("period") or comments.period_of(dates.today()), units)
    if form.validate_on_submit() and save(form, lambda: comments.save_comment(
            goal, period=form.period.data, text=form.text.data, unit=_chosen(units, form.unit.data),
            actor=current_user, version=int(form.version.data) if (form.version.data or "").isdigit() else None)):
        flash(_("分析与建议已保存"), "success")
        return redirect(url_for("goals.goal_detail", key=goal.key) + "#goal-comments")
    return render_template("goals/comment_form.html", goal=goal, form=form, lang=lang(),
                           history=comments.comments_of(goal))


def _writing_units(goal) -> list:
    """The responsible units the current user writes the goal's analysis for: its own unit, or any of
    them for a user whose goals.comment is not unit-scoped (an admin)."""
    owners = [link.unit for link in sorted(goal.unit_links, key=lambda link: link.position)]
    if unit_scope("goals.comment") == ALL_UNITS:
        return owners
    return [u for u in owners if current_user.unit and u.id == current_user.unit.id]


def _chosen(units: list, code: str | None):
    return next((u for u in units if u.code == code), current_user.unit)


def _fill(form: CommentForm, goal, period: str, units: list) -> None:
    form.period.data = period
    unit = _chosen(units, form.unit.data)
    existing = comments.find(goal, period, unit) if unit else None
    if existing is not None:
        form.text.data, form.version.data = existing.text, str(existing.version)

"""Goal pages added for the daily workspace: the comment (分析与建议) form of a goal."""
from flask import flash, jsonify, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from core import dates
from core.permissions import ensure, requires
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
    if request.method == "GET":
        _fill(form, goal, request.args.get("period") or comments.period_of(dates.today()))
    if form.validate_on_submit() and save(form, lambda: comments.save_comment(
            goal, period=form.period.data, text=form.text.data, unit=current_user.unit, actor=current_user,
            version=int(form.version.data) if (form.version.data or "").isdigit() else None)):
        flash(_("分析与建议已保存"), "success")
        return redirect(url_for("goals.goal_detail", key=goal.key) + "#goal-comments")
    return render_template("goals/comment_form.html", goal=goal, form=form, lang=lang(),
                           history=comments.comments_of(goal))


def _fill(form: CommentForm, goal, period: str) -> None:
    form.period.data = period
    existing = comments.find(goal, period, current_user.unit) if current_user.unit else None
    if existing is not None:
        form.text.data, form.version.data = existing.text, str(existing.version)

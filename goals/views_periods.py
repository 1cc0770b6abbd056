"""Pages of closed periods: the list of closes, closing a date (managers), reopening (admins)."""
from flask import flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user

from core.permissions import get_in_scope_or_404, requires
from core.saving import act, save
from goals import periods
from goals.forms import PeriodCloseForm, PeriodReopenForm
from goals.period_models import PeriodClose
from goals.views import bp, lang


@bp.route("/periods")
@requires("goals.view")
def period_list():
    return _render(PeriodCloseForm(formdata=None))


def _render(form, status: int = 200):
    return render_template("goals/period_list.html", closes=periods.all_closes(), form=form,
                           reopen_form=PeriodReopenForm(formdata=None), lang=lang()), status


@bp.route("/periods/close", methods=["POST"])
@requires("goals.close")
def period_close():
    form = PeriodCloseForm()
    if not form.validate_on_submit():
        return _render(form, 400)
    saved = save(form, lambda: periods.close_period(form.day.data, actor=current_user, note=form.note.data or ""))
    if not saved:
        return _render(form, 400)
    close = saved.result
    flash(_("%(d)s 已关账，%(n)s 项目标的数值已冻结", d=close.day.isoformat(), n=len(close.figures)), "success")
    return redirect(url_for("goals.period_list"))


@bp.route("/periods/<int:pid>/reopen", methods=["POST"])
@requires("goals.reopen")
def period_reopen(pid):
    close = get_in_scope_or_404(PeriodClose, pid, "goals.reopen")
    form = PeriodReopenForm()
    if not form.validate_on_submit():
        flash(_("请填写重新开放的原因"), "danger")
        return redirect(url_for("goals.period_list"))
    if act(lambda: periods.reopen_period(close.day, reason=form.reason.data, actor=current_user)):
        flash(_("%(d)s 已重新开放", d=close.day.isoformat()), "success")
    return redirect(url_for("goals.period_list"))

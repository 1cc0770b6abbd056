"""Admin pages: users (create, unlock, deactivate, reset the password) and the scheduler's last runs."""
from flask import flash, make_response, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from core.forms import FlaskForm
from sqlalchemy import select
from wtforms import PasswordField, SelectField, StringField
from wtforms.validators import DataRequired, Length

from core.auth import accounts, service
from core.auth.models import ROLES, Unit, User
from core.db import db
from core.permissions import requires
from core.saving import act, save
from core.views import bp

ROLE_LABELS = {"admin": _l("管理员"), "manager": _l("领导（只读全部）"), "editor": _l("编辑（写本单位数据）"),
               "viewer": _l("只读查看")}


class UserForm(FlaskForm):
    username = StringField(_l("用户名"), validators=[DataRequired(), Length(max=64)])
    display_name = StringField(_l("姓名"), validators=[Length(max=64)])
    unit = SelectField(_l("单位"), validators=[DataRequired()])
    role = SelectField(_l("角色"), choices=[(r, ROLE_LABELS[r]) for r in ROLES])
    password = PasswordField(_l("初始密码"), validators=[DataRequired(), Length(min=8, max=256)])


class ActionForm(FlaskForm):
    pass


@bp.route("/admin/users", methods=["GET", "POST"])
@requires("admin.users")
def user_list():
    form = UserForm()
    form.unit.choices = [(u.code, u.name_zh) for u in db.session.scalars(select(Unit).order_by(Unit.id))]
    if form.validate_on_submit() and save(form, lambda: service.create_user(
            form.username.data.strip(), form.password.data, unit=form.unit.data, role=form.role.data,
            display_name=form.display_name.data)):
        flash(_("已创建用户 %(u)s", u=form.username.data), "success")
        return redirect(url_for("core.user_list"))
    users = db.session.scalars(select(User).order_by(User.id)).all()
    return render_template("core/user_list.html", users=users, form=form, action=ActionForm(),
                           role_labels=ROLE_LABELS, locked=service.locked_until)


@bp.route("/admin/users/<int:user_id>/unlock", methods=["POST"])
@requires("admin.users")
def user_unlock(user_id):
    user = db.get_or_404(User, user_id)
    if ActionForm().validate_on_submit() and act(lambda: accounts.unlock_user(user, actor=current_user)):
        flash(_("已解除锁定：%(u)s", u=user.username), "success")
    return redirect(url_for("core.user_list"))


@bp.route("/admin/users/<int:user_id>/toggle", methods=["POST"])
@requires("admin.users")
def user_toggle(user_id):
    user = db.get_or_404(User, user_id)
    if ActionForm().validate_on_submit() and act(
            lambda: accounts.set_user_active(user, not user.active, actor=current_user)):
        flash(_("已启用：%(u)s", u=user.username) if user.active else _("已停用：%(u)s", u=user.username), "success")
    return redirect(url_for("core.user_list"))


@bp.route("/admin/users/<int:user_id>/reset-password", methods=["POST"])
@requires("admin.users")
def user_reset_password(user_id):
    """A one-time password, shown once on this page (never in a redirect, a flash or a log)."""
    user = db.get_or_404(User, user_id)
    saved = ActionForm().validate_on_submit() and act(lambda: accounts.reset_password(user, actor=current_user))
    if not saved:
        return redirect(url_for("core.user_list"))
    resp = make_response(render_template("core/user_password_reset.html", user=user, password=saved.result))
    resp.headers["Cache-Control"] = "no-store"
    return resp


@bp.route("/admin/jobs")
@requires("admin.users")
def job_runs():
    from core.scheduler import STATUS_LABELS, failed_runs, last_runs
    return render_template("core/job_runs.html", runs=last_runs(), failed=failed_runs(), labels=STATUS_LABELS)

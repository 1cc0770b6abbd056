"""Login, logout, change password."""
from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_user, logout_user

from core.auth import service
from core.auth.forms import ChangePasswordForm, LoginForm
from core.db import db
from core.errors import ServiceError, bind_service_error
from core.permissions import requires
from core.redirects import safe_next

bp = Blueprint("auth", __name__)


@bp.route("/login", methods=["GET", "POST"])
def login():
    if current_user.is_authenticated:
        return redirect(url_for("core.home"))
    form = LoginForm()
    if form.validate_on_submit():
        try:
            user = service.authenticate(form.username.data.strip(), form.password.data,
                                        attempts=current_app.config["LOCKOUT_ATTEMPTS"],
                                        minutes=current_app.config["LOCKOUT_MINUTES"])
        except ServiceError as exc:
            db.session.commit()  # keep the failure count
            bind_service_error(form, exc)
        else:
            db.session.commit()
            login_user(user)
            current_app.logger.info("login %s", user.username)
            return redirect(safe_next(request.args.get("next"), url_for("core.home")))
    return render_template("auth/login.html", form=form)


@bp.route("/logout", methods=["POST"])
@requires("account.self")
def logout():
    logout_user()
    flash(_("您已退出登录"), "info")
    return redirect(url_for("auth.login"))


@bp.route("/password", methods=["GET", "POST"])
@requires("account.self")
def change_password():
    form = ChangePasswordForm()
    if form.validate_on_submit():
        try:
            service.change_password(current_user, form.old_password.data, form.new_password.data)
        except ServiceError as exc:
            bind_service_error(form, exc)
        else:
            db.session.commit()
            flash(_("密码已修改"), "success")
            return redirect(url_for("core.home"))
    return render_template("auth/change_password.html", form=form)

"""Login, logout, change password."""
from flask import Blueprint, current_app, flash, g, jsonify, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_user, logout_user

from core.auth import service
from core.auth.forms import ChangePasswordForm, LoginForm
from core.db import db
from core.errors import ServiceError, bind_service_error
from core.permissions import requires
from core.redirects import safe_next
from core.saving import save

bp = Blueprint("auth", __name__)


@bp.route("/login", methods=["GET", "POST"])
def login():
    if current_user.is_authenticated:
        return redirect(url_for("core.home"))
    form = LoginForm()
    if form.validate_on_submit():
        try:
            user = service.authenticate(form.username.data.strip(), form.password.data,
                                        address=request.remote_addr or "",
                                        attempts=current_app.config["LOCKOUT_ATTEMPTS"],
                                        minutes=current_app.config["LOCKOUT_MINUTES"],
                                        address_attempts=current_app.config["LOCKOUT_ADDRESS_ATTEMPTS"])
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
    service.end_sessions(current_user._get_current_object())      # every session of this user ends, not only this cookie
    db.session.commit()
    logout_user()
    flash(_("您已退出登录"), "info")
    return redirect(url_for("auth.login"))


@bp.route("/password", methods=["GET", "POST"])
@requires("account.self")
def change_password():
    form = ChangePasswordForm()
    user = current_user._get_current_object()
    if form.validate_on_submit() and save(form, lambda: service.change_password(
            user, form.old_password.data, form.new_password.data)):
        login_user(user)   # this session goes on with the new session version; the others ended
        flash(_("密码已修改"), "success")
        return redirect(url_for("core.home"))
    return render_template("auth/change_password.html", form=form)


# what a user who must change the password may still reach
_OPEN_WHILE_MUST_CHANGE = frozenset({"auth.change_password", "auth.logout", "auth.login", "static", "core.set_language"})


@bp.before_app_request
def _must_change_password():
    """A user with a one-time password does nothing else until it is changed."""
    if g.get("login_via_bearer") or request.endpoint in _OPEN_WHILE_MUST_CHANGE:
        return None
    if not (current_user.is_authenticated and current_user.must_change_password):
        return None
    if request.path.startswith("/api/"):
        return jsonify({"message": _("请先修改密码"), "code": 403, "errors": {}}), 403
    flash(_("请先设置新密码，再继续使用系统"), "warning")
    return redirect(url_for("auth.change_password"))

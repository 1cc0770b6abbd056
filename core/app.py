"""The application factory: core's parts, then every domain it is given (see core.domain).

The domains themselves are named only by the composition root (the `composition` package, above the
layers), which imports each `<domain>.domain.DOMAIN` and calls `create_app(domains=...)`.
"""
import logging
import os

from flask import Flask, g, has_request_context, request, session
from flask.sessions import SecureCookieSessionInterface
from flask_babel import get_locale, get_translations
from jinja2 import pass_context
from flask_login import current_user

from core import config, errors, security
from core.domain import Domain, install
from core.extensions import babel, csrf, db, login_manager, migrate
from core.permissions import can


def create_app(overrides: dict | None = None, *, domains: tuple[Domain, ...] = ()) -> Flask:
    """Build the app with `domains` wired in. `overrides` (tests) win over the environment.

    YZ_DOMAINS (comma-separated names) limits which of `domains` are wired — for working on one part alone.
    """
    app = Flask(__name__.split(".")[0], root_path=str(config.ROOT),
                template_folder="templates", static_folder="static")
    app.config.from_mapping(config.load(overrides))
    _logging(app)
    _extensions(app)
    security.init_app(app)
    _core_parts(app)
    for domain in _selected(domains):
        install(app, domain)
    return app


def _selected(domains: tuple[Domain, ...]) -> tuple[Domain, ...]:
    only = os.environ.get("YZ_DOMAINS")
    if only is None:
        return tuple(domains)
    names = set(only.split(","))
    return tuple(d for d in domains if d.name in names)


def _logging(app: Flask) -> None:
    level = getattr(logging, str(app.config["LOG_LEVEL"]).upper(), logging.INFO)
    logging.basicConfig(level=level, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    app.logger.setLevel(level)


def _select_locale() -> str:
    if not has_request_context():
        return "zh"
    lang = session.get("lang")
    if lang in ("zh", "en"):
        return lang
    return "zh"


_TRANSLATIONS = "_yz_translations"


def _template_gettext(app: Flask) -> None:
    """The templates' _() with the translations looked up once per rendered template, not once per
    call: Flask-Babel's own looks them up through the request's locals each time (a tenth of a firm
    list page's time, measured with py-spy: about 50 calls a page). A template rendered with no such
    variable (a macro imported without context) looks them up as before; force_locale applies to
    every template rendered under it."""
    app.context_processor(lambda: {_TRANSLATIONS: get_translations()})

    def translations(context):
        return context.get(_TRANSLATIONS) or get_translations()

    app.jinja_env.install_gettext_callables(
        gettext=pass_context(lambda c, s: translations(c).ugettext(s)),
        ngettext=pass_context(lambda c, s, p, n: translations(c).ungettext(s, p, n)),
        newstyle=True,
        pgettext=pass_context(lambda c, ctx, s: translations(c).upgettext(ctx, s)),
        npgettext=pass_context(lambda c, ctx, s, p, n: translations(c).unpgettext(ctx, s, p, n)))


def _extensions(app: Flask) -> None:
    db.init_app(app)
    migrate.init_app(app, db, directory=str(config.ROOT / "migrations"), render_as_batch=True,
                     compare_type=True)
    csrf.init_app(app)
    babel.init_app(app, locale_selector=_select_locale, timezone_selector=lambda: "Asia/Shanghai")
    _template_gettext(app)
    app.session_interface = _SessionInterface()
    app.before_request(_fresh_request_state)
    login_manager.init_app(app)
    login_manager.login_view = "auth.login"
    login_manager.login_message = None
    login_manager.session_protection = "basic"
    login_manager.user_loader(_load_user)
    login_manager.request_loader(_load_user_from_bearer)
    login_manager.unauthorized_handler(_unauthorized)
    errors.init_app(app)


def _load_user(session_key: str):
    """The session's user, if the session was issued for the user's current session version."""
    from core.auth.models import User
    user_id, _, version = session_key.partition(":")
    if not (user_id.isdigit() and version.isdigit()):
        return None
    user = db.session.get(User, int(user_id))
    if user is None or not user.active or user.session_version != int(version):
        return None
    return user


def _load_user_from_bearer(req):
    header = req.headers.get("Authorization", "")
    if not header.startswith("Bearer "):
        return None
    from core.auth.service import user_for_token
    g.login_via_bearer = True
    return user_for_token(header[7:].strip())


def _fresh_request_state() -> None:
    """`g` belongs to the app context, which an outer context (CLI, tests) may share across
    requests: never let one request's signed-in user leak into the next."""
    for key in ("_login_user", "login_via_bearer", "_flask_babel", "required_permission"):
        g.pop(key, None)
    g.request_started = True  # Flask-Babel treats an empty `g` as "no context"
    if request.headers.get("Authorization", "").startswith("Bearer "):
        # the bearer token wins over any session cookie sent along (and no cookie is written back)
        user = _load_user_from_bearer(request)
        g._login_user = user if user is not None else login_manager.anonymous_user()


class _SessionInterface(SecureCookieSessionInterface):
    """A bearer-token request never gets a session cookie (Flask-Login's recipe for APIs)."""

    def save_session(self, *args, **kwargs):
        if g.get("login_via_bearer"):
            return None
        return super().save_session(*args, **kwargs)


def _unauthorized():
    from flask import jsonify, redirect, url_for
    from flask_babel import gettext as _
    if request.path.startswith("/api/"):
        return jsonify({"message": _("请先登录"), "code": 401, "errors": {}}), 401
    return redirect(url_for("auth.login", next=request.full_path.rstrip("?")))


def _core_parts(app: Flask) -> None:
    from core import cli, export_views, import_cli, import_views, nav, views  # noqa: F401 - *_views: routes on core.views.bp
    from core.auth import admin  # noqa: F401 - admin routes on the core blueprint
    from core.auth import models as _auth_models  # noqa: F401 - register tables
    from core.audit import models as _audit_models  # noqa: F401
    from core.auth.views import bp as auth_bp
    app.register_blueprint(views.bp)
    app.register_blueprint(auth_bp)
    cli.init_app(app)
    app.cli.add_command(import_cli.import_cli)
    app.jinja_env.globals.update(can=can, nav_items=nav.items, nav_menu=nav.menu, get_locale=get_locale,
                                 current_user=current_user)
    from core import exports, formatting, home
    app.jinja_env.globals.update(awaiting_count=lambda: home.awaiting(current_user), export_url=exports.export_url)
    formatting.init_app(app)
    from core import scheduler
    scheduler.init_app(app)
    from core import import_runner
    import_runner.init_app(app)


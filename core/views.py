"""Core pages: home, health, language switch, record history, archive/restore, audit status."""
from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_login import current_user
from core.forms import FlaskForm
from sqlalchemy import text
from wtforms import HiddenField, StringField
from wtforms.validators import Length

from core.audit import service as audit
from core.db import db
from core.permissions import requires
from core.records import ENTITIES, archive, restore
from core.saving import act

bp = Blueprint("core", __name__)


class ArchiveForm(FlaskForm):
    note = StringField(validators=[Length(max=500)])
    next = HiddenField()


@bp.route("/")
@requires("account.self")
def home():
    from core import home as home_panels
    return render_template("core/home.html", panels=home_panels.panels(current_user))


@bp.route("/health")
def health():
    db.session.execute(text("SELECT 1"))
    return {"status": "ok"}


@bp.route("/lang/<code>")
def set_language(code):
    if code not in current_app.config["LANGUAGES"]:
        abort(404)
    session["lang"] = code
    target = request.referrer or url_for("core.home")
    return redirect(target if target.startswith(request.host_url) else url_for("core.home"))


def _entity_or_404(etype: str, rid: int):
    entity = ENTITIES.get(etype)
    if entity is None:
        abort(404)
    obj = db.session.get(entity.model, rid)
    if obj is None:
        abort(404)
    return entity, obj


@bp.route("/records/<etype>/<int:rid>/history")
@requires("{domain}.view")
def record_history(etype, rid):
    entity, obj = _entity_or_404(etype, rid)
    return render_template("core/record_history.html", entity=entity, obj=obj,
                           entries=audit.history(etype, rid), form=ArchiveForm())


@bp.route("/records/<etype>/<int:rid>/archive", methods=["POST"])
@requires("{domain}.edit")
def record_archive(etype, rid):
    return _toggle_archive(etype, rid, archive, _("已归档"))


@bp.route("/records/<etype>/<int:rid>/restore", methods=["POST"])
@requires("{domain}.edit")
def record_restore(etype, rid):
    return _toggle_archive(etype, rid, restore, _("已恢复"))


def _toggle_archive(etype, rid, action, done_msg):
    entity, obj = _entity_or_404(etype, rid)
    from core.permissions import ensure
    ensure(f"{entity.domain}.edit", obj)
    if not entity.manual_archive or not hasattr(obj, "archived_at"):
        flash(_("此类记录不能在这里归档或恢复，请在业务页面操作"), "warning")
        return redirect(url_for("core.record_history", etype=etype, rid=rid))
    form = ArchiveForm()
    if not form.validate_on_submit():
        abort(400)
    if act(lambda: action(obj, current_user, note=form.note.data or "")):
        flash(done_msg, "success")
    return redirect(url_for("core.record_history", etype=etype, rid=rid))


@bp.route("/admin/audit")
@requires("audit.verify")
def audit_status():
    from core.audit.verify import REASONS
    count, broken, reason = audit.verify()
    return render_template("core/audit_status.html", count=count, broken=broken, reason=reason, reasons=REASONS)

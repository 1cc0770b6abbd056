"""Page to fill in firms' missing street/town from their registered address (registry.towns)."""
from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from core.forms import FlaskForm
from sqlalchemy import select

from core.db import db
from core.imports import ImportBatch
from core.saving import act
from core.permissions import requires
from registry import reference, towns
from registry.views import bp

PAGE = 200


class FillForm(FlaskForm):
    pass


@bp.route("/towns/missing", methods=["GET"])
@requires("registry.view")
def town_missing():
    page = min(max(1, request.args.get("page", 1, type=int)), 100_000)   # a huge page number is no 500
    rows = towns.without_town(limit=PAGE, offset=(page - 1) * PAGE)
    total = towns.count_without_town()
    recent = db.session.scalars(select(ImportBatch).where(ImportBatch.kind == towns.BATCH_KIND)
                                .order_by(ImportBatch.id.desc()).limit(10)).all()
    return render_template("registry/town_missing.html", rows=rows, total=total, page=page,
                           pages=max(1, -(-total // PAGE)), towns=reference.towns(), form=FillForm(),
                           batches=recent)


@bp.route("/towns/missing", methods=["POST"])
@requires("registry.edit")
def town_fill():
    """Ticked firms get the town chosen in their row (the suggestion unless the editor changed it)."""
    if not FillForm().validate_on_submit():
        flash(_("表单已过期或来源无效，请刷新页面后重试。"), "danger")
        return redirect(url_for("registry.town_missing"))
    choices = {}
    for firm_id in request.form.getlist("firm", type=int):
        code = (request.form.get(f"town-{firm_id}") or "").strip()
        if not code:
            flash(_("勾选的企业须选择街道/镇"), "danger")
            return redirect(url_for("registry.town_missing"))
        choices[firm_id] = code
    if saved := act(lambda: towns.fill_towns(current_user, choices)):
        flash(_("已为 %(n)s 家企业补全街道/镇（批次 #%(id)s，可撤销）", n=len(choices), id=saved.result.id), "success")
    return redirect(url_for("registry.town_missing", page=request.form.get("page", 1, type=int)))

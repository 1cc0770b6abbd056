"""Incubation pages for R&D institutions and innovation alliances (same blueprint as views.py)."""
from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from core.db import db
from core.permissions import get_in_scope_or_404, requires
from core.saving import save
from incubation import service
from incubation.forms import AllianceForm, AllianceMemberForm, InstitutionEditForm, InstitutionForm
from incubation.models import INSTITUTION_LEVELS, Alliance, RDInstitution
from incubation.views import bp


@bp.route("/institutions")
@requires("incubation.view")
def institution_list():
    level = request.args.get("level", "")
    return render_template("incubation/institution_list.html", institutions=institutions_of_level(level),
                           level=level, levels=INSTITUTION_LEVELS)


def institutions_of_level(level: str) -> list[RDInstitution]:
    """Live R&D institutions of `level` (every level when it is not one), latest recognitions first."""
    stmt = select(RDInstitution).where(RDInstitution.archived_at.is_(None)).options(selectinload(RDInstitution.firm))
    if level in INSTITUTION_LEVELS:
        stmt = stmt.where(RDInstitution.level == level)
    return db.session.scalars(stmt.order_by(RDInstitution.recognized_on.desc(), RDInstitution.id)).all()


def live_alliances() -> list[Alliance]:
    """Live alliances, newest first, with members and lead firm loaded."""
    return db.session.scalars(select(Alliance).where(Alliance.archived_at.is_(None))
                              .options(selectinload(Alliance.members), selectinload(Alliance.lead_firm))
                              .order_by(Alliance.founded_on.desc())).all()


@bp.route("/institutions/new", methods=["GET", "POST"])
@requires("incubation.edit")
def institution_create():
    form = InstitutionForm()
    if form.validate_on_submit() and save(form, lambda: service.register_institution(
            current_user, uscc=form.uscc.data, firm_name=form.firm_name.data, name=form.name.data,
            level=form.level.data, recognized_on=form.recognized_on.data, revoked_on=form.revoked_on.data)):
        flash(_("研发机构已登记"), "success")
        return redirect(url_for("incubation.institution_list"))
    return render_template("incubation/record_form.html", form=form, title=_("登记企业研发机构"),
                           back=url_for("incubation.institution_list"), form_id="institution-form")


@bp.route("/institutions/<int:inst_id>/edit", methods=["GET", "POST"])
@requires("incubation.edit")
def institution_edit(inst_id):
    inst = get_in_scope_or_404(RDInstitution, inst_id, "incubation.edit")
    form = InstitutionEditForm(obj=inst)
    if request.method == "GET":
        form.version.data = inst.version
    if form.validate_on_submit() and save(form, lambda: service.update_institution(
            inst, current_user, name=form.name.data, level=form.level.data, recognized_on=form.recognized_on.data,
            revoked_on=form.revoked_on.data), record=inst):
        flash(_("研发机构已保存"), "success")
        return redirect(url_for("incubation.institution_list"))
    return render_template("incubation/record_form.html", form=form,
                           title=_("修改研发机构：%(name)s", name=inst.name),
                           back=url_for("incubation.institution_list"), form_id="institution-form",
                           history=("incubation.institution", inst.id))


@bp.route("/alliances")
@requires("incubation.view")
def alliance_list():
    return render_template("incubation/alliance_list.html", alliances=live_alliances())


@bp.route("/alliances/new", methods=["GET", "POST"])
@requires("incubation.edit")
def alliance_create():
    form = AllianceForm()
    if form.validate_on_submit() and (saved := save(form, lambda: service.create_alliance(
            current_user, name=form.name.data, founded_on=form.founded_on.data, sector=form.sector.data,
            note=form.note.data, lead_uscc=form.lead_uscc.data or None))):
        flash(_("联盟已登记"), "success")
        return redirect(url_for("incubation.alliance_detail", alliance_id=saved.result.id))
    return render_template("incubation/record_form.html", form=form, title=_("登记产业技术创新联盟"),
                           back=url_for("incubation.alliance_list"), form_id="alliance-form")


@bp.route("/alliances/<int:alliance_id>")
@requires("incubation.view")
def alliance_detail(alliance_id):
    alliance = get_in_scope_or_404(Alliance, alliance_id, "incubation.view")
    return render_template("incubation/alliance_detail.html", alliance=alliance, form=AllianceMemberForm())


@bp.route("/alliances/<int:alliance_id>/members", methods=["POST"])
@requires("incubation.edit")
def alliance_member_add(alliance_id):
    alliance = get_in_scope_or_404(Alliance, alliance_id, "incubation.edit")
    form = AllianceMemberForm()
    if form.validate_on_submit() and save(form, lambda: service.add_alliance_member(
            current_user, alliance=alliance, uscc=form.uscc.data, joined_on=form.joined_on.data)):
        flash(_("已添加联盟成员"), "success")
        return redirect(url_for("incubation.alliance_detail", alliance_id=alliance_id))
    return render_template("incubation/alliance_detail.html", alliance=alliance, form=form), 400

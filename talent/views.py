"""Talent pages. Names and masked IDs only for `talent.personal` (talent units, admin);
everyone else gets counts and per-firm aggregates."""
from datetime import date

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from core import dates
from core.exports import xlsx_download
from core.permissions import can, get_in_scope_or_404, requires
from core.saving import act, save
from talent import metrics, service, spreadsheets
from talent.forms import PersonForm, RecognitionForm, TalentForm, TeamEditForm, TeamForm
from talent.models import CATEGORIES, TALENT_UNITS, Person, Recognition, Team

bp = Blueprint("talent", __name__, url_prefix="/talent")

METRICS = (("leading_talents", metrics.leading_talents), ("leading_talent_teams", metrics.leading_talent_teams),
           ("smart_makers", metrics.smart_makers), ("high_skill_talents", metrics.high_skill_talents),
           ("management_talents", metrics.management_talents))


def _as_of() -> date:
    raw = request.args.get("as_of", "")
    try:
        return date.fromisoformat(raw) if raw else dates.today()
    except ValueError:
        flash(_("日期格式应为 YYYY-MM-DD，已显示今天的数据"), "warning")
        return dates.today()


def _default_unit() -> str:
    code = current_user.unit.code if current_user.unit else None
    return code if code in TALENT_UNITS else TALENT_UNITS[0]


@bp.route("/")
@requires("talent.view")
def summary():
    as_of = _as_of()
    return render_template("talent/summary.html", as_of=as_of, categories=CATEGORIES,
                           metrics=[(key, fn(as_of)) for key, fn in METRICS],
                           category_counts=service.category_counts(as_of),
                           aggregates=service.firm_aggregates(as_of))


@bp.route("/export.xlsx")
@requires("talent.export")
def export():
    as_of = _as_of()
    if can("talent.personal"):
        data, name = spreadsheets.export_persons_xlsx(as_of), f"talents-{as_of}.xlsx"
    else:
        data, name = spreadsheets.export_aggregates_xlsx(as_of), f"talent-aggregates-{as_of}.xlsx"
    return xlsx_download(data, name)


@bp.route("/persons")
@requires("talent.personal")
def person_list():
    category = request.args.get("category") or None
    category = category if category in CATEGORIES else None
    persons = service.list_persons(category=category, q=request.args.get("q"))
    return render_template("talent/person_list.html", persons=persons, categories=CATEGORIES, category=category)


@bp.route("/persons/<int:person_id>")
@requires("talent.personal")
def person_detail(person_id):
    person = get_in_scope_or_404(Person, person_id, "talent.personal")
    teams = [t for t in service.list_teams() if t.leader_id == person.id or person in t.members]
    return render_template("talent/person_detail.html", person=person, teams=teams)


@bp.route("/register", methods=["GET", "POST"])
@requires("talent.edit")
def talent_create():
    form = TalentForm(unit_code=_default_unit()) if request.method == "GET" else TalentForm()
    if form.validate_on_submit() and (saved := save(form, lambda: service.register_talent(
            current_user, key=service.person_key(form.id_number.data), name=form.name.data,
            category=form.category.data, programme=form.programme.data, uscc=form.uscc.data,
            firm_name=form.firm_name.data, recognized_on=form.recognized_on.data, support=form.support.data,
            unit_code=form.unit_code.data, note=form.note.data))):
        rec, outcome = saved.result
        flash(_OUTCOME_MESSAGES[outcome](), "success" if outcome != "unchanged" else "info")
        return redirect(url_for("talent.person_detail", person_id=rec.person_id))
    return render_template("talent/talent_form.html", form=form)


_OUTCOME_MESSAGES = {"created": lambda: _("人才认定已登记"), "updated": lambda: _("已有相同认定，已更新其信息"),
                     "unchanged": lambda: _("该认定已登记，无需重复登记")}


@bp.route("/persons/<int:person_id>/edit", methods=["GET", "POST"])
@requires("talent.edit")
def person_edit(person_id):
    person = get_in_scope_or_404(Person, person_id, "talent.edit")
    form = PersonForm(obj=person)
    if form.validate_on_submit() and save(form, lambda: service.update_person(current_user, person, name=form.name.data),
                                          record=person):
        flash(_("已保存"), "success")
        return redirect(url_for("talent.person_detail", person_id=person.id))
    return render_template("talent/person_form.html", form=form, person=person)


@bp.route("/recognitions/<int:rec_id>/edit", methods=["GET", "POST"])
@requires("talent.edit")
def recognition_edit(rec_id):
    rec = get_in_scope_or_404(Recognition, rec_id, "talent.edit")
    form = RecognitionForm(obj=rec, uscc=rec.firm.uscc) if request.method == "GET" else RecognitionForm()
    if form.validate_on_submit() and save(form, lambda: service.update_recognition(
            current_user, rec, programme=form.programme.data, uscc=form.uscc.data, firm_name=form.firm_name.data,
            recognized_on=form.recognized_on.data, support=form.support.data, note=form.note.data), record=rec):
        flash(_("已保存"), "success")
        return redirect(url_for("talent.person_detail", person_id=rec.person_id))
    return render_template("talent/recognition_form.html", form=form, rec=rec)


@bp.route("/teams")
@requires("talent.view")
def team_list():
    return render_template("talent/team_list.html", teams=service.list_teams())


@bp.route("/teams/<int:team_id>")
@requires("talent.view")
def team_detail(team_id):
    team = get_in_scope_or_404(Team, team_id, "talent.view")
    return render_template("talent/team_detail.html", team=team, personal=can("talent.personal"))


@bp.route("/teams/new", methods=["GET", "POST"])
@requires("talent.edit")
def team_create():
    form = TeamForm(unit_code=_default_unit()) if request.method == "GET" else TeamForm()
    if form.validate_on_submit() and (saved := save(form, lambda: service.register_team(
            current_user, name=form.name.data, uscc=form.uscc.data, firm_name=form.firm_name.data,
            leader=service.person_key(form.leader_id.data, field="leader_id"),
            members=service.member_keys(form.member_ids.data), programme=form.programme.data,
            recognized_on=form.recognized_on.data, support=form.support.data, unit_code=form.unit_code.data))):
        flash(_("人才团队已登记"), "success")
        return redirect(url_for("talent.team_detail", team_id=saved.result[0].id))
    return render_template("talent/team_form.html", form=form, team=None)


@bp.route("/teams/<int:team_id>/edit", methods=["GET", "POST"])
@requires("talent.edit")
def team_edit(team_id):
    team = get_in_scope_or_404(Team, team_id, "talent.edit")
    form = TeamEditForm(obj=team, uscc=team.firm.uscc) if request.method == "GET" else TeamEditForm()
    if form.validate_on_submit() and save(form, lambda: _save_team(team, form), record=team):
        flash(_("已保存"), "success")
        return redirect(url_for("talent.team_detail", team_id=team.id))
    return render_template("talent/team_form.html", form=form, team=team)


def _save_team(team: Team, form: TeamEditForm) -> None:
    leader = service.person_key(form.leader_id.data, field="leader_id") if (form.leader_id.data or "").strip() else None
    added = service.member_keys(form.member_ids.data)
    service.update_team(current_user, team, name=form.name.data, uscc=form.uscc.data, leader=leader,
                        programme=form.programme.data, recognized_on=form.recognized_on.data,
                        support=form.support.data)
    service.add_team_members(current_user, team, added)


@bp.route("/teams/<int:team_id>/members/<int:person_id>/remove", methods=["POST"])
@requires("talent.edit")
def team_member_remove(team_id, person_id):
    team = get_in_scope_or_404(Team, team_id, "talent.edit")
    if act(lambda: service.remove_team_member(current_user, team, person_id)):
        flash(_("已移出团队"), "success")
    return redirect(url_for("talent.team_detail", team_id=team.id))

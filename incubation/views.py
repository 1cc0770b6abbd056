"""Incubation pages: the science bureau's summary, carriers, tenancies. Thin: rules live in service.py."""
from datetime import date

from flask import Blueprint, abort, flash, g, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select
from werkzeug.routing import BuildError

from core import dates
from core.db import db
from core.indicators import get as get_indicator
from core.permissions import get_in_scope_or_404, requires
from core.saving import save
from incubation import metrics, queries, service
from incubation.forms import (AsOfForm, CarrierForm, MakerCountForm, TenancyEditForm, TenancyEndForm,
                              TenancyRegisterForm)
from incubation.models import CARRIER_TYPES, OUTCOMES_EN, Carrier, MakerCount, Tenancy
from registry.reference import towns

bp = Blueprint("incubation", __name__, url_prefix="/incubation")


@bp.app_template_filter("town_name")
def town_name(code):
    return dict(towns()).get(code or "", "")


def as_of_date() -> date:
    """The ?as_of= date (today when absent or invalid; an invalid one is reported on the form)."""
    form = AsOfForm(request.args)
    g.as_of_form = form
    if request.args.get("as_of") and form.validate() and form.as_of.data:
        if dates.plausible(form.as_of.data):
            return form.as_of.data
        form.as_of.errors = [_("日期应在 %(a)s 至 %(b)s 之间，已改用今天", a=dates.EARLIEST.isoformat(),
                               b=dates.LATEST.isoformat())]
        return dates.today()
    if request.args.get("as_of"):
        form.as_of.errors = [_("日期格式应为 YYYY-MM-DD")]
    return dates.today()


# --------------------------------------------------------------------------- summary

@bp.route("/")
@requires("incubation.view")
def summary():
    as_of = as_of_date()
    return render_template("incubation/summary.html", as_of=as_of, rows=metrics.summary(as_of),
                           due=queries.due_to_graduate(as_of), years=queries.GRADUATION_YEARS,
                           form=g.as_of_form)


@bp.route("/metrics/<name>")
@requires("incubation.view")
def metric_records(name):
    found = get_indicator(name)
    if name not in metrics.TARGETS or found is None:
        abort(404)
    as_of = as_of_date()
    ind = found[0]
    return render_template("incubation/metric_records.html", ind=ind, as_of=as_of,
                           value=ind.compute(as_of), target=metrics.TARGETS[name],
                           records=ind.records(as_of), labels=metrics.RECORD_LABELS, form=g.as_of_form)


# --------------------------------------------------------------------------- carriers

@bp.route("/carriers")
@requires("incubation.view")
def carrier_list():
    ctype = carrier_type_arg()
    rows = queries.carriers(carrier_type=ctype or None)
    today = dates.today()
    current = service.current_tenant_counts(today)
    counts = {c.id: current.get(c.id, 0) for c in rows}
    return render_template("incubation/carrier_list.html", carriers=rows, counts=counts, ctype=ctype,
                           types=CARRIER_TYPES, today=today)


def carrier_type_arg() -> str:
    """The ?type= filter of the carrier list ('' for every type)."""
    ctype = request.args.get("type", "")
    return ctype if ctype in CARRIER_TYPES else ""


@bp.route("/carriers/new", methods=["GET", "POST"])
@requires("incubation.edit")
def carrier_create():
    form = CarrierForm()
    if form.validate_on_submit() and (saved := save(
            form, lambda: service.create_carrier(current_user, **_carrier_fields(form)))):
        flash(_("载体已登记"), "success")
        return redirect(url_for("incubation.carrier_detail", carrier_id=saved.result.id))
    return render_template("incubation/carrier_form.html", form=form, carrier=None)


@bp.route("/carriers/<int:carrier_id>/edit", methods=["GET", "POST"])
@requires("incubation.edit")
def carrier_edit(carrier_id):
    carrier = get_in_scope_or_404(Carrier, carrier_id, "incubation.edit")
    form = CarrierForm(obj=carrier)
    if request.method == "GET":
        form.version.data = carrier.version
    if form.validate_on_submit() and save(
            form, lambda: service.update_carrier(carrier, current_user, **_carrier_fields(form)), record=carrier):
        flash(_("载体信息已保存"), "success")
        return redirect(url_for("incubation.carrier_detail", carrier_id=carrier_id))
    return render_template("incubation/carrier_form.html", form=form, carrier=carrier)


def _carrier_fields(form) -> dict:
    return {k: getattr(form, k).data for k in service.CARRIER_FIELDS}


@bp.route("/carriers/<int:carrier_id>")
@requires("incubation.view")
def carrier_detail(carrier_id):
    carrier = get_in_scope_or_404(Carrier, carrier_id, "incubation.view")
    return _render_carrier(carrier, MakerCountForm(year=dates.today().year))


def _render_carrier(carrier, maker_form):
    today = dates.today()
    current = queries.current_tenancies(carrier.id, today)
    makers = db.session.scalars(select(MakerCount).where(MakerCount.carrier_id == carrier.id)
                                .order_by(MakerCount.year.desc())).all()
    per_tenant = (carrier.area_m2 / len(current)) if carrier.area_m2 and current else None
    occupancy = (len(current) / carrier.capacity) if carrier.capacity else None
    return render_template("incubation/carrier_detail.html", carrier=carrier, current=current,
                           past=queries.past_tenancies(carrier.id, today), makers=makers,
                           per_tenant=per_tenant, occupancy=occupancy, maker_form=maker_form, today=today,
                           funnel_url=_funnel_url(carrier))


def _funnel_url(carrier) -> str | None:
    """The carrier's funnel, drawn by goals/ when it is wired (incubation cannot import goals)."""
    try:
        return url_for("goals.funnel_fragment", carrier_id=carrier.id)
    except BuildError:
        return None


@bp.route("/carriers/<int:carrier_id>/makers", methods=["POST"])
@requires("incubation.edit")
def maker_count_save(carrier_id):
    carrier = get_in_scope_or_404(Carrier, carrier_id, "incubation.edit")
    form = MakerCountForm()
    if form.validate_on_submit() and save(form, lambda: service.set_maker_count(
            current_user, carrier=carrier, year=form.year.data, makers=form.makers.data)):
        flash(_("创客人数已保存"), "success")
        return redirect(url_for("incubation.carrier_detail", carrier_id=carrier_id))
    return _render_carrier(carrier, form), 400


# --------------------------------------------------------------------------- tenancies

@bp.route("/tenancies")
@requires("incubation.view")
def tenancy_list():
    status = request.args.get("status", "current")
    return render_template("incubation/tenancy_list.html", tenancies=queries.tenancies_by_status(status, limit=1000),
                           status=status)


@bp.route("/tenancies/new", methods=["GET", "POST"])
@requires("incubation.edit")
def tenancy_create():
    form = TenancyRegisterForm()
    live = queries.carriers()
    form.carrier_id.choices = [(c.id, f"{c.name}（{_(c.carrier_type)}）") for c in live]
    if request.method == "GET" and request.args.get("carrier_id", "").isdigit():
        form.carrier_id.data = int(request.args["carrier_id"])
    if form.validate_on_submit():
        carrier = get_in_scope_or_404(Carrier, form.carrier_id.data, "incubation.edit")
        saved = save(form, lambda: service.register_tenancy(
            current_user, carrier=carrier, uscc=form.uscc.data, firm_name=form.firm_name.data,
            entered_on=form.entered_on.data, note=form.note.data))
        if saved:
            flash(_("已登记在孵企业：%(name)s", name=saved.result.firm.name), "success")
            return redirect(url_for("incubation.carrier_detail", carrier_id=carrier.id))
    return render_template("incubation/tenancy_form.html", form=form, no_carriers=not live)


@bp.route("/tenancies/<int:tenancy_id>/edit", methods=["GET", "POST"])
@requires("incubation.edit")
def tenancy_edit(tenancy_id):
    tenancy = get_in_scope_or_404(Tenancy, tenancy_id, "incubation.edit")
    form = TenancyEditForm(obj=tenancy)
    if request.method == "GET":
        form.version.data, form.outcome.data = tenancy.version, tenancy.outcome or ""
    if form.validate_on_submit() and save(form, lambda: service.update_tenancy(
            tenancy, current_user, entered_on=form.entered_on.data, left_on=form.left_on.data,
            outcome=form.outcome.data, note=form.note.data), record=tenancy):
        flash(_("入孵记录已保存"), "success")
        return redirect(url_for("incubation.carrier_detail", carrier_id=tenancy.carrier_id))
    return render_template("incubation/tenancy_edit.html", form=form, tenancy=tenancy)


@bp.route("/tenancies/<int:tenancy_id>/end", methods=["GET", "POST"])
@requires("incubation.edit")
def tenancy_end(tenancy_id):
    """Graduate (毕业), move out (迁出) or close (注销) a current tenant."""
    tenancy = get_in_scope_or_404(Tenancy, tenancy_id, "incubation.edit")
    form = TenancyEndForm()
    if request.method == "GET":
        form.outcome.data = request.args.get("outcome") if request.args.get("outcome") in OUTCOMES_EN else "毕业"
        form.left_on.data = dates.today()
    if form.validate_on_submit() and save(form, lambda: service.end_tenancy(
            tenancy, current_user, outcome=form.outcome.data, left_on=form.left_on.data, note=form.note.data)):
        flash(_("已办理%(outcome)s：%(name)s", outcome=_(tenancy.outcome), name=tenancy.firm.name), "success")
        return redirect(url_for("incubation.carrier_detail", carrier_id=tenancy.carrier_id))
    return render_template("incubation/tenancy_end.html", form=form, tenancy=tenancy)

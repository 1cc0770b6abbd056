"""Registry pages: firm list/export, firm page and forms, facts, pools, merge."""
import calendar
import os
from datetime import date

from flask import Blueprint, Response, current_app, flash, redirect, render_template, request, url_for
from flask_babel import get_locale, gettext as _
from flask_login import current_user
from sqlalchemy import select

from core import dataversion, dates, export_jobs, import_runner
from core import timeline
from core.auth.models import Unit
from core.db import db
from core.exports import XLSX_MIME
from core.permissions import can, get_in_scope_or_404, requires
from core.redirects import safe_next
from core.saving import act, flash_errors, save
from core.tabular.xlsx_stream import content_disposition, stream_file
from registry import export, queries, reference, service, uscc as uscc_mod
from registry.capital import Capital
from registry.forms import EnterPoolForm, ExportStartForm, ExitPoolForm, FactForm, FirmForm, MergeForm, PoolForm, ReviewForm
from registry.models import PARKS, Firm, Pool, PoolMembership

bp = Blueprint("registry", __name__, url_prefix="/registry")


@bp.context_processor
def _helpers():
    return {"town_name": town_name, "industry_label": industry_label, "capital_display": capital_display}


def town_name(code):
    found = reference.town_by_code(code)
    return found[1] if found else (code or "")


def industry_label(code):
    name = reference.industry_name(code)
    return f"{code} {name}" if name else (code or "")


def capital_display(firm):
    if firm.capital_amount is None:
        return firm.capital_raw or ""
    try:
        return Capital(firm.capital_amount, firm.capital_currency or "CNY").display()
    except ValueError:
        return firm.capital_raw or ""


def _parse_day(text, default=None):
    try:
        return date.fromisoformat(text) if text else default
    except ValueError:
        return default


# ----------------------------------------------------------------------------- firm list

@bp.route("/")
@requires("registry.view")
def firm_list():
    flt = queries.FirmFilter.from_args(request.args)
    found = queries.find(flt, dates.today(), columns=queries.LIST_COLUMNS)
    total = found.total
    # each row with its shown capital, town and industry: made here, not by three template calls a row
    firms = [(f, capital_display(f), town_name(f.town_code), industry_label(f.industry_code)) for f in found.items]
    pages = max(1, -(-total // queries.PAGE_SIZE))
    return render_template("registry/firm_list.html", firms=firms, total=total, capped=found.capped, flt=flt,
                           pages=pages,
                           towns=reference.towns(), parks=PARKS, pools=service.active_pools(),
                           export_form=ExportStartForm(), export_direct_max=current_app.config["EXPORT_DIRECT_MAX_ROWS"])


@bp.route("/export.xlsx")
@requires("registry.export")
def firm_export():
    """Every firm of the list's filter. Up to EXPORT_DIRECT_MAX_ROWS firms: written in constant memory to a
    temporary file, then streamed (with its length, so the browser shows the download's progress). More:
    a page that starts the export as a job (the list's own button posts straight to it)."""
    flt = queries.FirmFilter.from_args(request.args)
    total = export.count(flt, dates.today())
    if total > current_app.config["EXPORT_DIRECT_MAX_ROWS"]:
        return render_template("registry/firm_export_start.html", flt=flt, total=total, form=ExportStartForm())
    path, _count = export.write_file(flt, dates.today())
    name = f"firms-{dates.today().isoformat()}.xlsx"
    resp = Response(stream_file(path), direct_passthrough=True,
                    mimetype=XLSX_MIME)
    resp.headers["Content-Length"] = str(os.path.getsize(path))
    resp.headers["Content-Disposition"] = content_disposition(name)
    ticket = request.args.get("ticket", "")
    if ticket.isalnum() and len(ticket) <= 32:     # a script may wait for this cookie: the file is ready
        resp.set_cookie("yz_export", ticket, max_age=60, samesite="Lax")
    return resp


@bp.route("/export/jobs", methods=["POST"])
@requires("registry.export")
def firm_export_start():
    """Start the export of the posted filter as a job (core.export_jobs) and show its progress page."""
    if not ExportStartForm().validate_on_submit():
        flash(_("页面已过期，请重新点击导出。"), "danger")
        return redirect(url_for("registry.firm_list"), 303)
    flt = queries.FirmFilter.from_args(request.form)
    job = export_jobs.queue(owner=current_user, kind=export.KIND, params=flt.args(page=""),
                            locale=str(get_locale() or "zh"))
    db.session.commit()
    import_runner.start(job)
    return redirect(url_for("core.export_job", export=export.KIND.name, job_id=job.id), 303)


# ----------------------------------------------------------------------------- firm page and forms

@bp.route("/firms/<int:firm_id>")
@requires("registry.view")
def firm_detail(firm_id):
    firm = get_in_scope_or_404(Firm, firm_id, "registry.view")
    facts = service.facts_of(firm)
    region = _region(firm)
    enter_form = EnterPoolForm(uscc=firm.uscc, entered_on=dates.today())
    # the form to enter a pool is shown only to whom may edit the firm: the pools are read only then
    enter_form.pool_id.choices = (_pool_choices() if can("registry.edit", firm) and not firm.archived_at
                                  else [])
    merged_into = db.session.get(Firm, firm.merged_into_id) if firm.merged_into_id else None
    return render_template("registry/firm_detail.html", firm=firm, facts=facts, region=region,
                           items=timeline.items_for(firm.id, current_user), enter_form=enter_form,
                           memberships=service.page_memberships(firm), merged_into=merged_into,
                           chart=_facts_chart(facts))


def _pool_choices() -> list[tuple[int, str]]:
    """(id, name) of the active pools, computed once per data version."""
    return list(dataversion.cached("registry.pool_choices", lambda: tuple(
        (p.id, p.name_zh) for p in service.active_pools())))


def _region(firm):
    try:
        return uscc_mod.region_of(firm.uscc)
    except uscc_mod.USCCError:
        return None


def _facts_chart(facts):
    def num(v):
        return float(v) if v is not None else None
    return {"years": [f.year for f in facts], "revenue": [num(f.revenue) for f in facts],
            "output_value": [num(f.output_value) for f in facts], "value_added": [num(f.value_added) for f in facts],
            "rd_spend": [num(f.rd_spend) for f in facts]}


@bp.route("/firms/new", methods=["GET", "POST"])
@requires("registry.edit")
def firm_create():
    form = FirmForm()
    if form.validate_on_submit() and (saved := save(form, lambda: service.create_firm(
            current_user, uscc=form.uscc.data, code_override_reason=form.code_override_reason.data or None,
            **form.firm_fields()))):
        flash(_("企业已登记"), "success")
        return redirect(url_for("registry.firm_detail", firm_id=saved.result.id))
    return render_template("registry/firm_form.html", form=form, firm=None)


@bp.route("/firms/<int:firm_id>/edit", methods=["GET", "POST"])
@requires("registry.edit")
def firm_edit(firm_id):
    firm = get_in_scope_or_404(Firm, firm_id, "registry.edit")
    form = FirmForm(obj=firm) if request.method == "GET" else FirmForm()
    if request.method == "GET":
        form.former_names.data = "；".join(firm.former_names or [])
        form.capital.data = firm.capital_raw or ""
        form.version.data = firm.version
    form.uscc.data = firm.uscc
    if form.validate_on_submit() and save(form, lambda: service.update_firm(
            firm, current_user, version=form.version.data, replace_former=True, **_firm_fields(form)), record=firm):
        flash(_("已保存"), "success")
        return redirect(url_for("registry.firm_detail", firm_id=firm.id))
    return render_template("registry/firm_form.html", form=form, firm=firm)


def _firm_fields(form) -> dict:
    fields = form.firm_fields()
    fields["former_names"] = [n for n in fields["former_names"].replace(";", "；").split("；") if n.strip()]
    return fields


@bp.route("/firms/<int:firm_id>/facts", methods=["GET", "POST"])
@requires("registry.edit")
def fact_edit(firm_id):
    firm = get_in_scope_or_404(Firm, firm_id, "registry.edit")
    year = request.args.get("year", type=int) or dates.today().year - 1
    fact = next((f for f in service.facts_of(firm) if f.year == year), None)
    form = FactForm(obj=fact) if request.method == "GET" and fact else FactForm()
    if request.method == "GET":
        form.year.data = year
    if form.validate_on_submit() and (saved := save(form, lambda: service.upsert_fact(
            current_user, firm, form.year.data, **{k: getattr(form, k).data for k in service.FACT_FIELDS}))):
        flash(_("年度数据已保存") if saved.result != "unchanged" else _("数据没有变化"), "success")
        # firm_id, not firm.id: the commit expired the firm, reading its id would load it again
        return redirect(url_for("registry.firm_detail", firm_id=firm_id) + "#facts")
    return render_template("registry/fact_form.html", form=form, firm=firm)


# ----------------------------------------------------------------------------- pools

@bp.route("/pools")
@requires("registry.view")
def pool_list():
    today = dates.today()
    counts = service.member_counts_as_of(today)
    pools = [(p, counts.get(p.id, 0)) for p in service.active_pools()]
    return render_template("registry/pool_list.html", pools=pools, today=today)


def _period_ends(today: date, months: int = 24) -> list[date]:
    """Month-ends of the last `months` months, the current month ending today."""
    out, y, m = [], today.year, today.month
    for _i in range(months):
        end = date(y, m, calendar.monthrange(y, m)[1])
        out.append(min(end, today))
        y, m = (y, m - 1) if m > 1 else (y - 1, 12)
    return sorted(out)


@bp.route("/pools/<int:pool_id>")
@requires("registry.view")
def pool_detail(pool_id):
    pool = get_in_scope_or_404(Pool, pool_id, "registry.view")
    today = dates.today()
    on = _parse_day(request.args.get("on"), today)
    members = service.members_as_of(pool, on)
    months = _period_ends(today)
    year_ends = [date(y, 12, 31) for y in range(today.year - 8, today.year)] + [today]
    form = EnterPoolForm(entered_on=today)
    form.pool_id.choices = [(pool.id, pool.name_zh)]
    return render_template("registry/pool_detail.html", pool=pool, on=on, members=members, form=form,
                           exit_form=ExitPoolForm(exited_on=today),
                           monthly={"dates": [d.isoformat() for d in months], "counts": service.pool_counts(pool, months)},
                           yearly={"dates": [d.isoformat() for d in year_ends],
                                   "counts": service.pool_counts(pool, year_ends)})


@bp.route("/pools/<int:pool_id>/enter", methods=["POST"])
@requires("registry.edit")
def pool_enter(pool_id):
    """Put a firm (by credit code) in a pool; posted from the pool page or the firm page."""
    form = EnterPoolForm()
    form.pool_id.choices = [(p.id, p.name_zh) for p in service.active_pools()]
    pool = get_in_scope_or_404(Pool, form.pool_id.data if form.pool_id.data else pool_id, "registry.edit")
    back = safe_next(request.form.get("next"), url_for("registry.pool_detail", pool_id=pool.id))
    if not form.validate_on_submit():
        flash_errors(form)
    elif saved := act(lambda: _enter_pool(form, pool)):
        flash(_("%(firm)s 已进入%(pool)s", firm=saved.result.name, pool=pool.name_zh), "success")
    return redirect(back)


def _enter_pool(form, pool) -> Firm:
    firm = service.known_firm(form.uscc.data)
    service.enter_pool(current_user, firm=firm, pool=pool, entered_on=form.entered_on.data, reason=form.reason.data)
    return firm


@bp.route("/memberships/<int:membership_id>/exit", methods=["POST"])
@requires("registry.edit")
def membership_exit(membership_id):
    membership = get_in_scope_or_404(PoolMembership, membership_id, "registry.edit")
    form = ExitPoolForm()
    if not form.validate_on_submit():
        flash_errors(form)
    elif act(lambda: service.exit_pool(current_user, membership, exited_on=form.exited_on.data,
                                       reason=form.reason.data)):
        flash(_("已出库"), "success")
    return redirect(url_for("registry.pool_detail", pool_id=membership.pool_id))


@bp.route("/pools/new", methods=["GET", "POST"])
@requires("registry.admin")
def pool_create():
    form = PoolForm()
    if form.validate_on_submit() and (saved := save(form, lambda: service.create_pool(
            current_user, key=form.key.data, name_zh=form.name_zh.data, name_en=form.name_en.data,
            description=form.description.data))):
        flash(_("培育库已创建"), "success")
        return redirect(url_for("registry.pool_detail", pool_id=saved.result.id))
    return render_template("registry/pool_form.html", form=form)


# ----------------------------------------------------------------------------- merge

def _merge_pair(form):
    keep, dup = service.find_firm(form.keep_uscc.data), service.find_firm(form.dup_uscc.data)
    if keep is None:
        form.keep_uscc.errors = list(form.keep_uscc.errors) + [service.not_in_registry()]
    if dup is None:
        form.dup_uscc.errors = list(form.dup_uscc.errors) + [service.not_in_registry()]
    return keep, dup


@bp.route("/merge", methods=["GET", "POST"])
@requires("registry.edit")
def firm_merge():
    form = MergeForm(keep_uscc=request.args.get("keep", ""), dup_uscc=request.args.get("dup", ""))
    keep = dup = None
    if form.validate_on_submit():
        keep, dup = _merge_pair(form)
        if (keep is not None and dup is not None and form.confirm.data == "yes"
                and save(form, lambda: service.merge_firms(current_user, keep, dup))):
            flash(_("已合并：%(dup)s 并入 %(keep)s", dup=dup.name, keep=keep.name), "success")
            return redirect(url_for("registry.firm_detail", firm_id=keep.id))
    confirm = keep is not None and dup is not None and not form.errors and keep.id != dup.id
    return render_template("registry/firm_merge.html", form=form, keep=keep, dup=dup, confirm=confirm,
                           keep_counts=_link_counts(keep), dup_counts=_link_counts(dup))


def _link_counts(firm):
    if firm is None:
        return {}
    return {"facts": len(service.facts_of(firm)), "memberships": len(service.memberships_of(firm))}


# ----------------------------------------------------------------------------- firms registered elsewhere

@bp.route("/review")
@requires("registry.edit")
def firm_review():
    """Firms another unit's editor registered (a tenancy, a talent, a candidate): 区经信局 checks them."""
    return render_template("registry/firm_review.html", firms=service.firms_to_review(),
                           unit_names=_unit_names(), form=ReviewForm())


@bp.route("/review/<int:firm_id>", methods=["POST"])
@requires("registry.edit")
def firm_reviewed(firm_id):
    firm = get_in_scope_or_404(Firm, firm_id, "registry.edit")
    if ReviewForm().validate_on_submit() and act(lambda: service.mark_firm_reviewed(firm, actor=current_user)):
        flash(_("已标记为已审核：%(name)s", name=firm.name), "success")
    return redirect(url_for("registry.firm_review"))


def _unit_names() -> dict:
    english = str(get_locale()) == "en"
    return {u.code: (u.name_en or u.name_zh) if english else u.name_zh for u in db.session.scalars(select(Unit))}


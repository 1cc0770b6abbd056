"""Goal pages: dashboard, goal page, export, unit page, the reporting workflow."""
from dataclasses import dataclass
from datetime import date

from flask import (Blueprint, abort, flash, jsonify, redirect, render_template, request, send_file,
                   url_for)
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_login import current_user
from markupsafe import Markup
from sqlalchemy import select

from core import dataversion, indicators
from core.auth.models import Unit
from core.db import db
from core.exports import xlsx_download
from core.permissions import can, ensure, requires, unit_scope
from core.redirects import safe_next
from core.saving import act, save
from core import dates
from goals import comments, definition, pace, reporting
from goals import dashboard_data as dd
from goals import periods
from goals import record_columns
from goals import rollup as ru
from goals import service
from goals.forms import DecisionForm, EmptyForm, ReopenForm, ReportForm
from goals.models import Goal, GoalUnit, Notification, ReportedValue
from goals.spreadsheets import export_goals

bp = Blueprint("goals", __name__, url_prefix="/goals")


def lang() -> str:
    return "en" if str(get_locale()) == "en" else "zh"


def as_of_arg() -> date:
    """The `as_of` query argument (YYYY-MM-DD); a bad or missing value means today, with a note."""
    raw = (request.args.get("as_of") or "").strip()
    if not raw:
        return dates.today()
    try:
        day = date.fromisoformat(raw)
    except ValueError:
        flash(_("日期格式应为 YYYY-MM-DD，已改用今天"), "warning")
        return dates.today()
    if not dates.plausible(day):
        flash(_("日期应在 %(a)s 至 %(b)s 之间，已改用今天", a=dates.EARLIEST.isoformat(), b=dates.LATEST.isoformat()),
              "warning")
        return dates.today()
    return day


def goal_or_404(key: str) -> Goal:
    goal = ru.get_goal(key)
    if goal is None:
        abort(404)
    return goal


@dataclass(frozen=True)
class _UnitOption:
    code: str
    name_zh: str
    name_en: str | None


def _units_with_goals() -> tuple[_UnitOption, ...]:
    """The units responsible for a goal (the dashboard's filter), cached until units or goals change."""
    def query():
        stmt = select(Unit).where(Unit.id.in_(select(GoalUnit.unit_id))).order_by(Unit.id)
        return tuple(_UnitOption(u.code, u.name_zh, u.name_en) for u in db.session.scalars(stmt))
    return dataversion.cached(("goals.units_with_goals",), query)


def _groups(rows, by: str):
    groups: dict = {}
    for row in rows:
        if by == "unit":
            for unit in row.goal.units:
                groups.setdefault(unit.name_en if lang() == "en" else unit.name_zh, []).append(row)
        else:
            key = row.goal.category_en if lang() == "en" and row.goal.category_en else row.goal.category_zh
            groups.setdefault(key, []).append(row)
    return list(groups.items())


@bp.route("/")
@requires("goals.view")
def dashboard():
    as_of = as_of_arg()
    unit_code = request.args.get("unit") or None
    by = "unit" if request.args.get("by") == "unit" else "category"
    # the figures' HTML, computed again after a commit wrote a table it read (core.dataversion); the
    # goals' figures in it come from the indicators' own cached values, so a write recomputes only
    # the indicators that read the written table
    key = ("dashboard_body", as_of, unit_code, by, lang(), can("goals.close"), unit_scope(comments.READ))
    body = dataversion.cached(key, lambda: Markup(_dashboard_body(as_of, unit_code, by)),
                              tables=ru.DEFINITION_TABLES, shared=True)
    # reporting completeness follows today and the user's permission: outside the cached body, cached
    # on its own (its HTML, computed again after a commit wrote a table it read, or the next day)
    reporting_html = _reporting_panel(dates.today()) if can("goals.approve") else ""
    return render_template("goals/goal_dashboard.html", body=body, by=by, as_of=as_of, unit_code=unit_code,
                           units=_units_with_goals(), lang=lang(), reporting_html=reporting_html)


def _reporting_panel(today: date) -> Markup:
    """The completeness panel's HTML for those who approve reports (the same for all of them)."""
    due_rule = reporting.due_rule()
    key = ("goals.reporting_panel", today, lang(), tuple(sorted(due_rule.items())))
    return dataversion.cached(key, lambda: Markup(render_template(
        "goals/_dashboard_reporting.html", completeness=reporting.completeness(today), due_rule=due_rule,
        lang=lang())), tables=ru.DEFINITION_TABLES)


def _dashboard_body(as_of: date, unit_code: str | None, by: str) -> str:
    rows, closed, moved = periods.reported_rows(ru.rollup_rows(as_of, unit_code), as_of)
    counts = {}
    for row in rows:
        counts[row.status or "none"] = counts.get(row.status or "none", 0) + 1
    groups = _groups(rows, by)
    extras = _dashboard_extras(rows, groups, counts, as_of)
    row_html = {r.goal.id: _row_html(r, extras["yoy"].get(r.goal.id), extras["comments"].get(r.goal.id, []), as_of)
                for r in rows}
    return render_template("goals/_dashboard_body.html", rows=rows, groups=groups, by=by, as_of=as_of,
                           unit_code=unit_code, counts=counts, lang=lang(), closed=closed, moved=moved,
                           row_html=row_html, **extras)


def _dashboard_extras(rows, groups, counts, as_of: date):
    """Charts, year-over-year change (following the data version, not the user) and the comments the
    user may read (goals.comment_read: the cache key holds the user's scope of it)."""
    labels = {"achieved": _("已完成"), "on_track": _("正常"), "at_risk": _("预警"), "behind": _("滞后"),
              "no_target": _("未设目标"), "none": _("无数据")}
    return {"charts": dd.chart_data(groups, counts, labels, lang()),
            "yoy": dd.year_over_year(rows, as_of),
            "comments": comments.latest_by_goal([r.goal.id for r in rows if comments.readable(r.goal)], as_of)}


def _row_html(row, yoy, notes, as_of: date) -> Markup:
    """One goal's row of the dashboard, rendered once per set of figures: the key holds every figure the
    row shows (so a write elsewhere that leaves them alone reuses the HTML, and a changed figure is a new
    key); the goal's definition, units and targets are read from tables the cache entry depends on."""
    t = row.target
    figures = (row.actual.value, row.actual.note, row.actual.period, t.id if t else None,
               t.value if t else None, t.value_max if t else None, row.progress, row.expected, row.status,
               row.projection, row.gap,
               None if yoy is None else (yoy["day"], yoy["previous"], yoy["change"]),
               tuple((c.id, c.period, c.text) for c in notes))
    key = ("goal_row_html", row.goal.id, as_of, lang(), figures)
    return dataversion.cached(key, lambda: Markup(render_template(
        "goals/_dashboard_row.html", r=row, yoy={row.goal.id: yoy}, comments={row.goal.id: notes},
        as_of=as_of, lang=lang())), tables=ru.DEFINITION_TABLES)


@bp.route("/trends.json")
@requires("goals.view")
def dashboard_trends():
    """The dashboard's sparklines ({goal id: [[date, value], …]}), fetched after the page: each is
    recomputed from the dated records at many dates, so the page itself never waits for them."""
    as_of = as_of_arg()
    unit_code = request.args.get("unit") or None
    rows, _closed, _moved = periods.reported_rows(ru.rollup_rows(as_of, unit_code), as_of)
    return jsonify({str(k): v for k, v in dd.trends(rows, as_of).items()})


@bp.route("/export.xlsx")
@requires("goals.export")
def goal_export():
    as_of = as_of_arg()
    data = export_goals(as_of, lang())
    return xlsx_download(data, f"goals-{as_of.isoformat()}.xlsx")


def column_labels(keys=(), goal=None) -> dict:
    """Headings of indicator records' keys, for people (`goals.record_columns`; never a raw key)."""
    return record_columns.labels(list(keys), goal, lang())


def _record_columns(records: list[dict]) -> list[str]:
    return record_columns.columns(records)


def _firm_url(firm_id):
    if not firm_id:
        return None
    try:
        return url_for("registry.firm_detail", firm_id=firm_id)
    except Exception:  # the registry page may not exist (yet)
        return None


@bp.route("/g/<key>")
@requires("goals.view")
def goal_detail(key):
    goal = goal_or_404(key)
    as_of = as_of_arg()
    row, points = ru.row_with_history(goal, as_of)
    period = periods.comparison(goal, as_of, row)
    if period is not None:           # a closed date: the figure and records as reported
        row = periods.frozen_row(row, period.figure)
    records = (period.figure.records if period else ru.records(goal.key, as_of)) if goal.kind == "computed" else []
    found = indicators.get(goal.metric) if goal.metric else None
    columns = _record_columns(records)
    return render_template(
        "goals/goal_detail.html", goal=goal, row=row, as_of=as_of, records=records,
        columns=columns, labels=column_labels(columns, goal),
        record_value=lambda k, v: record_columns.display(k, v, goal), firm_url=_firm_url, indicator=found[0] if found else None,
        trend=[[d.isoformat(), float(v)] for d, v in points], reports=service.reports_of(goal),
        definition=definition.paragraphs(goal, row.target), nature=definition.nature_label(goal),
        can_target=can("goals.target", goal), conflicts=[t for t in row.alternatives if (
            t.value, t.value_max) != (row.target.value, row.target.value_max)],
        decision_form=DecisionForm(), reopen_form=ReopenForm(), lang=lang(), period=period,
        can_report=goal.kind == "reported" and can("goals.report", goal), history=comments.comments_of(goal) if comments.readable(goal) else None)


@bp.route("/g/<key>/report", methods=["GET", "POST"])
@requires("goals.report")
def goal_report(key):
    goal = goal_or_404(key)
    ensure("goals.report", goal)
    form = ReportForm()
    if request.method == "GET" and request.args.get("period"):
        form.period.data = request.args["period"]
    if form.validate_on_submit() and save(form, lambda: service.save_report(
            goal, period=form.period.data, value=form.value.data, note=form.note.data, actor=current_user,
            unit=current_user.unit, evidence=_evidence(form), submit=not form.draft.data)):
        flash(_("已保存草稿") if form.draft.data else _("已提交，等待审核"), "success")
        return redirect(url_for("goals.goal_detail", key=goal.key))
    return render_template("goals/report_form.html", goal=goal, form=form, lang=lang(),
                           reports=service.reports_of(goal))


def _evidence(form):
    upload = form.evidence.data
    return (upload.filename, upload.read()) if upload and getattr(upload, "filename", "") else None


def _report_or_404(rid: int) -> ReportedValue:
    rv = db.session.get(ReportedValue, rid)
    if rv is None:
        abort(404)
    return rv


def _decide(rid: int, action, done: str):
    rv = _report_or_404(rid)
    form = DecisionForm()
    if not form.validate_on_submit():
        abort(400)
    if act(lambda: action(rv, form)):
        flash(done, "success")
    return redirect(safe_next(request.form.get("next"), url_for("goals.goal_detail", key=rv.goal.key)))


@bp.route("/reports/<int:rid>/approve", methods=["POST"])
@requires("goals.approve")
def report_approve(rid):
    return _decide(rid, lambda rv, f: service.approve_report(rv, actor=current_user), _("已审核通过，该期已锁定"))


@bp.route("/reports/<int:rid>/return", methods=["POST"])
@requires("goals.approve")
def report_return(rid):
    return _decide(rid, lambda rv, f: service.return_report(rv, reason=f.reason.data, actor=current_user),
                   _("已退回"))


@bp.route("/reports/<int:rid>/reopen", methods=["POST"])
@requires("goals.admin")
def report_reopen(rid):
    return _decide(rid, lambda rv, f: service.reopen_report(rv, reason=f.reason.data, actor=current_user),
                   _("已重新开放"))


@bp.route("/reports/<int:rid>/evidence")
@requires("goals.view")
def report_evidence(rid):
    rv = _report_or_404(rid)
    if not rv.evidence_path:
        abort(404)
    path = (service.uploads_dir() / rv.evidence_path).resolve()
    if service.uploads_dir().resolve() not in path.parents or not path.is_file():
        abort(404)
    return send_file(path, download_name=rv.evidence_name or path.name, as_attachment=True)


@bp.route("/reviews")
@requires("goals.approve")
def report_reviews():
    return render_template("goals/report_reviews.html", reports=service.pending_reports(),
                           form=DecisionForm(), lang=lang())


@bp.route("/units/<code>")
@requires("goals.view")
def unit_page(code):
    unit = db.session.scalars(select(Unit).where(Unit.code == code)).first()
    if unit is None:
        abort(404)
    as_of = as_of_arg()
    live = ru.rollup_rows(as_of, code)
    rows, closed, moved = periods.reported_rows(live, as_of)   # a closed date shows the figures as reported
    due = service.due_items(live, dates.today())
    returned = [rv for row in rows for rv in service.reports_of(row.goal) if rv.status == "returned"]
    return render_template("goals/unit_page.html", unit=unit, rows=rows, due=due, returned=returned,
                           notifications=service.notifications_for(unit), as_of=as_of, lang=lang(),
                           closed=closed, moved=moved, form=EmptyForm(), own=current_user.unit_id == unit.id or can("goals.admin"))


@bp.route("/notifications/<int:nid>/read", methods=["POST"])
@requires("goals.report")
def notification_read(nid):
    note = db.session.get(Notification, nid)
    if note is None:
        abort(404)
    if note.unit_id != current_user.unit_id and not can("goals.admin"):
        abort(403)
    if not EmptyForm().validate_on_submit():
        abort(400)
    act(lambda: service.mark_read(note))
    return redirect(url_for("goals.unit_page", code=note.unit.code))


@bp.app_template_filter("goalnum")
def goalnum(value, digits: int = 2) -> str:
    """12.3400 → 12.34, 1000000.0000 → 1,000,000; None → —."""
    if value is None:
        return "—"
    text = f"{float(value):,.{digits}f}"
    return text.rstrip("0").rstrip(".") if "." in text else text


@bp.app_template_filter("goalval")
def goalval(value, goal) -> str:
    """A figure in the goal's unit: whole numbers for counts (12 家), else as goalnum."""
    if value is None:
        return "—"
    return goalnum(pace.whole(goal, value), 0 if pace.is_count(goal) else 2)


@bp.app_template_filter("goalpct")
def goalpct(value) -> str:
    return "—" if value is None else f"{float(value) * 100:.1f}%"

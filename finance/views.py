"""Finance pages: the pre-IPO board, candidates and their stages, the financing ledger."""
from datetime import date

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import get_locale, gettext as _
from flask_login import current_user

from core import dates
from core import tabular
from core.exports import UNIT_KINDS, in_unit, xlsx_download
from core.permissions import can, get_in_scope_or_404, requires
from core.saving import save
from core.timeline import TimelineItem
from finance import criteria, service, spreadsheets
from finance.forms import (CandidateEditForm, CandidateForm, CriterionForm, FinancingEditForm, FinancingForm,
                           StageForm)
from finance.models import (ALL_STAGES, ANNUAL_FINANCING_TARGET, BOARDS, CRITERION_KINDS, FINANCING_TYPES,
                            FinancingEvent, IpoCandidate, ListingCriterion)
from registry import service as registry_service

bp = Blueprint("finance", __name__, url_prefix="/finance")


def _date_arg(name: str) -> date:
    """A YYYY-MM-DD query argument; today (with a warning) when absent or malformed."""
    raw = request.args.get(name, "").strip()
    if raw:
        try:
            return date.fromisoformat(raw)
        except ValueError:
            flash(_("日期格式应为 YYYY-MM-DD，已显示今天的数据"), "warning")
    return dates.today()


def _year_arg(default: int) -> int:
    raw = request.args.get("year", "").strip()
    return int(raw) if raw.isdigit() and 1990 <= int(raw) <= 2100 else default


# ----------------------------------------------------------------------------- board

@bp.route("/")
@bp.route("/board")
@requires("finance.view")
def board():
    as_of = _date_arg("as_of")
    columns = service.board_columns(as_of)
    return render_template("finance/board.html", as_of=as_of, columns=columns, stages=ALL_STAGES,
                           counts={s: len(items) for s, items in columns.items()},
                           pool_size=len(service.pool_members(as_of)), is_today=as_of == dates.today(),
                           move_form=StageForm(formdata=None, on=dates.today()))


@bp.route("/candidates")
@requires("finance.view")
def candidate_list():
    show = request.args.get("show", "open")
    candidates = service.list_candidates(open_only=show == "open", board=request.args.get("board") or None)
    return render_template("finance/candidate_list.html", candidates=candidates, show=show, boards=BOARDS)


@bp.route("/candidates/export.xlsx")
@requires("finance.export")
def candidate_export():
    personal = can("finance.personal")
    show = request.args.get("show", "all")   # the list's filters (the button carries them); all without
    candidates = service.list_candidates(open_only=show == "open", board=request.args.get("board") or None)
    headers, rows = spreadsheets.candidate_table(candidates, personal=personal, en=_en())
    return xlsx_download(tabular.write_xlsx(headers, rows, sheet_name=_("拟上市企业")), "ipo-candidates.xlsx")


def _en() -> bool:
    return str(get_locale()) == "en"


@bp.route("/candidates/new", methods=["GET", "POST"])
@requires("finance.edit")
def candidate_create():
    form = CandidateForm()
    if form.validate_on_submit() and (saved := save(form, lambda: _add_candidate(form))):
        flash(_("已加入拟上市企业资源库"), "success")
        return redirect(url_for("finance.candidate_detail", cid=saved.result.id))
    return render_template("finance/candidate_form.html", form=form, candidate=None)


def _add_candidate(form) -> IpoCandidate:
    firm = registry_service.find_or_register_firm(form.uscc.data, form.firm_name.data, actor=current_user)
    return service.add_candidate(current_user, firm=firm, **_candidate_values(form), entered_on=form.entered_on.data)


def _candidate_values(form) -> dict:
    return {name: (getattr(form, name).data or "") if name != "expected_year" else form.expected_year.data
            for name in service.CANDIDATE_FIELDS}


@bp.route("/candidates/<int:cid>")
@requires("finance.view")
def candidate_detail(cid):
    cand = get_in_scope_or_404(IpoCandidate, cid, "finance.view")
    year = request.args.get("year", "")
    check = criteria.check_candidate(cand, int(year) if year.isdigit() and 1990 <= int(year) <= 2100 else None)
    return render_template("finance/candidate_detail.html", c=cand, check=check,
                           durations=service.stage_durations(cand),
                           events=service.financing_events(firm_id=cand.firm_id),
                           move_form=StageForm(formdata=None, on=dates.today()),
                           personal=can("finance.personal", cand))


@bp.route("/candidates/<int:cid>/edit", methods=["GET", "POST"])
@requires("finance.edit")
def candidate_edit(cid):
    cand = get_in_scope_or_404(IpoCandidate, cid, "finance.edit")
    form = CandidateEditForm(obj=cand)
    if form.validate_on_submit() and save(form, lambda: service.update_candidate(
            cand, current_user, entered_on=form.entered_on.data, **_candidate_values(form)), record=cand):
        flash(_("已保存"), "success")
        return redirect(url_for("finance.candidate_detail", cid=cid))
    return render_template("finance/candidate_form.html", form=form, candidate=cand)


@bp.route("/candidates/<int:cid>/stage", methods=["GET", "POST"])
@requires("finance.edit")
def candidate_stage(cid):
    cand = get_in_scope_or_404(IpoCandidate, cid, "finance.edit")
    form = StageForm() if request.method == "POST" else StageForm(on=dates.today(), stage=cand.next_stage)
    back = "board" if request.values.get("back") == "board" else "detail"
    if form.validate_on_submit() and save(form, lambda: service.move_stage(
            cand, stage=form.stage.data, on=form.on.data, note=form.note.data or "",
            stock_code=form.stock_code.data, actor=current_user)):
        flash(_("%(firm)s：阶段已更新为“%(stage)s”", firm=cand.firm.name, stage=_(cand.current_stage)), "success")
        return redirect(url_for("finance.board") if back == "board" else url_for("finance.candidate_detail", cid=cid))
    return render_template("finance/candidate_stage.html", c=cand, form=form, back=back)


# ----------------------------------------------------------------------------- financing

@bp.route("/financing")
@requires("finance.view")
def financing_list():
    year = _year_arg(dates.today().year)
    totals = service.annual_totals()
    chart_years = sorted(set(totals) | {year})
    chart = {"years": [str(y) for y in chart_years],       # 亿元, as the plan speaks of the yearly sum
             "totals": [float(in_unit(totals.get(y, {}).get("total", 0), "yi")) for y in chart_years],
             "target": float(in_unit(ANNUAL_FINANCING_TARGET, "yi"))}
    year_total = totals.get(year, {}).get("total", 0)
    return render_template("finance/financing_list.html", year=year, totals=totals, chart=chart,
                           events=service.financing_events(year=year), types=FINANCING_TYPES,
                           year_total=year_total, target=ANNUAL_FINANCING_TARGET)


@bp.route("/financing/export.xlsx")
@requires("finance.export")
def financing_export():
    """The year's events in the import layout (amounts in 万元, as each event is recorded; the first sheet
    imports back), then the yearly totals by type in 亿元, as the plan speaks of them (年直接融资100亿元)."""
    year = _year_arg(dates.today().year)
    headers, rows = spreadsheets.financing_table(service.financing_events(year=year), en=_en())
    t_headers, t_rows, t_types = spreadsheets.financing_totals_table(service.annual_totals(), ANNUAL_FINANCING_TARGET)
    return xlsx_download(tabular.write_workbook([
        (_("直接融资%(year)s", year=year), headers, rows, {0: "text", 3: UNIT_KINDS["wan"], 4: "date"}),
        (_("年度合计（亿元）"), t_headers, t_rows, t_types)]), f"financing-{year}.xlsx")


@bp.route("/financing/new", methods=["GET", "POST"])
@requires("finance.edit")
def financing_create():
    form = FinancingForm() if request.method == "POST" else FinancingForm(on=dates.today(),
                                                                          uscc=request.args.get("uscc", ""))
    if form.validate_on_submit() and (saved := save(form, lambda: _record_financing(form))):
        flash(_("已记录融资事件"), "success")
        return redirect(url_for("finance.financing_list", year=saved.result.on.year))
    return render_template("finance/financing_form.html", form=form, event=None)


def _record_financing(form) -> FinancingEvent:
    firm = registry_service.find_or_register_firm(form.uscc.data, form.firm_name.data, actor=current_user)
    return service.record_financing(current_user, firm=firm, kind=form.kind.data, amount=form.amount.data,
                                    on=form.on.data, note=form.note.data)


@bp.route("/financing/<int:eid>/edit", methods=["GET", "POST"])
@requires("finance.edit")
def financing_edit(eid):
    event = get_in_scope_or_404(FinancingEvent, eid, "finance.edit")
    form = FinancingEditForm(obj=event)
    if form.validate_on_submit() and save(form, lambda: service.update_financing(
            event, current_user, kind=form.kind.data, amount=form.amount.data, on=form.on.data,
            note=form.note.data), record=event):
        flash(_("已保存"), "success")
        return redirect(url_for("finance.financing_list", year=event.on.year))
    return render_template("finance/financing_form.html", form=form, event=event)


# ----------------------------------------------------------------------------- listing criteria

@bp.route("/criteria")
@requires("finance.view")
def criteria_list():
    # translated here: an English label holds "%", which Jinja's gettext would take for a placeholder
    return render_template("finance/criteria_list.html", boards=BOARDS, kinds=CRITERION_KINDS,
                           kind_labels={k: _(v[0]) for k, v in CRITERION_KINDS.items()},
                           by_board={b: criteria.criteria_for(b) for b in BOARDS})


def _criterion_values(form) -> dict:
    return {"board": form.board.data, "key": form.key.data.strip(), "label": form.label.data.strip(),
            "kind": form.kind.data, "years": form.years.data, "threshold": form.threshold.data,
            "sort_order": form.sort_order.data or 0, "note": form.note.data or ""}


@bp.route("/criteria/new", methods=["GET", "POST"])
@requires("finance.admin")
def criterion_create():
    form = CriterionForm()
    if form.validate_on_submit() and save(form, lambda: criteria.create_criterion(current_user,
                                                                                  **_criterion_values(form))):
        flash(_("已保存"), "success")
        return redirect(url_for("finance.criteria_list"))
    return render_template("finance/criterion_form.html", form=form, crit=None)


@bp.route("/criteria/<int:crit_id>/edit", methods=["GET", "POST"])
@requires("finance.admin")
def criterion_edit(crit_id):
    crit = get_in_scope_or_404(ListingCriterion, crit_id, "finance.admin")
    form = CriterionForm(obj=crit)
    if form.validate_on_submit() and save(form, lambda: criteria.update_criterion(
            crit, current_user, **_criterion_values(form)), record=crit):
        flash(_("已保存"), "success")
        return redirect(url_for("finance.criteria_list"))
    return render_template("finance/criterion_form.html", form=form, crit=crit)


def timeline_items(firm_id: int, user) -> list:
    """The firm's pre-IPO stages and financing events for the registry's firm timeline."""
    if not can("finance.view", user=user):
        return []
    items = []
    for cand in service.candidates_of_firm(firm_id):
        url = url_for("finance.candidate_detail", cid=cand.id)
        for step in service.active_stages(cand):
            items.append(TimelineItem(on=step.on, domain="finance", url=url, detail=step.note,
                                      title=_("拟上市进程：%(stage)s（%(board)s）", stage=_(step.stage),
                                              board=_(cand.board))))
    for event in service.financing_events(firm_id=firm_id):
        items.append(TimelineItem(on=event.on, domain="finance", url=url_for("finance.financing_list",
                                                                             year=event.on.year),
                                  title=_("直接融资：%(kind)s %(amount)s 万元", kind=_(event.kind),
                                          amount=_fmt(event.amount)), detail=event.note))
    return items


@bp.app_template_filter("finance_amount")
def _fmt(amount) -> str:
    """万元 with thousands separators and at most two decimals: 12,345.5"""
    text = f"{amount or 0:,.2f}"
    return text.rstrip("0").rstrip(".") if "." in text else text


@bp.app_template_filter("finance_yi")
def _fmt_yi(amount) -> str:
    """An amount kept in 万元 in 亿元 (yearly sums, as the plan speaks of them), up to four decimals:
    12,345.5 万元 → 1.2346"""
    text = f"{in_unit(amount or 0, 'yi'):,.4f}"
    return text.rstrip("0").rstrip(".") if "." in text else text

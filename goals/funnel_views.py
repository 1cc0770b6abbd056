"""The cohort funnel pages (managers, 区科技局, 区金融办): chart and table, drill-down, xlsx export,
and the small funnel a carrier's page loads for its own firms."""
from datetime import date

from flask import abort, render_template, request, url_for
from flask_babel import gettext as _

from core import dates
from core.exports import xlsx_download
from core.permissions import ensure, requires
from core.tabular import write_xlsx
from goals import funnel as fn
from goals.views import as_of_arg, bp, lang
from incubation.models import CARRIER_TYPES, CARRIER_TYPES_EN
from incubation.queries import carriers
from registry.models import PLAN_SECTORS
from registry.reference import towns


def _int_arg(name: str) -> int | None:
    raw = (request.args.get(name) or "").strip()
    return int(raw) if raw.isdigit() and len(raw) <= 9 else None


def _choice_arg(name: str, allowed) -> str | None:
    raw = (request.args.get(name) or "").strip()
    return raw if raw in allowed else None


def filters_arg() -> fn.Filters:
    """Filters from the query string; unknown values are ignored (never an error page)."""
    return fn.Filters(basis=_choice_arg("basis", fn.COHORT_BASES) or "incubation",
                      carrier_id=_int_arg("carrier"), carrier_type=_choice_arg("carrier_type", CARRIER_TYPES),
                      town_code=_choice_arg("town", {code for code, _n in towns()}),
                      sector=_choice_arg("sector", PLAN_SECTORS))


def _cohort_arg(years: list[int], as_of: date) -> int:
    chosen = _int_arg("cohort")
    if chosen is not None:
        return chosen
    return years[-1] if years else as_of.year


def _choices() -> dict:
    en = lang() == "en"
    return {"carriers": [(c.id, c.name) for c in carriers()],
            "carrier_types": [(t, CARRIER_TYPES_EN[t] if en else t) for t in CARRIER_TYPES],
            "towns": towns(), "sectors": PLAN_SECTORS}


@bp.route("/funnel")
@requires("goals.view")
def funnel_page():
    as_of, flt = as_of_arg(), filters_arg()
    data = fn.frame(as_of, flt)
    years = fn.cohort_years(as_of, flt, data)
    cohort = _cohort_arg(years, as_of)
    result = fn.funnel(cohort, as_of, flt, data)
    return render_template("goals/funnel.html", result=result, years=years, overview=fn.overview(as_of, flt, data),
                           as_of=as_of, flt=flt, cohort=cohort, choices=_choices(), labels=fn.STAGE_LABELS,
                           leave_labels=fn.LEAVE_LABELS, stages=fn.STAGES, lang=lang())


def _drill_ids(result: fn.Funnel) -> tuple[list[int], str]:
    """The firm ids of one cell: a stage's reached firms, or those who left at a stage for a reason."""
    stage, reason = request.args.get("stage"), request.args.get("reason")
    if stage not in fn.STAGES:
        abort(404)
    if reason:
        if reason not in fn.LEAVE_LABELS:
            abort(404)
        row = next((r for r in result.left if r["stage"] == stage and r["reason"] == reason), None)
        return (row["firm_ids"] if row else []), _("%(stage)s · %(reason)s", stage=fn.STAGE_LABELS[stage],
                                                    reason=fn.LEAVE_LABELS[reason])
    found = next(s for s in result.stages if s.key == stage)
    return found.firm_ids, _("达到“%(stage)s”", stage=fn.STAGE_LABELS[stage])


@bp.route("/funnel/firms")
@requires("goals.view")
def funnel_firms():
    as_of, flt = as_of_arg(), filters_arg()
    cohort = _int_arg("cohort") or as_of.year
    result = fn.funnel(cohort, as_of, flt)
    ids, title = _drill_ids(result)
    firms = fn.firms_of(ids)
    if request.args.get("format") == "xlsx":
        ensure("goals.export")
        return _firms_xlsx(firms, cohort, as_of)
    return render_template("goals/funnel_firms.html", firms=firms, title=title, cohort=cohort, as_of=as_of,
                           flt=flt, towns=towns(), lang=lang())


def _firms_xlsx(firms, cohort: int, as_of: date):
    names = dict(towns())
    data = write_xlsx([_("统一社会信用代码"), _("企业名称"), _("所属街道（镇）"), _("产业领域")],
                      ([f.uscc, f.name, names.get(f.town_code, _("未标注")), _(f.plan_sector) if f.plan_sector else ""]
                       for f in firms),
                      sheet_name=_("企业名单"), column_types={0: "text"})
    return xlsx_download(data, f"funnel-{cohort}-{as_of.isoformat()}-firms.xlsx")


@bp.route("/funnel/export.xlsx")
@requires("goals.export")
def funnel_export():
    as_of, flt = as_of_arg(), filters_arg()
    rows, data = [], fn.frame(as_of, flt)
    for year in fn.cohort_years(as_of, flt, data):
        result = fn.funnel(year, as_of, flt, data)
        for s in result.stages:
            rows.append([year, result.size, s.label, s.reached, s.conversion, s.median_days])
    headers = [_("队列（首次入孵年份）") if flt.basis == "incubation" else _("队列（首次入库年份）"), _("队列企业数"),
               _("阶段"), _("达到企业数"), _("较上一阶段转化率"), _("较上一阶段用时中位数（天）")]
    data = write_xlsx(headers, rows, sheet_name=_("孵化漏斗"), column_types={4: "percent"})
    return xlsx_download(data, f"funnel-{as_of.isoformat()}.xlsx")


@bp.route("/funnel/carrier/<int:carrier_id>")
@requires("goals.view")
def funnel_fragment(carrier_id):
    """The funnel of a carrier's own firms, every cohort, as an HTML fragment for the carrier page."""
    as_of = dates.today()
    flt = fn.Filters(carrier_id=carrier_id)
    return render_template("goals/_funnel_fragment.html", overview=fn.overview(as_of, flt), stages=fn.STAGES,
                           labels=fn.STAGE_LABELS, as_of=as_of, flt=flt,
                           page_url=url_for("goals.funnel_page", carrier=carrier_id))

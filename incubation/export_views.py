"""Incubation exports: each list of the section as .xlsx with the page's filters (core.exports)."""
from flask import abort, request
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from core import dates
from core.exports import Col, xlsx_response
from core.field_labels import field_label
from core.indicators import get as get_indicator
from core.permissions import requires
from incubation import metrics, queries, service
from incubation.rd_views import institutions_of_level, live_alliances
from incubation.views import as_of_date, bp, carrier_type_arg, town_name

EXPORT = "incubation.export"


def _status(carrier, today) -> str:
    if carrier.active_on(today):
        return _("运营中")
    return _("已关闭") if carrier.closed_on else _("未启用")


def _carrier_cols(today, counts) -> tuple[Col, ...]:
    return (Col(_l("载体名称"), lambda c: c.name), Col(_l("类型"), lambda c: _(c.carrier_type)),
            Col(_l("级别"), lambda c: _(c.level)), Col(_l("运营主体"), lambda c: c.operator),
            Col(_l("所属镇街"), lambda c: town_name(c.town_code)),
            Col(_l("面积（平方米）"), lambda c: c.area_m2, "number"),
            Col(_l("可容纳企业数"), lambda c: c.capacity, "int"),
            Col(_l("当前在孵"), lambda c: counts[c.id], "int"),
            Col(_l("启用日期"), lambda c: c.opened_on, "date"), Col(_l("认定日期"), lambda c: c.recognized_on, "date"),
            Col(_l("关闭日期"), lambda c: c.closed_on, "date"), Col(_l("状态"), lambda c: _status(c, today)))


@bp.route("/carriers/export.xlsx")
@requires("incubation.view")
def carrier_export():
    rows = queries.carriers(carrier_type=carrier_type_arg() or None)
    today = dates.today()
    counts = {c.id: service.tenancy_counts(c, today)[0] for c in rows}
    return xlsx_response(_carrier_cols(today, counts), rows, sheet=_("孵化载体"), filename="carriers", perm=EXPORT)


TENANCY_COLS = (
    Col(_l("企业名称"), lambda t: t.firm.name), Col(_l("统一社会信用代码"), lambda t: t.firm.uscc, "text"),
    Col(_l("载体"), lambda t: t.carrier.name), Col(_l("载体类型"), lambda t: _(t.carrier.carrier_type)),
    Col(_l("入孵日期"), lambda t: t.entered_on, "date"), Col(_l("离开日期"), lambda t: t.left_on, "date"),
    Col(_l("去向"), lambda t: _(t.outcome) if t.outcome else ""), Col(_l("备注"), lambda t: t.note))


@bp.route("/tenancies/export.xlsx")
@requires("incubation.view")
def tenancy_export():
    rows = queries.tenancies_by_status(request.args.get("status", "current"))
    return xlsx_response(TENANCY_COLS, rows, sheet=_("在孵企业"), filename="tenancies", perm=EXPORT)


INSTITUTION_COLS = (
    Col(_l("研发机构名称"), lambda i: i.name), Col(_l("企业名称"), lambda i: i.firm.name),
    Col(_l("统一社会信用代码"), lambda i: i.firm.uscc, "text"), Col(_l("级别"), lambda i: _(i.level)),
    Col(_l("认定日期"), lambda i: i.recognized_on, "date"), Col(_l("撤销日期"), lambda i: i.revoked_on, "date"))


@bp.route("/institutions/export.xlsx")
@requires("incubation.view")
def institution_export():
    rows = institutions_of_level(request.args.get("level", ""))
    return xlsx_response(INSTITUTION_COLS, rows, sheet=_("企业研发机构"), filename="rd-institutions", perm=EXPORT)


ALLIANCE_COLS = (
    Col(_l("联盟名称"), lambda a: a.name), Col(_l("产业领域"), lambda a: a.sector),
    Col(_l("成立日期"), lambda a: a.founded_on, "date"),
    Col(_l("牵头企业"), lambda a: a.lead_firm.name if a.lead_firm else ""),
    Col(_l("成员数"), lambda a: len(a.members), "int"))


@bp.route("/alliances/export.xlsx")
@requires("incubation.view")
def alliance_export():
    return xlsx_response(ALLIANCE_COLS, live_alliances(), sheet=_("创新联盟"), filename="alliances", perm=EXPORT)


_KINDS = {"uscc": "text", "area_m2": "number", "makers": "int", "members": "int", "year": "int"}
_CODED = ("carrier_type", "level")    # stored Chinese words, shown translated


def _cell(key: str):
    if key in _CODED:
        return lambda r: _(r[key]) if r[key] else r[key]
    return lambda r: r[key]


@bp.route("/metrics/<name>/export.xlsx")
@requires("incubation.view")
def metric_export(name):
    found = get_indicator(name)
    if name not in metrics.TARGETS or found is None:
        abort(404)
    records = found[0].records(as_of_date())
    keys = [k for k in (records[0].keys() if records else ()) if not k.endswith("_id")]
    cols = [Col(_(metrics.RECORD_LABELS[k]) if k in metrics.RECORD_LABELS else field_label(k), _cell(k),
                _KINDS.get(k, "date" if k.endswith("_on") else None)) for k in keys]
    if not cols:                     # no record: a sheet that says so rather than one without a header
        cols = [Col(_l("暂无记录"), lambda r: None)]
    return xlsx_response(cols, records, sheet=_("明细"), filename=f"incubation-{name}", perm=EXPORT)

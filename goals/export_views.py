"""Goal drill-down export (core.exports): the records behind a goal's figure on a date, as on the goal page
(headers for people, amounts in the goal's unit: `goals.record_columns`); for a reported goal, its reports."""
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from core.exports import Col, xlsx_response
from core.permissions import requires
from goals import periods
from goals import rollup as ru
from goals import record_columns, service
from goals.views import as_of_arg, bp, goal_or_404, lang


def report_status(status: str) -> str:
    """A report's status for people (as the goal page's macro shows it)."""
    labels = {"draft": _("草稿"), "submitted": _("待审核"), "approved": _("已审核"), "returned": _("已退回")}
    return labels.get(status, status)


EXPORT = "goals.export"


def report_cols(goal) -> tuple[Col, ...]:
    """A reported goal's reports; the value in the goal's own unit (亿元, 家, % …), named in the header."""
    return (
        Col(_l("填报期"), lambda r: r.period), Col(goal.with_unit(_("数值"), lang()), lambda r: r.value, "number"),
        Col(_l("状态"), lambda r: report_status(r.status)), Col(_l("说明"), lambda r: r.note),
        Col(_l("提交人"), lambda r: r.submitted_by.label if r.submitted_by else ""),
        Col(_l("提交时间"), lambda r: r.submitted_at, "datetime"),
        Col(_l("审核人"), lambda r: r.decided_by.label if r.decided_by else ""),
        Col(_l("审核时间"), lambda r: r.decided_at, "datetime"))


@bp.route("/g/<key>/export.xlsx")
@requires("goals.view")
def goal_records_export(key):
    goal = goal_or_404(key)
    as_of = as_of_arg()
    sheet = _("明细 %(d)s", d=as_of.isoformat())
    if goal.kind != "computed":
        return xlsx_response(report_cols(goal), service.reports_of(goal), sheet=sheet, filename=f"goal-{goal.id}-reports",
                             perm=EXPORT)
    row = ru.row_with_history(goal, as_of)[0]
    period = periods.comparison(goal, as_of, row)
    records = period.figure.records if period else ru.records(goal.key, as_of)
    cols = record_columns.export_columns(records, goal, lang())
    return xlsx_response(cols, records, sheet=sheet, filename=f"goal-{goal.id}-records-{as_of.isoformat()}",
                         perm=EXPORT)

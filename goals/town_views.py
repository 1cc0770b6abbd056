"""Pages: every computed goal by town or park (table + bar chart), a town's page, their xlsx exports."""

from flask import abort, render_template, request
from flask_babel import gettext as _

from core.exports import xlsx_download
from core.permissions import requires
from core.tabular import write_xlsx
from goals import towns
from goals.views import as_of_arg, bp, lang
from registry import reference


def _by() -> str:
    return "park" if request.args.get("by") == "park" else "town"


def _num(value):
    return None if value is None else float(value)


@bp.route("/towns")
@requires("goals.view")
def town_breakdown():
    as_of, by = as_of_arg(), _by()
    rows = towns.breakdown(as_of, by)
    units = towns.units(by)
    chart = {r.goal.key: {"name": r.goal.name(lang()), "values": [_num(r.values.get(k)) for k, _l in units]}
             for r in rows if r.mode}
    return render_template("goals/town_breakdown.html", rows=rows, units=units, as_of=as_of, by=by,
                           chart={"labels": [_(label) if k == towns.UNMARKED else label for k, label in units],
                                  "goals": chart}, lang=lang())


@bp.route("/towns/export.xlsx")
@requires("goals.export")
def town_breakdown_export():
    as_of, by = as_of_arg(), _by()
    frame = towns.matrix(towns.breakdown(as_of, by), by, lang())
    headers = ["目标", *frame.columns]
    data = write_xlsx(headers, ([name, *(_num(v) for v in row)] for name, row in frame.iterrows()),
                      sheet_name="按街道镇" if by == "town" else "按园区")
    return xlsx_download(data, f"{'towns' if by == 'town' else 'parks'}-{as_of.isoformat()}.xlsx")


def _town_or_404(code: str) -> tuple[str, str]:
    if code == towns.UNMARKED:
        return code, _("未标注")
    found = dict(reference.towns()).get(code)
    if found is None:
        abort(404)
    return code, found


def _town(code: str) -> dict:
    """The town page's data: code, name, as_of, rows (breakdown), pools (members here), listed."""
    code, name = _town_or_404(code)
    town = towns.town_detail(code, as_of_arg())
    return {"code": code, "name": name, "as_of": town.as_of, "rows": town.rows, "pools": town.pools,
            "listed": town.listed}


@bp.route("/towns/<code>")
@requires("goals.view")
def town_page(code):
    return render_template("goals/town_page.html", lang=lang(), **_town(code))


@bp.route("/towns/<code>/export.xlsx")
@requires("goals.export")
def town_export(code):
    town = _town(code)
    key, name = town["code"], town["name"]
    out = [("指标", r.goal.name(lang()), "", "", _num(r.values.get(key)) if r.mode else None, _num(r.total))
           for r in town["rows"]]
    for pool, members in town["pools"]:
        out += [("培育库", pool.name_zh, m.firm.name, m.firm.uscc, None, None) for m in members]
    for label, recs in town["listed"]:
        out += [("名单", label, rec.get("firm_name", ""), rec.get("uscc", ""), None, None) for rec in recs]
    data = write_xlsx(("类别", "项目", "企业名称", "统一社会信用代码", name, "全区"), out, sheet_name=name,
                      column_types={3: "text"})
    return xlsx_download(data, f"{name}-{town['as_of'].isoformat()}.xlsx")

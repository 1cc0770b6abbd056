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


def _unit_label(key: str, label: str) -> str:
    """A town or park as a header: its name (a proper name, as registered); 未标注 and 其他 translated."""
    return _(label) if key == towns.UNMARKED or label == "其他" else label


@bp.route("/towns/export.xlsx")
@requires("goals.export")
def town_breakdown_export():
    """Goals × towns (or parks): each goal's figures in the goal's own unit (亿元 for output, 家 for firms)."""
    as_of, by, language = as_of_arg(), _by(), lang()
    rows = towns.breakdown(as_of, by)
    frame = towns.matrix(rows, by, language)
    headers = [_("指标"), _("单位"), *(_unit_label(k, label) for k, label in towns.units(by)), _("全区")]
    out = ([r.goal.name(language), r.goal.unit(language), *(_num(v) for v in values)]
           for r, (_name, values) in zip(rows, frame.iterrows()))
    data = write_xlsx(headers, out, sheet_name=_("按街道镇") if by == "town" else _("按园区"))
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
    """A town's figures against the district's (each in its goal's unit), its pool members, its listed firms."""
    town, language = _town(code), lang()
    key, name = town["code"], town["name"]
    out = [(_("指标"), r.goal.name(language), r.goal.unit(language), "", "",
            _num(r.values.get(key)) if r.mode else None, _num(r.total)) for r in town["rows"]]
    for pool, members in town["pools"]:
        pool_label = pool.name_en if language == "en" and pool.name_en else pool.name_zh
        out += [(_("培育库"), pool_label, "", m.firm.name, m.firm.uscc, None, None) for m in members]
    for label, recs in town["listed"]:
        out += [(_("名单"), _(label), "", rec.get("firm_name", ""), rec.get("uscc", ""), None, None) for rec in recs]
    data = write_xlsx((_("类别"), _("项目"), _("单位"), _("企业名称"), _("统一社会信用代码"), name, _("全区")), out,
                      sheet_name=name, column_types={4: "text"})
    return xlsx_download(data, f"{name}-{town['as_of'].isoformat()}.xlsx")

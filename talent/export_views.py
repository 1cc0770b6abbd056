"""Talent list exports (core.exports): the persons list as on the page — ID numbers masked — and the teams."""
from flask import request
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from core.exports import Col, xlsx_response
from core.permissions import can, requires
from talent import service
from talent.models import CATEGORIES
from talent.views import bp

EXPORT = "talent.export"
_ALL = 1_000_000  # the page shows the newest 500; the file holds every match

PERSON_COLS = (
    Col(_l("姓名"), lambda p: p.name), Col(_l("身份证号码（脱敏）"), lambda p: p.id_masked, "text"),
    Col(_l("人才类别"), lambda p: "、".join(dict.fromkeys(_(r.category) for r in p.active_recognitions))),
    Col(_l("用人单位"), lambda p: "、".join(dict.fromkeys(r.firm.name for r in p.active_recognitions))))


@bp.route("/persons/export.xlsx")
@requires("talent.personal")
def person_export():
    category = request.args.get("category") or None
    persons = service.list_persons(category=category if category in CATEGORIES else None,
                                   q=request.args.get("q"), limit=_ALL)
    return xlsx_response(PERSON_COLS, persons, sheet=_("人才名单"), filename="talent-persons", perm=EXPORT)


def _team_cols(personal: bool) -> list[Col]:
    cols = [Col(_l("团队名称"), lambda t: t.name), Col(_l("企业名称"), lambda t: t.firm.name),
            Col(_l("统一社会信用代码"), lambda t: t.firm.uscc, "text")]
    if personal:
        cols.append(Col(_l("负责人"), lambda t: t.leader.name))
    return cols + [Col(_l("团队人数"), lambda t: len(t.members) + 1, "int"),
                   Col(_l("认定日期"), lambda t: t.recognized_on, "date"),
                   Col(_l("资助金额"), lambda t: t.support, unit="wan")]


@bp.route("/teams/export.xlsx")
@requires("talent.view")
def team_export():
    return xlsx_response(_team_cols(can("talent.personal")), service.list_teams(limit=_ALL), sheet=_("领军人才团队"),
                         filename="talent-teams", perm=EXPORT)

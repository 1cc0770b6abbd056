"""Town breakdown API (/api/v1/towns): every computed goal by street/town or park, and one town's page.

`GET /towns?as_of=YYYY-MM-DD[&by=town|park][&goal=KEY]` → {as_of, by, units: [{key, label}], goals:
[{key, name, unit, mode, additive, total, values: {unit key: value}, parts_total}]} — the 未标注 unit
(key "none") is always listed; `GET /towns/{code}?as_of=` (a town's 9-digit code, or "none") → its
figures against the district's, its pool members and its incubated and pre-IPO firms.
"""
import re

import marshmallow as ma
from flask_babel import gettext as _
from flask_smorest import abort

from core import dates
from core.api import Day
from core.permissions import requires
from goals import rollup as ru
from goals import towns
from goals.api import Figure, _lang, blp
from registry import reference

CODE_RE = re.compile(r"^(\d{9}|none)$")


class TownArgs(ma.Schema):
    as_of = Day(metadata={"description": "YYYY-MM-DD, default today"})
    by = ma.fields.String(load_default="town", validate=ma.validate.OneOf(("town", "park")))
    goal = ma.fields.String(validate=ma.validate.Regexp(r"^[A-Za-z0-9_:.-]{1,100}$"),
                            metadata={"description": "one goal's key (default: every computed goal)"})
    lang = ma.fields.String(validate=ma.validate.OneOf(("zh", "en")))


class TownPageArgs(ma.Schema):
    as_of = Day(metadata={"description": "YYYY-MM-DD, default today"})
    lang = ma.fields.String(validate=ma.validate.OneOf(("zh", "en")))


BreakdownGoal = ma.Schema.from_dict({
    "key": ma.fields.String(), "name": ma.fields.String(), "unit": ma.fields.String(),
    "mode": ma.fields.String(allow_none=True, metadata={"description": "count | distinct | sum | ratio | null"}),
    "additive": ma.fields.Boolean(), "total": Figure(allow_none=True),
    "values": ma.fields.Dict(keys=ma.fields.String(), values=Figure(allow_none=True)),
    "parts_total": Figure(allow_none=True),
}, name="TownBreakdownGoal")


class TownBreakdownSchema(ma.Schema):
    as_of = ma.fields.String()
    by = ma.fields.String()
    units = ma.fields.List(ma.fields.Dict())
    goals = ma.fields.List(ma.fields.Nested(BreakdownGoal))


class TownPageSchema(ma.Schema):
    code = ma.fields.String()
    name = ma.fields.String()
    as_of = ma.fields.String()
    goals = ma.fields.List(ma.fields.Dict())
    pools = ma.fields.List(ma.fields.Dict())
    listed = ma.fields.List(ma.fields.Dict())


@blp.route("/towns")
@requires("goals.view")
@blp.arguments(TownArgs, location="query")
@blp.response(200, TownBreakdownSchema)
def town_breakdown(args):
    """Every computed goal (or one) by street/town or park as of a date; the parts add up to the figure."""
    as_of, by = args.get("as_of") or dates.today(), args["by"]
    goals = None
    if args.get("goal"):
        goal = ru.get_goal(args["goal"])
        if goal is None or goal.kind != "computed" or not goal.metric:
            abort(404, message=_("目标不存在或不是系统计算的指标"))
        goals = [goal]
    return towns.as_dict(towns.breakdown(as_of, by, goals), by, as_of, _lang(args))


@blp.route("/towns/<string:code>")
@requires("goals.view")
@blp.arguments(TownPageArgs, location="query")
@blp.response(200, TownPageSchema)
def town_page(args, code):
    """One street/town (9-digit code, or "none" for firms without one): figures, pool members, listed firms."""
    name = _town_name(code)
    as_of = args.get("as_of") or dates.today()
    return towns.town_dict(towns.town_detail(code, as_of), name, _lang(args))


def _town_name(code: str) -> str:
    if not CODE_RE.match(code):
        abort(404, message=_("街道/镇不存在"))
    if code == towns.UNMARKED:
        return _("未标注")
    name = dict(reference.towns()).get(code)
    if name is None:
        abort(404, message=_("街道/镇不存在"))
    return name

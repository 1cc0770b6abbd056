"""Goals JSON API (/api/v1): every goal rolled up as of a date, and the records behind a number.

`GET /goals?as_of=YYYY-MM-DD` → [{key, name, unit, baseline, baseline_year, target, target_year,
actual, progress, expected, status, responsible_unit, …}]; `GET /goals/{key}/records?as_of=` →
the records counted (computed goals) or the approved reported values (reported goals).
"""
import re

import marshmallow as ma
from flask import current_app
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_smorest import abort

from core import dataversion, dates
from core.api import Blueprint, Day, plain
from core.permissions import requires
from goals import funnel as fn
from goals import periods, service
from goals import rollup as ru

blp = Blueprint("goals_api", __name__, url_prefix="/api/v1", description="规划目标 Goals and roll-ups")

KEY_RE = re.compile(r"^[A-Za-z0-9_:.-]{1,100}$")
STATUSES = ("achieved", "on_track", "at_risk", "behind", "no_target")
NATURES = ("stock", "cumulative", "annual_flow", "level", "growth_rate", "reduction")


class Figure(ma.fields.Float):
    """A figure in the goal's unit: a whole number stays a whole number (counts of firms)."""

    def _serialize(self, value, attr, obj, **kwargs):
        return value if isinstance(value, int) else super()._serialize(value, attr, obj, **kwargs)


class GoalSchema(ma.Schema):
    key = ma.fields.String(required=True)
    name = ma.fields.String(required=True)
    category = ma.fields.String(allow_none=True)
    kind = ma.fields.String(metadata={"description": "computed | reported"})
    unit = ma.fields.String(allow_none=True, metadata={"description": "unit of measure"})
    baseline = ma.fields.Float(allow_none=True)
    baseline_year = ma.fields.Integer(allow_none=True)
    target = ma.fields.Float(allow_none=True)
    target_max = ma.fields.Float(allow_none=True)
    target_year = ma.fields.Integer(allow_none=True)
    target_source = ma.fields.String(allow_none=True)
    comparator = ma.fields.String(allow_none=True)
    approximate = ma.fields.Boolean()
    actual = Figure(allow_none=True)
    actual_note = ma.fields.String(allow_none=True)
    actual_period = ma.fields.String(allow_none=True)
    progress = ma.fields.Float(allow_none=True, metadata={"description": "fraction of the target: 1.0 = 100 %"})
    expected = Figure(allow_none=True, metadata={"description": "expected by as_of, by the goal's nature"})
    status = ma.fields.String(allow_none=True, metadata={"enum": list(STATUSES) + [None]})
    projection = Figure(allow_none=True)
    responsible_unit = ma.fields.String(allow_none=True)
    responsible_units = ma.fields.List(ma.fields.String())
    nature = ma.fields.String(metadata={"enum": list(NATURES), "description": "what the figure is: stock at the "
                              "date, cumulative over the window, annual flow (calendar year), level, growth "
                              "rate, reduction"})
    window_start = ma.fields.Date(allow_none=True, metadata={"description": "counting window of a cumulative flow"})
    window_end = ma.fields.Date(allow_none=True)
    definition = ma.fields.String(metadata={"description": "the definition (口径) in the request's language"})
    gap = Figure(allow_none=True, metadata={"description": "still missing to the target, goal's unit"})
    behind_pace = Figure(allow_none=True, metadata={"description": "behind expected-by-now, goal's unit"})
    needed_per_quarter = Figure(allow_none=True,
                                         metadata={"description": "gap ÷ quarters left to the target date"})
    whole_numbers = ma.fields.Boolean(metadata={"description": "a count: figures are whole numbers"})
    live_actual = ma.fields.Float(allow_none=True, metadata={
        "description": "on a closed date: the figure recomputed from today's data (actual is as reported)"})
    closed_at = ma.fields.DateTime(allow_none=True, metadata={
        "description": "when the date was closed (null for an open date)"})


class GoalArgs(ma.Schema):
    as_of = Day(metadata={"description": "YYYY-MM-DD, default today"})
    unit = ma.fields.String(validate=ma.validate.Regexp(r"^[a-z0-9_]{1,32}$"),
                            metadata={"description": "only the goals of this responsible unit (code)"})
    lang = ma.fields.String(validate=ma.validate.OneOf(("zh", "en")))


class RecordArgs(ma.Schema):
    as_of = Day(metadata={"description": "YYYY-MM-DD, default today"})


def _lang(args) -> str:
    return args.get("lang") or ("en" if str(get_locale() or "zh").startswith("en") else "zh")


@blp.route("/goals")
@requires("goals.view")
@blp.arguments(GoalArgs, location="query")
@blp.response(200, GoalSchema(many=True))
def goal_list(args):
    """Every goal as of a date: actual, progress, expected-by-now, status, projection.

    On a closed date `actual` (and status, pace) is the figure as reported when the period was
    closed, `live_actual` the figure recomputed from today's data, `closed_at` when it was closed.
    """
    as_of, unit, lang = args.get("as_of") or dates.today(), args.get("unit"), _lang(args)
    # the serialised body, computed again after a commit wrote a table it read (core.dataversion), from
    # the indicators' own cached values; shared: one worker computes it, the others read it
    body = dataversion.cached(("goals_api_json", as_of, unit, lang), lambda: current_app.json.dumps(
        GoalSchema(many=True).dump(periods.reported_dicts(service.rollup(as_of, unit_code=unit, lang=lang), as_of))),
        tables=ru.DEFINITION_TABLES, shared=True)
    return current_app.response_class(body + "\n", mimetype="application/json")


@blp.route("/goals/<string:key>/records")
@requires("goals.view")
@blp.arguments(RecordArgs, location="query")
@blp.response(200, description="The records behind the goal's number as of the date (free-form objects: "
                               "firm_id, uscc, firm_name and what was counted)")
@blp.doc(responses={"200": {"content": {"application/json": {
    "schema": {"type": "array", "items": {"type": "object"}}}}}})
def goal_records(args, key):
    """The records behind a goal's number as of a date."""
    if not KEY_RE.match(key):
        abort(404, message=_("目标不存在"))
    as_of = args.get("as_of") or dates.today()
    try:
        rows = periods.frozen_records(key, as_of)      # a closed date: the records as reported
        rows = service.records(key, as_of) if rows is None else rows
    except LookupError:
        abort(404, message=_("目标不存在"))
    return plain(list(rows))


# --------------------------------------------------------------------------- cohort funnel

class FunnelArgs(ma.Schema):
    cohort = ma.fields.Integer(required=True, validate=ma.validate.Range(min=1949, max=2100),
                               metadata={"description": "cohort year (first incubation, or first pool entry)"})
    as_of = Day(metadata={"description": "YYYY-MM-DD, default today"})
    basis = ma.fields.String(validate=ma.validate.OneOf(("incubation", "pool")))
    carrier = ma.fields.Integer(validate=ma.validate.Range(min=1, max=2**31 - 1))
    carrier_type = ma.fields.String(validate=ma.validate.Length(max=32))
    town = ma.fields.String(validate=ma.validate.Regexp(r"^\d{9}$"))
    sector = ma.fields.String(validate=ma.validate.Length(max=32))


FunnelStageSchema = ma.Schema.from_dict({
    "key": ma.fields.String(required=True), "label": ma.fields.String(), "reached": ma.fields.Integer(),
    "conversion": ma.fields.Float(allow_none=True, metadata={"description": "from the previous stage, 0..1"}),
    "median_days": ma.fields.Float(allow_none=True), "firm_ids": ma.fields.List(ma.fields.Integer()),
}, name="FunnelStage")
FunnelLeftSchema = ma.Schema.from_dict({
    "stage": ma.fields.String(), "stage_label": ma.fields.String(), "reason": ma.fields.String(),
    "reason_label": ma.fields.String(), "count": ma.fields.Integer(), "firm_ids": ma.fields.List(ma.fields.Integer()),
}, name="FunnelLeft")


class FunnelSchema(ma.Schema):
    cohort = ma.fields.Integer()
    as_of = ma.fields.String()
    basis = ma.fields.String()
    filters = ma.fields.Dict()
    size = ma.fields.Integer()
    stages = ma.fields.List(ma.fields.Nested(FunnelStageSchema))
    left = ma.fields.List(ma.fields.Nested(FunnelLeftSchema))


@blp.route("/funnel")
@requires("goals.view")
@blp.arguments(FunnelArgs, location="query")
@blp.response(200, FunnelSchema)
def funnel(args):
    """The cohort funnel 在孵 → 毕业 → 高成长 → 单项冠军 → 拟上市 → 上市 with the firm ids of every stage."""
    flt = fn.Filters(basis=args.get("basis", "incubation"), carrier_id=args.get("carrier"),
                     carrier_type=args.get("carrier_type"), town_code=args.get("town"), sector=args.get("sector"))
    return fn.funnel(args["cohort"], args.get("as_of") or dates.today(), flt).as_dict()

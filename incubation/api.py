"""Incubation JSON API (/api/v1): carriers and tenancies — list, get, create, graduate/end.

Same services and permissions as the pages (区科技局 writes).
"""

import marshmallow as ma
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from core import dates
from core.api import (Blueprint, Day, Number, PageArgs, Ranged, Text, actor, commit, get_or_404,
                      page_schema, paginate)
from core.permissions import requires
from incubation import queries, service
from incubation.models import CARRIER_TYPES, LEVELS, OUTCOMES, RANGES, Carrier, Tenancy
from registry.api import FirmName, FirmRefSchema, Uscc

blp = Blueprint("incubation_api", __name__, url_prefix="/api/v1", description="孵化载体与在孵企业 Carriers and tenancies")

MAX_INT = 2**31 - 1


# --------------------------------------------------------------------------- schemas

class CarrierSchema(ma.Schema):
    id = ma.fields.Integer()
    name = ma.fields.String()
    carrier_type = ma.fields.String()
    level = ma.fields.String()
    operator = ma.fields.String()
    address = ma.fields.String()
    town_code = ma.fields.String(allow_none=True)
    area_m2 = Number(allow_none=True)
    capacity = ma.fields.Integer(allow_none=True)
    opened_on = ma.fields.Date()
    recognized_on = ma.fields.Date(allow_none=True)
    closed_on = ma.fields.Date(allow_none=True)
    note = ma.fields.String()
    version = ma.fields.Integer()


class CarrierDetailSchema(CarrierSchema):
    current_tenants = ma.fields.Integer()
    all_tenancies = ma.fields.Integer()


class CarrierCreateSchema(ma.Schema):
    name = Text(required=True, validate=ma.validate.Length(min=1, max=200))
    carrier_type = ma.fields.String(required=True, validate=ma.validate.OneOf(CARRIER_TYPES))
    level = ma.fields.String(required=True, validate=ma.validate.OneOf(LEVELS))
    operator = Text(load_default="", validate=ma.validate.Length(max=200))
    address = Text(load_default="", validate=ma.validate.Length(max=500))
    town_code = Text(allow_none=True, validate=ma.validate.Length(max=9))
    area_m2 = Ranged(RANGES["area_m2"], allow_none=True, metadata={"description": "m²"})
    capacity = Ranged(RANGES["capacity"], allow_none=True)
    opened_on = Day(required=True)
    recognized_on = Day(allow_none=True)
    closed_on = Day(allow_none=True)
    note = Text(load_default="", multiline=True, validate=ma.validate.Length(max=5000))


class CarrierListArgs(ma.Schema):
    carrier_type = ma.fields.String(validate=ma.validate.OneOf(CARRIER_TYPES))
    include_archived = ma.fields.Boolean(load_default=False)


class TenancySchema(ma.Schema):
    id = ma.fields.Integer()
    firm = ma.fields.Nested(FirmRefSchema)
    carrier_id = ma.fields.Integer()
    carrier_name = ma.fields.Function(lambda t: t.carrier.name)
    entered_on = ma.fields.Date()
    left_on = ma.fields.Date(allow_none=True)
    outcome = ma.fields.String(allow_none=True)
    note = ma.fields.String()
    version = ma.fields.Integer()


TenancyPage = page_schema(TenancySchema, "TenancyPage")


class TenancyListArgs(PageArgs):
    carrier_id = ma.fields.Integer(validate=ma.validate.Range(min=1, max=MAX_INT))
    uscc = Uscc(metadata={"description": "tenancies of this firm"})
    current_on = Day(metadata={"description": "only tenancies current on this date"})


class TenancyCreateSchema(ma.Schema):
    carrier_id = ma.fields.Integer(required=True, validate=ma.validate.Range(min=1, max=MAX_INT))
    uscc = Uscc(required=True)
    firm_name = FirmName()
    entered_on = Day(required=True)
    note = Text(load_default="", multiline=True, validate=ma.validate.Length(max=5000))


class TenancyEndSchema(ma.Schema):
    on = Day(required=True, metadata={"description": "left_on: the first day no longer in the carrier"})
    outcome = ma.fields.String(load_default="毕业", validate=ma.validate.OneOf(OUTCOMES))
    note = Text(load_default="", multiline=True, validate=ma.validate.Length(max=5000))


class GraduateSchema(ma.Schema):
    on = Day(required=True)
    note = Text(load_default="", multiline=True, validate=ma.validate.Length(max=5000))


# --------------------------------------------------------------------------- carriers

@blp.route("/carriers")
@requires("incubation.view")
@blp.arguments(CarrierListArgs, location="query")
@blp.response(200, CarrierSchema(many=True))
def carrier_list(args):
    """Carriers (maker spaces, incubators, …), by type then name."""
    return queries.carriers(include_archived=args["include_archived"], carrier_type=args.get("carrier_type"))


@blp.route("/carriers", methods=["POST"])
@requires("incubation.edit")
@blp.arguments(CarrierCreateSchema)
@blp.response(201, CarrierSchema)
def carrier_create(data):
    """Register a carrier."""
    carrier = service.create_carrier(actor(), **data)
    commit()
    return carrier


@blp.route("/carriers/<int:carrier_id>")
@requires("incubation.view")
@blp.response(200, CarrierDetailSchema)
def carrier_get(carrier_id):
    """One carrier with its tenant counts (current today, all ever)."""
    carrier = get_or_404(Carrier, carrier_id, "incubation.view")
    current, total = service.tenancy_counts(carrier, dates.today())
    return {**{name: getattr(carrier, name) for name in CarrierSchema().fields},
            "current_tenants": current, "all_tenancies": total}


# --------------------------------------------------------------------------- tenancies

@blp.route("/tenancies")
@requires("incubation.view")
@blp.arguments(TenancyListArgs, location="query")
@blp.response(200, TenancyPage, headers={"X-Total-Count": {"schema": {"type": "integer"}}})
def tenancy_list(args):
    """Tenancies (not archived), newest entries first; filter by carrier, firm, date."""
    stmt = select(Tenancy).where(Tenancy.archived_at.is_(None))
    if args.get("carrier_id"):
        stmt = stmt.where(Tenancy.carrier_id == args["carrier_id"])
    if args.get("uscc"):
        from registry.models import Firm
        stmt = stmt.join(Tenancy.firm).where(Firm.uscc == args["uscc"])
    if args.get("current_on"):
        stmt = stmt.where(queries.tenancy_current(args["current_on"]))
    stmt = stmt.options(selectinload(Tenancy.firm), selectinload(Tenancy.carrier))
    return paginate(stmt.order_by(Tenancy.entered_on.desc(), Tenancy.id.desc()), args["page"], args["per_page"])


@blp.route("/tenancies", methods=["POST"])
@requires("incubation.edit")
@blp.arguments(TenancyCreateSchema)
@blp.response(201, TenancySchema)
def tenancy_create(data):
    """Register a firm's entry into a carrier (the firm is registered too when `firm_name` is given)."""
    carrier = get_or_404(Carrier, data.pop("carrier_id"), "incubation.edit")
    tenancy = service.register_tenancy(actor(), carrier=carrier, **data)
    commit()
    return tenancy


@blp.route("/tenancies/<int:tenancy_id>")
@requires("incubation.view")
@blp.response(200, TenancySchema)
def tenancy_get(tenancy_id):
    """One tenancy."""
    return get_or_404(Tenancy, tenancy_id, "incubation.view")


@blp.route("/tenancies/<int:tenancy_id>/graduate", methods=["POST"])
@requires("incubation.edit")
@blp.arguments(GraduateSchema)
@blp.response(200, TenancySchema)
def tenancy_graduate(data, tenancy_id):
    """Graduate (毕业) a current tenant on `on`."""
    tenancy = get_or_404(Tenancy, tenancy_id, "incubation.edit")
    service.graduate_tenancy(tenancy, actor(), on=data["on"], note=data["note"])
    commit()
    return tenancy


@blp.route("/tenancies/<int:tenancy_id>/end", methods=["POST"])
@requires("incubation.edit")
@blp.arguments(TenancyEndSchema)
@blp.response(200, TenancySchema)
def tenancy_end(data, tenancy_id):
    """End a current tenancy: 毕业 (graduated), 迁出 (moved out) or 注销 (closed down)."""
    tenancy = get_or_404(Tenancy, tenancy_id, "incubation.edit")
    service.end_tenancy(tenancy, actor(), outcome=data["outcome"], left_on=data["on"], note=data["note"])
    commit()
    return tenancy

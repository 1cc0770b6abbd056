"""Registry JSON API (/api/v1): firms (list, search, get, create, update), pools and memberships.

Same services and permissions as the pages; a firm update carries `version` (409 when stale).
"""
from datetime import date

import marshmallow as ma
from flask_babel import gettext as _
from flask_smorest import abort

from core import dates
from core.api import Blueprint, Day, Number, PageArgs, Text, USCCField, actor, commit, get_or_404, page_schema
from core.permissions import requires
from registry import queries, reference, service, uscc as uscc_mod
from registry.models import PARKS, PLAN_SECTORS, Firm, PoolMembership

blp = Blueprint("registry_api", __name__, url_prefix="/api/v1", description="企业库与培育库 Firms and pools")


def check_uscc(raw) -> str:
    """Normalised valid credit code, else USCCError (a ValueError with a Chinese `.message`)."""
    return uscc_mod.validate(raw)


def Uscc(**kwargs):  # noqa: N802 - a field factory
    """The credit code field, validated by registry.uscc."""
    return USCCField(check=check_uscc, **kwargs)


def FirmName(**kwargs):  # noqa: N802 - a field factory
    """The firm's name beside a credit code: the firm is registered under it when the code is unknown."""
    return Text(allow_none=True, validate=ma.validate.Length(max=255),
                metadata={"description": "firm name: registers the firm when the credit code is not in the registry"},
                **kwargs)


# --------------------------------------------------------------------------- schemas

class FirmSchema(ma.Schema):
    id = ma.fields.Integer()
    uscc = USCCField()
    name = ma.fields.String()
    former_names = ma.fields.List(ma.fields.String())
    registered_on = ma.fields.Date(allow_none=True)
    firm_type = ma.fields.String(allow_none=True)
    legal_rep = ma.fields.String(allow_none=True)
    capital_amount = Number(allow_none=True, metadata={"description": "万 (capital_currency)"})
    capital_currency = ma.fields.String(allow_none=True)
    capital_raw = ma.fields.String(allow_none=True)
    business_scope = ma.fields.String(allow_none=True)
    address = ma.fields.String(allow_none=True)
    town_code = ma.fields.String(allow_none=True)
    town_name = ma.fields.Method("_town_name", allow_none=True)
    park = ma.fields.String(allow_none=True)
    industry_code = ma.fields.String(allow_none=True)
    plan_sector = ma.fields.String(allow_none=True)
    above_scale = ma.fields.Boolean()
    high_tech = ma.fields.Boolean()
    listed = ma.fields.Boolean()
    stock_code = ma.fields.String(allow_none=True)
    code_overridden = ma.fields.Boolean()
    archived = ma.fields.Method("_archived", metadata={"type": "boolean"})
    version = ma.fields.Integer()

    def _town_name(self, firm) -> str | None:
        return dict(reference.towns()).get(firm.town_code) if firm.town_code else None

    def _archived(self, firm) -> bool:
        return firm.archived_at is not None


FirmPage = type("FirmPage", (page_schema(FirmSchema, "FirmPageBase"),), {
    "total_capped": ma.fields.Boolean(metadata={
        "description": f"present (true) when a search by q found more than {queries.COUNT_CAP:,} firms: "
                       "total is then that cap"})})


class FirmFieldsSchema(ma.Schema):
    """Writable firm fields (shape only; registry.service checks the rules)."""

    former_names = ma.fields.List(Text(validate=ma.validate.Length(max=255)), validate=ma.validate.Length(max=50))
    registered_on = Day(allow_none=True)
    firm_type = Text(allow_none=True, validate=ma.validate.Length(max=100))
    legal_rep = Text(allow_none=True, validate=ma.validate.Length(max=100))
    capital = Text(allow_none=True, validate=ma.validate.Length(max=64),
                   metadata={"description": "注册资本 as written, e.g. 500万元人民币, 13(万美元)"})
    business_scope = Text(allow_none=True, multiline=True, validate=ma.validate.Length(max=5000))
    address = Text(allow_none=True, validate=ma.validate.Length(max=500))
    town_code = Text(allow_none=True, validate=ma.validate.Length(max=20),
                     metadata={"description": "9-digit code or name of a Yinzhou street/town"})
    park = Text(allow_none=True, validate=ma.validate.OneOf(PARKS))
    industry_code = Text(allow_none=True, validate=ma.validate.Length(max=100),
                         metadata={"description": "GB/T 4754-2017 code or name"})
    plan_sector = Text(allow_none=True, validate=ma.validate.OneOf(PLAN_SECTORS))
    above_scale = ma.fields.Boolean()
    high_tech = ma.fields.Boolean()
    listed = ma.fields.Boolean()
    stock_code = Text(allow_none=True, validate=ma.validate.Length(max=16))


class FirmCreateSchema(FirmFieldsSchema):
    uscc = Uscc(required=True)
    name = Text(required=True, validate=ma.validate.Length(min=1, max=255))


class FirmUpdateSchema(FirmFieldsSchema):
    version = ma.fields.Integer(required=True, validate=ma.validate.Range(min=0, max=2**31 - 1),
                                metadata={"description": "the version read; 409 when the firm changed since"})
    name = Text(validate=ma.validate.Length(min=1, max=255))


class FirmListArgs(PageArgs):
    q = Text(load_default="", validate=ma.validate.Length(max=100),
             metadata={"description": "fragment of the name, a former name or the credit code"})
    code = Text(load_default="", validate=ma.validate.Length(max=40), metadata={"description": "credit code or prefix"})
    town = Text(load_default="", validate=ma.validate.Length(max=20))
    park = Text(load_default="", validate=ma.validate.Length(max=64))
    industry = Text(load_default="", validate=ma.validate.Length(max=100))
    pool = Text(load_default="", validate=ma.validate.Length(max=48),
                metadata={"description": "pool key: members as of today"})
    above_scale = ma.fields.Boolean()
    high_tech = ma.fields.Boolean()
    listed = ma.fields.Boolean()
    sort = ma.fields.String(load_default="name", validate=ma.validate.OneOf(tuple(queries.SORTS)))
    desc = ma.fields.Boolean(load_default=False)


class PoolSchema(ma.Schema):
    id = ma.fields.Integer()
    key = ma.fields.String()
    name_zh = ma.fields.String()
    name_en = ma.fields.String()
    description = ma.fields.String()
    members = ma.fields.Integer(metadata={"description": "members as of `as_of`"})


class FirmRefSchema(ma.Schema):
    id = ma.fields.Integer()
    uscc = ma.fields.String()
    name = ma.fields.String()


class MembershipSchema(ma.Schema):
    id = ma.fields.Integer()
    pool = ma.fields.Function(lambda m: m.pool.key)
    firm = ma.fields.Nested(FirmRefSchema)
    entered_on = ma.fields.Date()
    exited_on = ma.fields.Date(allow_none=True)
    reason = ma.fields.String()
    exit_reason = ma.fields.String()
    version = ma.fields.Integer()


class AsOfArgs(ma.Schema):
    as_of = Day(metadata={"description": "YYYY-MM-DD, default today"})


class EnterPoolSchema(ma.Schema):
    uscc = Uscc(required=True)
    entered_on = Day(required=True)
    exited_on = Day(allow_none=True)
    reason = Text(load_default="", multiline=True, validate=ma.validate.Length(max=1000))


class ExitPoolSchema(ma.Schema):
    exited_on = Day(required=True)
    reason = Text(load_default="", multiline=True, validate=ma.validate.Length(max=1000))


# --------------------------------------------------------------------------- firms

@blp.route("/firms")
@requires("registry.view")
@blp.arguments(FirmListArgs, location="query")
@blp.response(200, FirmPage, headers={"X-Total-Count": {"schema": {"type": "integer"}}})
def firm_list(args):
    """Firms: search by name fragment, code, town, park, industry, pool, flags; paginated."""
    flt = queries.FirmFilter(q=args["q"], code=args["code"], town=args["town"], park=args["park"],
                             industry=args["industry"], pool=_pool_id(args["pool"]),
                             flags={f: args[f] for f in ("above_scale", "high_tech", "listed") if f in args},
                             sort=args["sort"], desc=args["desc"])
    if args["pool"] and flt.pool is None:
        return {"items": [], "total": 0, "page": args["page"], "per_page": args["per_page"]}, {"X-Total-Count": "0"}
    found = queries.find(flt, dates.today(), page=args["page"], per_page=args["per_page"])
    body = {"items": found.items, "total": found.total, "page": args["page"], "per_page": args["per_page"]}
    if found.capped:    # a text search found more than queries.COUNT_CAP firms: total is that cap
        body["total_capped"] = True
    return body, {"X-Total-Count": str(found.total)}


def _pool_id(key: str) -> int | None:
    pool = _pool(key) if key else None
    return pool.id if pool else None


def _pool(key: str):
    if not key.isascii() or not key.replace("_", "").isalnum():
        return None
    return service.pool_by_key(key.lower())


@blp.route("/firms", methods=["POST"])
@requires("registry.edit")
@blp.arguments(FirmCreateSchema)
@blp.response(201, FirmSchema)
def firm_create(data):
    """Register a firm (the credit code is validated; a taken code is refused)."""
    firm = service.create_firm(actor(), **data)
    commit()
    return firm


@blp.route("/firms/<int:firm_id>")
@requires("registry.view")
@blp.response(200, FirmSchema)
def firm_get(firm_id):
    """One firm by id."""
    return get_or_404(Firm, firm_id, "registry.view")


@blp.route("/firms/by-uscc/<string:code>")
@requires("registry.view")
@blp.response(200, FirmSchema)
def firm_by_uscc(code):
    """One firm by credit code (normalised; merged firms lead to the surviving record)."""
    try:
        check_uscc(code)
    except uscc_mod.USCCError as exc:
        abort(422, message=exc.message, errors={"uscc": [exc.message]})
    firm = service.find_firm(code)
    if firm is None:
        abort(404, message=service.not_in_registry())
    return firm


@blp.route("/firms/<int:firm_id>", methods=["PATCH"])
@requires("registry.edit")
@blp.arguments(FirmUpdateSchema)
@blp.response(200, FirmSchema)
def firm_update(data, firm_id):
    """Change a firm's fields; `version` as read (409 with the changes made since when stale)."""
    firm = get_or_404(Firm, firm_id, "registry.edit")
    version = data.pop("version")
    service.update_firm(firm, actor(), version=version, replace_former="former_names" in data, **data)
    commit()
    return firm


@blp.route("/firms/<int:firm_id>/memberships")
@requires("registry.view")
@blp.response(200, MembershipSchema(many=True))
def firm_memberships(firm_id):
    """Every pool membership of a firm, oldest first."""
    return service.memberships_of(get_or_404(Firm, firm_id, "registry.view"))


# --------------------------------------------------------------------------- pools

@blp.route("/pools")
@requires("registry.view")
@blp.arguments(AsOfArgs, location="query")
@blp.response(200, PoolSchema(many=True))
def pool_list(args):
    """The active cultivation pools with their member counts as of a date."""
    on = args.get("as_of") or dates.today()
    return [_pool_row(p, on) for p in service.active_pools()]


def _pool_row(pool, on: date) -> dict:
    return {"id": pool.id, "key": pool.key, "name_zh": pool.name_zh, "name_en": pool.name_en,
            "description": pool.description, "members": service.pool_count_as_of(pool, on)}


def _pool_or_404(pool_key: str):
    pool = _pool(pool_key)
    if pool is None:
        abort(404, message=_("培育库不存在"))
    return pool


@blp.route("/pools/<string:pool_key>/members")
@requires("registry.view")
@blp.arguments(AsOfArgs, location="query")
@blp.response(200, MembershipSchema(many=True))
def pool_members(args, pool_key):
    """Members of a pool as of a date (entered_on <= as_of < exited_on)."""
    return service.members_as_of(_pool_or_404(pool_key), args.get("as_of") or dates.today())


@blp.route("/pools/<string:pool_key>/memberships", methods=["POST"])
@requires("registry.edit")
@blp.arguments(EnterPoolSchema)
@blp.response(201, MembershipSchema)
def pool_enter(data, pool_key):
    """Put a registered firm in a pool from `entered_on`."""
    pool = _pool_or_404(pool_key)
    firm = service.known_firm(data["uscc"])
    membership = service.enter_pool(actor(), firm=firm, pool=pool, entered_on=data["entered_on"],
                                    exited_on=data.get("exited_on"), reason=data["reason"])
    commit()
    return membership


@blp.route("/memberships/<int:membership_id>/exit", methods=["POST"])
@requires("registry.edit")
@blp.arguments(ExitPoolSchema)
@blp.response(200, MembershipSchema)
def membership_exit(data, membership_id):
    """Record that a firm left a pool on `exited_on` (it counts up to the day before)."""
    membership = get_or_404(PoolMembership, membership_id, "registry.edit")
    service.exit_pool(actor(), membership, exited_on=data["exited_on"], reason=data["reason"])
    commit()
    return membership

"""Talent JSON API (/api/v1): the talent rules of the pages hold here too.

- names and masked ID numbers only for `talent.personal` (talent units and admin): /talents, /talents/{id};
- everyone else gets counts and per-firm aggregates: /talents/summary;
- the clear resident ID number goes in (POST) and never comes out, not even in an error.
"""

import marshmallow as ma
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from core import dates
from core.api import (Blueprint, Day, Number, PageArgs, Ranged, Text, actor, commit, get_or_404,
                      page_schema, paginate)
from core.permissions import requires
from registry.api import FirmName, FirmRefSchema, Uscc
from talent import metrics, service
from talent.models import CATEGORIES, RANGES, TALENT_UNITS, Person, Recognition

blp = Blueprint("talent_api", __name__, url_prefix="/api/v1", description="人才 Talents (personal data masked)")


# --------------------------------------------------------------------------- schemas

class RecognitionSchema(ma.Schema):
    id = ma.fields.Integer()
    category = ma.fields.String()
    programme = ma.fields.String()
    firm = ma.fields.Nested(FirmRefSchema)
    recognized_on = ma.fields.Date()
    support = Number(allow_none=True, metadata={"description": "万元"})
    unit_code = ma.fields.String()
    note = ma.fields.String()


class PersonSchema(ma.Schema):
    """A person as the talent units see it: name and masked ID (never the clear number)."""

    id = ma.fields.Integer()
    ref = ma.fields.Function(lambda p: metrics.person_ref(p.id), metadata={"description": "opaque reference"})
    name = ma.fields.String()
    id_masked = ma.fields.String()
    birth_year = ma.fields.Integer(allow_none=True)
    sex = ma.fields.String(allow_none=True)
    recognitions = ma.fields.Function(lambda p: RecognitionSchema(many=True).dump(p.active_recognitions),
                                      metadata={"type": "array", "items": {"type": "object"}})
    version = ma.fields.Integer()


PersonPage = page_schema(PersonSchema, "PersonPage")


class PersonListArgs(PageArgs):
    category = ma.fields.String(validate=ma.validate.OneOf(CATEGORIES))
    q = Text(validate=ma.validate.Length(max=64), metadata={"description": "name fragment"})


class TalentCreateSchema(ma.Schema):
    id_number = Text(required=True, load_only=True, validate=ma.validate.Length(max=32),
                     metadata={"description": "resident ID (18 characters); only its keyed hash and masked form are kept"})
    name = Text(required=True, validate=ma.validate.Length(min=1, max=64))
    category = ma.fields.String(required=True, validate=ma.validate.OneOf(CATEGORIES))
    programme = Text(load_default="", validate=ma.validate.Length(max=128))
    uscc = Uscc(required=True, metadata={"description": "employer firm"})
    firm_name = FirmName()
    recognized_on = Day(required=True)
    support = Ranged(RANGES["support"], allow_none=True, metadata={"description": "万元"})
    unit_code = ma.fields.String(validate=ma.validate.OneOf(TALENT_UNITS),
                                 metadata={"description": "registering unit; default: the caller's unit"})
    note = Text(load_default="", multiline=True, validate=ma.validate.Length(max=5000))


class TalentCreatedSchema(ma.Schema):
    outcome = ma.fields.String(metadata={"description": "created | updated | unchanged"})
    recognition = ma.fields.Nested(RecognitionSchema)
    person = ma.fields.Nested(PersonSchema)


class AsOfArgs(ma.Schema):
    as_of = Day(metadata={"description": "YYYY-MM-DD, default today"})


class FirmAggregateSchema(ma.Schema):
    firm_id = ma.fields.Integer()
    uscc = ma.fields.String()
    firm_name = ma.fields.String()
    category = ma.fields.String()
    persons = ma.fields.Integer()
    support = Number(allow_none=True, metadata={"description": "万元"})


class SummarySchema(ma.Schema):
    as_of = ma.fields.Date()
    categories = ma.fields.Dict(keys=ma.fields.String(), values=ma.fields.Integer(),
                                metadata={"description": "distinct persons per category"})
    leading_talents = ma.fields.Integer(metadata={"description": "supported 领军人才/千人计划专家 (distinct persons)"})
    teams = ma.fields.Integer()
    firms = ma.fields.List(ma.fields.Nested(FirmAggregateSchema))


# --------------------------------------------------------------------------- views

@blp.route("/talents/summary")
@requires("talent.aggregate")
@blp.arguments(AsOfArgs, location="query")
@blp.response(200, SummarySchema)
def talent_summary(args):
    """Counts as of a date: persons per category, leading talents, teams, per-firm aggregates (no personal data)."""
    on = args.get("as_of") or dates.today()
    return {"as_of": on, "categories": service.category_counts(on),
            "leading_talents": metrics.leading_talents(on), "teams": service.count_teams(on),
            "firms": service.firm_aggregates(on)}


@blp.route("/talents")
@requires("talent.personal")
@blp.arguments(PersonListArgs, location="query")
@blp.response(200, PersonPage, headers={"X-Total-Count": {"schema": {"type": "integer"}}})
def talent_list(args):
    """Persons (talent units and admin only): name and masked ID, with their recognitions."""
    stmt = select(Person).where(Person.archived_at.is_(None))
    if args.get("category"):
        stmt = stmt.where(Person.id.in_(select(Recognition.person_id).where(
            Recognition.category == args["category"], Recognition.archived_at.is_(None))))
    if args.get("q"):
        stmt = stmt.where(Person.name.contains(args["q"], autoescape=True))
    stmt = stmt.options(selectinload(Person.recognitions).selectinload(Recognition.firm))
    return paginate(stmt.order_by(Person.id.desc()), args["page"], args["per_page"])


@blp.route("/talents/<int:person_id>")
@requires("talent.personal")
@blp.response(200, PersonSchema)
def talent_get(person_id):
    """One person (talent units and admin only)."""
    return get_or_404(Person, person_id, "talent.personal")


@blp.route("/talents", methods=["POST"])
@requires("talent.edit")
@blp.arguments(TalentCreateSchema)
@blp.response(201, TalentCreatedSchema)
def talent_create(data):
    """Register a recognition of a person (found again by ID: one person, one record)."""
    me = actor()
    unit = data.pop("unit_code", None) or (me.unit.code if me.unit and me.unit.code in TALENT_UNITS
                                           else TALENT_UNITS[0])
    key = service.person_key(data.pop("id_number"))
    rec, outcome = service.register_talent(me, key=key, unit_code=unit, **data)
    commit()
    return {"outcome": outcome, "recognition": rec, "person": rec.person}

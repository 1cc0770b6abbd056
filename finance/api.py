"""Finance JSON API (/api/v1): pre-IPO candidates and their stages, financing events and annual totals.

Same services and permissions as the pages (区金融办 writes). A candidate's contact person and
phone are personal data: shown only to holders of `finance.personal` for that record.
"""
from datetime import date

import marshmallow as ma
from sqlalchemy import select

from core.api import Amount, Blueprint, Day, Number, PageArgs, Text, actor, commit, get_or_404, page_schema, paginate
from core.permissions import can, requires
from finance import service
from finance.models import ALL_STAGES, BOARDS, FINANCING_TYPES, FinancingEvent, IpoCandidate
from registry import service as registry_service
from registry.api import FirmName, FirmRefSchema, Uscc

blp = Blueprint("finance_api", __name__, url_prefix="/api/v1", description="拟上市企业与直接融资 Pre-IPO pool and financing")

MAX_AMOUNT = service.MAX_AMOUNT


# --------------------------------------------------------------------------- schemas

class StageSchema(ma.Schema):
    id = ma.fields.Integer()
    stage = ma.fields.String()
    on = ma.fields.Date()
    note = ma.fields.String()


class CandidateSchema(ma.Schema):
    id = ma.fields.Integer()
    firm = ma.fields.Nested(FirmRefSchema)
    entered_on = ma.fields.Date()
    board = ma.fields.String()
    sponsor = ma.fields.String()
    law_firm = ma.fields.String()
    auditor = ma.fields.String()
    expected_year = ma.fields.Integer(allow_none=True)
    note = ma.fields.String()
    current_stage = ma.fields.String()
    current_stage_on = ma.fields.Date()
    closed_on = ma.fields.Date(allow_none=True)
    stock_code = ma.fields.String(allow_none=True)
    is_open = ma.fields.Boolean()
    contact_name = ma.fields.Method("_contact_name", allow_none=True,
                                    metadata={"type": "string", "nullable": True,
                                              "description": "finance.personal only, else null"})
    contact_phone = ma.fields.Method("_contact_phone", allow_none=True,
                                     metadata={"type": "string", "nullable": True,
                                               "description": "finance.personal only, else null"})
    version = ma.fields.Integer()

    def _contact_name(self, cand):
        return cand.contact_name if can("finance.personal", cand) else None

    def _contact_phone(self, cand):
        return cand.contact_phone if can("finance.personal", cand) else None


class CandidateDetailSchema(CandidateSchema):
    stages = ma.fields.Method("_stages", metadata={"type": "array", "items": {"type": "object"}})

    def _stages(self, cand):
        return StageSchema(many=True).dump(service.active_stages(cand))


CandidatePage = page_schema(CandidateSchema, "CandidatePage")


class CandidateListArgs(PageArgs):
    open_only = ma.fields.Boolean(load_default=True)
    board = ma.fields.String(validate=ma.validate.OneOf(BOARDS))
    stage = ma.fields.String(validate=ma.validate.OneOf(ALL_STAGES))


class CandidateCreateSchema(ma.Schema):
    uscc = Uscc(required=True)
    firm_name = FirmName()
    entered_on = Day(required=True)
    board = ma.fields.String(required=True, validate=ma.validate.OneOf(BOARDS))
    sponsor = Text(load_default="", validate=ma.validate.Length(max=200))
    law_firm = Text(load_default="", validate=ma.validate.Length(max=200))
    auditor = Text(load_default="", validate=ma.validate.Length(max=200))
    expected_year = ma.fields.Integer(allow_none=True, validate=ma.validate.Range(min=2000, max=2100))
    contact_name = Text(load_default="", validate=ma.validate.Length(max=64))
    contact_phone = Text(load_default="", validate=ma.validate.Length(max=32))
    note = Text(load_default="", multiline=True, validate=ma.validate.Length(max=5000))


class StageMoveSchema(ma.Schema):
    stage = ma.fields.String(required=True, validate=ma.validate.OneOf(ALL_STAGES))
    on = Day(required=True)
    note = Text(load_default="", multiline=True, validate=ma.validate.Length(max=5000))
    stock_code = Text(allow_none=True, validate=ma.validate.Length(max=16),
                      metadata={"description": "required for 上市"})


class FinancingSchema(ma.Schema):
    id = ma.fields.Integer()
    firm = ma.fields.Nested(FirmRefSchema)
    kind = ma.fields.String()
    amount = Number(metadata={"description": "万元"})
    on = ma.fields.Date()
    note = ma.fields.String()
    version = ma.fields.Integer()


FinancingPage = page_schema(FinancingSchema, "FinancingPage")


class FinancingListArgs(PageArgs):
    year = ma.fields.Integer(validate=ma.validate.Range(min=1949, max=2100))
    uscc = Uscc()
    kind = ma.fields.String(validate=ma.validate.OneOf(FINANCING_TYPES))


class FinancingCreateSchema(ma.Schema):
    uscc = Uscc(required=True)
    firm_name = FirmName()
    kind = ma.fields.String(required=True, validate=ma.validate.OneOf(FINANCING_TYPES))
    amount = Amount(required=True, maximum=int(MAX_AMOUNT), exclusive_minimum=True, exclusive_maximum=False,
                    metadata={"description": "万元, > 0"})
    on = Day(required=True)
    note = Text(load_default="", multiline=True, validate=ma.validate.Length(max=5000))


class AnnualTotalSchema(ma.Schema):
    year = ma.fields.Integer()
    total = Number(metadata={"description": "万元"})
    by_kind = ma.fields.Dict(keys=ma.fields.String(), values=Number())


# --------------------------------------------------------------------------- candidates

def _firm_of(data: dict):
    """The firm of `uscc`, registered under `firm_name` when unknown (as the pages and imports do)."""
    return registry_service.find_or_register_firm(data.pop("uscc"), data.pop("firm_name", None), actor=actor())


@blp.route("/ipo-candidates")
@requires("finance.view")
@blp.arguments(CandidateListArgs, location="query")
@blp.response(200, CandidatePage, headers={"X-Total-Count": {"schema": {"type": "integer"}}})
def candidate_list(args):
    """Pre-IPO candidates, newest entries first; open ones unless open_only=false."""
    stmt = select(IpoCandidate).where(IpoCandidate.archived_at.is_(None))
    if args["open_only"]:
        stmt = stmt.where(IpoCandidate.closed_on.is_(None))
    if args.get("board"):
        stmt = stmt.where(IpoCandidate.board == args["board"])
    if args.get("stage"):
        stmt = stmt.where(IpoCandidate.current_stage == args["stage"])
    stmt = stmt.order_by(IpoCandidate.entered_on.desc(), IpoCandidate.id.desc())
    return paginate(stmt, args["page"], args["per_page"])


@blp.route("/ipo-candidates", methods=["POST"])
@requires("finance.edit")
@blp.arguments(CandidateCreateSchema)
@blp.response(201, CandidateDetailSchema)
def candidate_create(data):
    """Put a firm into the pre-IPO pool at stage 入库 (registered too when unknown and `firm_name` is given)."""
    firm = _firm_of(data)
    cand = service.add_candidate(actor(), firm=firm, **data)
    commit()
    return cand


@blp.route("/ipo-candidates/<int:candidate_id>")
@requires("finance.view")
@blp.response(200, CandidateDetailSchema)
def candidate_get(candidate_id):
    """One candidate with its stage history."""
    return get_or_404(IpoCandidate, candidate_id, "finance.view")


@blp.route("/ipo-candidates/<int:candidate_id>/stages", methods=["POST"])
@requires("finance.edit")
@blp.arguments(StageMoveSchema)
@blp.response(201, CandidateDetailSchema)
def candidate_advance(data, candidate_id):
    """Move a candidate to a stage (上市 needs stock_code; 退出 and moving back need a note)."""
    cand = get_or_404(IpoCandidate, candidate_id, "finance.edit")
    service.move_stage(cand, stage=data["stage"], on=data["on"], actor=actor(), note=data["note"],
                       stock_code=data.get("stock_code"))
    commit()
    return cand


# --------------------------------------------------------------------------- financing

@blp.route("/financing-events")
@requires("finance.view")
@blp.arguments(FinancingListArgs, location="query")
@blp.response(200, FinancingPage, headers={"X-Total-Count": {"schema": {"type": "integer"}}})
def financing_list(args):
    """Financing events (not archived), newest first; filter by year, firm, type."""
    stmt = select(FinancingEvent).where(FinancingEvent.archived_at.is_(None))
    if args.get("year"):
        stmt = stmt.where(FinancingEvent.on >= date(args["year"], 1, 1), FinancingEvent.on <= date(args["year"], 12, 31))
    if args.get("uscc"):
        firm = registry_service.find_firm(args["uscc"])
        stmt = stmt.where(FinancingEvent.firm_id == (firm.id if firm else -1))
    if args.get("kind"):
        stmt = stmt.where(FinancingEvent.kind == args["kind"])
    stmt = stmt.order_by(FinancingEvent.on.desc(), FinancingEvent.id.desc())
    return paginate(stmt, args["page"], args["per_page"])


@blp.route("/financing-events", methods=["POST"])
@requires("finance.edit")
@blp.arguments(FinancingCreateSchema)
@blp.response(201, FinancingSchema)
def financing_create(data):
    """Record direct financing raised by a firm (万元, > 0; date not in the future); an unknown firm is
    registered when `firm_name` is given."""
    firm = _firm_of(data)
    event = service.record_financing(actor(), firm=firm, **data)
    commit()
    return event


@blp.route("/financing-events/annual-totals")
@requires("finance.view")
@blp.response(200, AnnualTotalSchema(many=True))
def financing_totals():
    """Direct financing per calendar year: total and by type (万元)."""
    return [{"year": year, "total": row["total"], "by_kind": {k: v for k, v in row.items() if k != "total"}}
            for year, row in service.annual_totals().items()]

"""Finance services: the pre-IPO pool and its stages, financing events. The only writers.

Services take plain values and an explicit actor, write the audit log and never commit.
Dates are `date`; money is Decimal 万元.
"""
from datetime import date
from decimal import Decimal

from flask_babel import gettext as _
from sqlalchemy import extract, func, select
from sqlalchemy.orm import contains_eager

from core import dates
from core.audit import service as audit
from core.db import db
from core.errors import ServiceError
from finance.models import (ALL_STAGES, BOARDS, CLOSING_STAGES, EXITED, FINANCING_TYPES, FIRST_STAGE,
                            LISTED, RANGES, FinancingEvent, IpoCandidate, IpoStage, stage_rank)
from registry import service as registry_service
from registry.queries import in_period

MAX_AMOUNT = Decimal(RANGES["amount"].high)
PERSONAL = IpoCandidate.PERSONAL_FIELDS
CANDIDATE_FIELDS = ("board", "sponsor", "law_firm", "auditor", "expected_year", "contact_name",
                    "contact_phone", "note")


def _today() -> date:
    return dates.today()


def _not_future(on: date, field: str) -> None:
    if on is None:
        raise ServiceError(_("请填写日期"), field=field)
    if on > _today():
        raise ServiceError(_("日期不能晚于今天"), field=field)


# ----------------------------------------------------------------------------- candidates

def open_candidacy(firm_id: int, *, exclude_id: int | None = None) -> IpoCandidate | None:
    """The firm's open candidacy (not 上市, not 退出, not archived), if any."""
    stmt = select(IpoCandidate).where(IpoCandidate.firm_id == firm_id,
                                      IpoCandidate.archived_at.is_(None),
                                      IpoCandidate.current_stage.not_in(tuple(CLOSING_STAGES)))
    if exclude_id is not None:
        stmt = stmt.where(IpoCandidate.id != exclude_id)
    return db.session.scalars(stmt).first()


def _last_closed_on(firm_id: int, exclude_id: int | None = None) -> date | None:
    stmt = select(func.max(IpoCandidate.closed_on)).where(
        IpoCandidate.firm_id == firm_id, IpoCandidate.archived_at.is_(None))
    if exclude_id is not None:
        stmt = stmt.where(IpoCandidate.id != exclude_id)
    return db.session.scalar(stmt)


def _check_candidate_values(board: str, expected_year) -> None:
    if board not in BOARDS:
        raise ServiceError(_("未知的拟上市板块：%(b)s", b=board), field="board")
    RANGES["expected_year"].check(expected_year, "expected_year")


def add_candidate(actor, *, firm, entered_on: date, board: str, sponsor: str = "", law_firm: str = "",
                  auditor: str = "", expected_year: int | None = None, contact_name: str = "",
                  contact_phone: str = "", note: str = "", batch_id: int | None = None) -> IpoCandidate:
    """Put `firm` into the pre-IPO pool at stage 入库 on `entered_on`.

    Rules: one open candidacy per firm (field "uscc"); entered_on not in the future and not
    before the end of the firm's previous candidacy (field "entered_on"); board one of BOARDS.
    """
    _check_candidate_values(board, expected_year)
    _not_future(entered_on, "entered_on")
    if open_candidacy(firm.id) is not None:
        raise ServiceError(_("该企业已在拟上市企业资源库中（存在未结束的上市进程）"), field="uscc")
    last = _last_closed_on(firm.id)
    if last is not None and entered_on < last:
        raise ServiceError(_("入库日期不能早于该企业上一次上市进程结束的日期（%(d)s）", d=last.isoformat()),
                           field="entered_on")
    cand = IpoCandidate(firm=firm, firm_id=firm.id, entered_on=entered_on, board=board,
                        sponsor=sponsor or "", law_firm=law_firm or "", auditor=auditor or "",
                        expected_year=expected_year, contact_name=contact_name or "",
                        contact_phone=contact_phone or "", note=note or "", current_stage=FIRST_STAGE,
                        current_stage_on=entered_on, import_batch_id=batch_id)
    db.session.add(cand)
    audit.record(actor, "finance.candidate.create", cand, batch_id=batch_id, sensitive=PERSONAL)
    _add_stage_row(cand, FIRST_STAGE, entered_on, "", actor, batch_id)
    return cand


def update_candidate(candidate: IpoCandidate, actor, *, entered_on: date | None = None,
                     batch_id: int | None = None, **values) -> bool:
    """Change the candidate's descriptive fields (CANDIDATE_FIELDS) and, optionally, entered_on.

    entered_on moves the 入库 step too; it may not pass the next step's date. Returns True
    when anything changed.
    """
    _check_candidate_values(values.get("board", candidate.board),
                            values.get("expected_year", candidate.expected_year))
    for name in CANDIDATE_FIELDS:
        if name in values:
            new = values[name]
            setattr(candidate, name, new if new is not None or name == "expected_year" else "")
    if entered_on is not None and entered_on != candidate.entered_on:
        _move_entry_date(candidate, entered_on)
    changes = audit.changes_of(candidate, PERSONAL)
    if not changes:
        return False
    audit.record(actor, "finance.candidate.update", candidate, changes, batch_id=batch_id)
    return True


def _move_entry_date(candidate: IpoCandidate, entered_on: date) -> None:
    _not_future(entered_on, "entered_on")
    steps = active_stages(candidate)
    if len(steps) > 1 and entered_on > steps[1].on:
        raise ServiceError(_("入库日期不能晚于下一阶段（%(s)s）的日期 %(d)s", s=_(steps[1].stage),
                             d=steps[1].on.isoformat()), field="entered_on")
    if candidate.closed_on is not None and entered_on > candidate.closed_on:
        raise ServiceError(_("入库日期不能晚于结束日期"), field="entered_on")
    last = _last_closed_on(candidate.firm_id, exclude_id=candidate.id)
    if last is not None and entered_on < last:
        raise ServiceError(_("入库日期不能早于该企业上一次上市进程结束的日期（%(d)s）", d=last.isoformat()),
                           field="entered_on")
    candidate.entered_on = entered_on
    if steps and steps[0].stage == FIRST_STAGE:
        steps[0].on = entered_on
    if len(steps) == 1:
        candidate.current_stage_on = entered_on


def _add_stage_row(candidate, stage, on, note, actor, batch_id) -> IpoStage:
    row = IpoStage(candidate=candidate, stage=stage, on=on, note=note or "",
                   actor_id=getattr(actor, "id", None), import_batch_id=batch_id)
    db.session.add(row)
    audit.record(actor, "finance.stage.create", row, batch_id=batch_id, note=note or "")
    return row


def move_stage(candidate: IpoCandidate, *, stage: str, on: date, actor, note: str = "",
               stock_code: str | None = None, batch_id: int | None = None) -> IpoStage:
    """Move a candidate to `stage` on date `on` (stages may be skipped going forward).

    Rules (ServiceError with field): the candidacy must be open ("stage"); a different stage
    ("stage"); `on` not before the current stage's date and not in the future ("on"); moving
    backwards and 退出 need a note ("note"); 上市 needs a stock code ("stock_code") and marks the
    firm listed in the registry.
    """
    _check_move(candidate, stage, on, note, stock_code)
    old_stage = candidate.current_stage
    row = _add_stage_row(candidate, stage, on, note, actor, batch_id)
    candidate.current_stage, candidate.current_stage_on = stage, on
    if stage in CLOSING_STAGES:
        candidate.closed_on = on
    if stage == LISTED:
        candidate.stock_code = stock_code.strip().upper()
    # audit before the registry call: its flush would clear the pending changes we record
    audit.record(actor, "finance.candidate.stage", candidate, batch_id=batch_id,
                 note=f"{old_stage} → {stage}" + (f": {note}" if note else ""))
    if stage == LISTED:
        registry_service.set_listed(candidate.firm, stock_code=candidate.stock_code, actor=actor, on=on,
                                     batch_id=batch_id)
    return row


def _check_move(candidate, stage, on, note, stock_code) -> None:
    if candidate.is_archived:
        raise ServiceError(_("该记录已归档，不能变更阶段"), field="stage")
    if stage not in ALL_STAGES:
        raise ServiceError(_("未知的阶段：%(s)s", s=stage), field="stage")
    if not candidate.is_open:
        raise ServiceError(_("该企业的上市进程已结束（%(s)s），不能再变更阶段；如需重新推进，请重新入库",
                             s=_(candidate.current_stage)), field="stage")
    if stage == candidate.current_stage:
        raise ServiceError(_("该企业已处于“%(s)s”阶段", s=_(stage)), field="stage")
    _not_future(on, "on")
    if on < candidate.current_stage_on:
        raise ServiceError(_("阶段日期不能早于上一阶段（%(s)s）的日期 %(d)s", s=_(candidate.current_stage),
                             d=candidate.current_stage_on.isoformat()), field="on")
    note = (note or "").strip()
    if stage == EXITED and not note:
        raise ServiceError(_("退出须填写原因"), field="note")
    if stage_rank(stage) < stage_rank(candidate.current_stage) and not note:
        raise ServiceError(_("退回到较早的阶段须填写说明"), field="note")
    if stage == LISTED and not (stock_code or "").strip():
        raise ServiceError(_("上市须填写股票代码"), field="stock_code")


# ----------------------------------------------------------------------------- queries

def active_stages(candidate: IpoCandidate) -> list[IpoStage]:
    """The candidate's steps in order, archived ones left out."""
    steps = [s for s in candidate.stages if s.archived_at is None]
    return sorted(steps, key=lambda s: (s.on, s.id or 0))


def stages_as_of(as_of: date) -> dict[int, IpoStage]:
    """Each (non-archived) candidate's latest step on or before `as_of`, by candidate id."""
    stmt = (select(IpoStage).join(IpoStage.candidate)
            .where(IpoCandidate.archived_at.is_(None), IpoStage.archived_at.is_(None),
                   IpoStage.on <= as_of)
            .order_by(IpoStage.candidate_id, IpoStage.on, IpoStage.id)
            .options(contains_eager(IpoStage.candidate).selectinload(IpoCandidate.firm)))   # the board shows both
    latest = {}
    for row in db.session.scalars(stmt):
        latest[row.candidate_id] = row
    return latest


def board_columns(as_of: date) -> dict[str, list[tuple[IpoCandidate, IpoStage]]]:
    """Candidates by their stage on `as_of`, each column ordered by how long they have been there."""
    columns = {stage: [] for stage in ALL_STAGES}
    for row in stages_as_of(as_of).values():
        columns[row.stage].append((row.candidate, row))
    for items in columns.values():
        items.sort(key=lambda pair: (pair[1].on, pair[0].id))
    return columns


def stage_durations(candidate: IpoCandidate, today: date | None = None) -> list[dict]:
    """Each step with the days spent in it (until the next step; open last step: until today)."""
    today = today or _today()
    steps = active_stages(candidate)
    out = []
    for i, step in enumerate(steps):
        nxt = steps[i + 1].on if i + 1 < len(steps) else None
        closing = step.stage in CLOSING_STAGES and nxt is None
        end = nxt or (None if closing else today)
        out.append({"step": step, "days": (end - step.on).days if end else None,
                    "ongoing": nxt is None and not closing})
    return out


def _open_on(as_of: date):
    return (IpoCandidate.archived_at.is_(None), in_period(IpoCandidate.entered_on, IpoCandidate.closed_on, as_of))


def pool_members(as_of: date) -> list[IpoCandidate]:
    """Open candidacies on `as_of`: entered on or before it, not listed/exited on or before it."""
    stmt = select(IpoCandidate).where(*_open_on(as_of)).order_by(IpoCandidate.entered_on, IpoCandidate.id)
    return list(db.session.scalars(stmt))


def pool_size(as_of: date) -> int:
    """How many candidacies are open on `as_of` (pool_members' number, counted in SQL: the count reads no
    firm, so editing a firm's details leaves it cached)."""
    return db.session.scalar(select(func.count()).select_from(IpoCandidate).where(*_open_on(as_of))) or 0


def list_candidates(*, open_only: bool = True, board: str | None = None) -> list[IpoCandidate]:
    """Live candidates, newest entries first; only open ones unless open_only is False."""
    stmt = select(IpoCandidate).where(IpoCandidate.archived_at.is_(None))
    if open_only:
        stmt = stmt.where(IpoCandidate.current_stage.not_in(tuple(CLOSING_STAGES)))
    if board:
        stmt = stmt.where(IpoCandidate.board == board)
    return list(db.session.scalars(stmt.order_by(IpoCandidate.entered_on.desc(), IpoCandidate.id.desc())))


def candidates_of_firm(firm_id: int) -> list[IpoCandidate]:
    stmt = (select(IpoCandidate).where(IpoCandidate.firm_id == firm_id, IpoCandidate.archived_at.is_(None))
            .order_by(IpoCandidate.entered_on))
    return list(db.session.scalars(stmt))


# ----------------------------------------------------------------------------- financing

def _check_financing(kind: str, amount, on: date) -> Decimal:
    if kind not in FINANCING_TYPES:
        raise ServiceError(_("未知的融资类型：%(k)s", k=kind), field="kind")
    amount = RANGES["amount"].check(amount, "amount")
    if amount is None or amount <= 0:
        raise ServiceError(_("金额须大于 0（万元）"), field="amount")
    _not_future(on, "on")
    return amount


def record_financing(actor, *, firm, kind: str, amount, on: date, note: str = "",
                     batch_id: int | None = None) -> FinancingEvent:
    """Record direct financing raised by `firm`: type, amount (万元, > 0), date (not future)."""
    amount = _check_financing(kind, amount, on)
    event = FinancingEvent(firm=firm, firm_id=firm.id, kind=kind, amount=amount, on=on,
                           note=note or "", import_batch_id=batch_id)
    db.session.add(event)
    audit.record(actor, "finance.financing.create", event, batch_id=batch_id)
    return event


def update_financing(event: FinancingEvent, actor, *, kind: str, amount, on: date, note: str = "") -> bool:
    """Correct a financing event (same rules as record_financing). True when anything changed."""
    if event.is_archived:
        raise ServiceError(_("该记录已归档，不能修改"))
    event.amount = _check_financing(kind, amount, on)
    event.kind, event.on, event.note = kind, on, note or ""
    changes = audit.changes_of(event)
    if not changes:
        return False
    audit.record(actor, "finance.financing.update", event, changes)
    return True


def find_financing(firm_id: int, kind: str, amount: Decimal, on: date) -> FinancingEvent | None:
    """An identical live event (for imports: re-importing the same file changes nothing)."""
    stmt = select(FinancingEvent).where(FinancingEvent.firm_id == firm_id, FinancingEvent.kind == kind,
                                        FinancingEvent.amount == amount, FinancingEvent.on == on,
                                        FinancingEvent.archived_at.is_(None))
    return db.session.scalars(stmt).first()


def _live_events():
    return select(FinancingEvent).where(FinancingEvent.archived_at.is_(None))


def financing_events(year: int | None = None, firm_id: int | None = None) -> list[FinancingEvent]:
    stmt = _live_events()
    if year is not None:
        stmt = stmt.where(FinancingEvent.on >= date(year, 1, 1), FinancingEvent.on <= date(year, 12, 31))
    if firm_id is not None:
        stmt = stmt.where(FinancingEvent.firm_id == firm_id)
    return list(db.session.scalars(stmt.order_by(FinancingEvent.on.desc(), FinancingEvent.id.desc())))


def financing_total(year: int, upto: date | None = None) -> Decimal:
    """Sum of live events in calendar `year` (up to and including `upto` when given), 万元."""
    end = min(upto, date(year, 12, 31)) if upto else date(year, 12, 31)
    stmt = select(func.coalesce(func.sum(FinancingEvent.amount), 0)).where(
        FinancingEvent.archived_at.is_(None), FinancingEvent.on >= date(year, 1, 1), FinancingEvent.on <= end)
    return Decimal(str(db.session.scalar(stmt) or 0))


def annual_totals() -> dict[int, dict[str, Decimal]]:
    """{year: {type: amount, ..., "total": amount}} over every year with events."""
    year = extract("year", FinancingEvent.on)
    stmt = (select(year, FinancingEvent.kind, func.sum(FinancingEvent.amount))
            .where(FinancingEvent.archived_at.is_(None)).group_by(year, FinancingEvent.kind))
    out: dict[int, dict[str, Decimal]] = {}
    for y, kind, amount in db.session.execute(stmt):
        row = out.setdefault(int(y), {"total": Decimal(0)})
        row[kind] = Decimal(str(amount))
        row["total"] += Decimal(str(amount))
    return dict(sorted(out.items()))

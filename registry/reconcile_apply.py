"""Apply a reconciliation in one audited batch (undone like an import), and its xlsx workbook.

Decisions, per list line, for the rows that are not certain (and to override a certain one):
"confirm" (take the proposed firm), "firm:<id>" (one of the row's candidates), "code:<USCC>"
(a firm of the registry, by credit code), "new" (create the firm from the list: the row must carry a
valid credit code), "skip". The web page requires a decision on every uncertain row; the CLI never
applies an uncertain row (it is reported as skipped).

What is written: rows of the new group enter the pool on the list's date with the list's name as
reason; firms not in the registry are created first when the row has a valid credit code, else
the row is a to-do (kept: registry.reconcile_todos, resolved later); ticked members of the missing group exit on the
list's date with reason "未列入<list>名单". Any refusal raises ServiceError naming the line:
the caller rolls the whole batch back.
"""
from __future__ import annotations

from dataclasses import dataclass, field

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from core.db import db
from core.errors import ServiceError
from core.imports import ImportBatch
from core.tabular import write_xlsx
from registry import service, uscc as uscc_mod
from registry.models import Firm, PoolMembership
from registry.reconcile import Reconciliation
from registry.reconcile_todos import record_todo

BATCH_KIND = "reconcile"


@dataclass
class Applied:
    batch_id: int | None = None
    entered: int = 0
    created: int = 0
    exited: int = 0
    skipped: list[int] = field(default_factory=list)
    todo: list[dict] = field(default_factory=list)

    def as_dict(self) -> dict:
        return {"batch_id": self.batch_id, "entered": self.entered, "created": self.created,
                "exited": self.exited, "skipped": self.skipped, "todo": self.todo}


def undecided(rec: Reconciliation, decisions: dict) -> list[int]:
    """Lines of uncertain rows without a decision."""
    return [r["line"] for r in rec.rows if not r["certain"] and not r["duplicate_of"]
            and not decisions.get(r["line"])]


def apply_reconciliation(actor, rec: Reconciliation, *, decisions: dict | None = None, exits=(),
                         filename: str = "", strict: bool = True) -> Applied:
    """Write the reconciliation (module docstring). `strict`: refuse while uncertain rows are undecided.

    Never commits. ServiceError when: no list name; undecided rows (strict); a decision that does
    not resolve; a ticked exit that is not in the missing group; a service refusal (with the line).
    """
    decisions = {int(k): v for k, v in (decisions or {}).items() if v}
    list_name = (rec.list_name or "").strip()
    if not list_name:
        raise ServiceError(_("请填写名单名称（用作入库理由）"), field="list_name")
    open_lines = undecided(rec, decisions)
    if strict and open_lines:
        raise ServiceError(_("还有 %(n)s 行待确认（第 %(lines)s 行）", n=len(open_lines),
                             lines="、".join(map(str, open_lines[:10]))))
    batch = _batch(actor, rec, filename)
    done = Applied(batch_id=batch.id)
    for row in rec.rows:
        if row["duplicate_of"]:
            continue
        try:
            _apply_row(actor, rec, row, decisions.get(row["line"]), batch.id, done)
        except ServiceError as exc:
            raise ServiceError(_("第 %(line)s 行（%(name)s）：%(msg)s", line=row["line"], name=row["name"],
                                 msg=exc.message)) from None
    _exits(actor, rec, exits, batch.id, done)
    batch.created, batch.updated, batch.rejected = done.entered + done.created, done.exited, len(done.todo)
    db.session.flush()
    return done


def _batch(actor, rec: Reconciliation, filename: str) -> ImportBatch:
    batch = ImportBatch(kind=BATCH_KIND, filename=(filename or rec.list_name)[:255],
                        actor_id=getattr(actor, "id", None), actor_name=getattr(actor, "username", "system"),
                        params={"pool": rec.pool.key, "as_of": rec.as_of.isoformat(), "list_name": rec.list_name},
                        total_rows=len(rec.rows))
    db.session.add(batch)
    db.session.flush()
    return batch


def _apply_row(actor, rec, row: dict, decision: str | None, batch_id: int, done: Applied) -> None:
    if decision == "skip" or (not row["certain"] and not decision):
        done.skipped.append(row["line"])
        return
    firm = _target(row, decision)
    if firm is None:
        firm = _create(actor, rec, row, batch_id, done)
        if firm is None:
            return
    if service.current_membership(firm, rec.pool, rec.as_of) is not None:
        return
    service.enter_pool(actor, firm=firm, pool=rec.pool, entered_on=rec.as_of, reason=rec.list_name,
                       batch_id=batch_id)
    done.entered += 1


def _target(row: dict, decision: str | None) -> Firm | None:
    """The registry firm the row means, or None for "create from the list"."""
    if decision == "new":
        return None
    if decision and decision.startswith("firm:"):
        wanted = decision[5:]
        if wanted not in {str(c["id"]) for c in row["candidates"]} | ({str(row["firm"]["id"])} if row["firm"] else set()):
            raise ServiceError(_("所选企业不是该行的候选企业"))
        return _live(db.session.get(Firm, int(wanted)))
    if decision and decision.startswith("code:"):
        firm = service.find_firm(decision[5:])
        if firm is None:
            raise ServiceError(_("该信用代码不在企业库中：%(code)s", code=decision[5:]))
        return _live(firm)
    if decision not in (None, "confirm"):
        raise ServiceError(_("无法识别的处理方式"))
    if row["firm"] is None:
        return None
    return _live(db.session.get(Firm, row["firm"]["id"]))


def _live(firm: Firm | None) -> Firm:
    if firm is None:
        raise ServiceError(_("企业不存在"))
    if firm.merged_into_id:
        firm = service.find_firm(firm.uscc)
    if firm.archived_at is not None:
        raise ServiceError(_("该企业已归档：%(name)s", name=firm.name))
    return firm


def _create(actor, rec: Reconciliation, row: dict, batch_id: int, done: Applied) -> Firm | None:
    """A firm from the list's name and code; without a valid code the row becomes a to-do (kept:
    registry.reconcile_todos)."""
    if not row["code"] or not uscc_mod.is_valid(row["code"]):
        todo = record_todo(actor, pool=rec.pool, row=row, list_name=rec.list_name, as_of=rec.as_of, batch_id=batch_id)
        done.todo.append({"line": row["line"], "name": row["name"], "code": row["code"] or "", "id": todo.id})
        return None
    firm = service.create_firm(actor, uscc=row["code"], name=row["name"], batch_id=batch_id)
    db.session.flush()
    done.created += 1
    return firm


def _exits(actor, rec: Reconciliation, exits, batch_id: int, done: Applied) -> None:
    missing = {m["membership_id"] for m in rec.missing}
    reason = f"未列入{rec.list_name}名单"      # stored data: Chinese whatever the page's language
    for mid in sorted({int(x) for x in exits}):
        if mid not in missing:
            raise ServiceError(_("只能为“在库未列入”的企业办理出库"))
        membership = db.session.get(PoolMembership, mid)
        service.exit_pool(actor, membership, exited_on=rec.as_of, reason=reason, batch_id=batch_id)
        done.exited += 1


def batches(limit: int = 20) -> list[ImportBatch]:
    return list(db.session.scalars(select(ImportBatch).where(ImportBatch.kind == BATCH_KIND)
                                   .order_by(ImportBatch.id.desc()).limit(limit)))


# ----------------------------------------------------------------------------- workbook

GROUP_LABELS = {"matched": _l("已在库且在名单"), "new": _l("名单新增"), "missing": _l("在库未列入"),
                "conflicting": _l("有冲突")}
METHOD_LABELS = {"code": _l("信用代码"), "exact": _l("名称完全一致"), "former": _l("曾用名"),
                 "normalised": _l("规范化名称"), "fuzzy": _l("相似名称"), "none": _l("未找到")}
HEADERS = (_l("分组"), _l("名单行号"), _l("名单原文"), _l("整理后名称"), _l("名单信用代码"), _l("匹配方式"), _l("匹配度"),
           _l("需确认"), _l("企业库名称"), _l("企业库信用代码"), _l("在企业库"), _l("说明"), _l("候选企业"))


def workbook(rec: Reconciliation) -> bytes:
    """The reconciliation as one sheet, headers and labels in the reader's language, text as typed string
    cells (core.tabular: formula-looking text is never a formula)."""
    rows = [_sheet_row(r) for r in rec.rows + rec.missing]
    return write_xlsx([str(h) for h in HEADERS], rows, sheet_name=_("名单核对"),
                      column_types={4: "text", 6: "number", 9: "text"})


def _sheet_row(r: dict) -> tuple:
    firm = r.get("firm") or {}
    notes = [r.get("conflict") or ""]
    if r.get("duplicate_of"):
        notes.append(_("与第 %(line)s 行重复", line=r["duplicate_of"]))
    if r.get("removed"):
        notes.append(_("已去除：%(text)s", text=" ".join(r["removed"])))
    if r.get("code_invalid"):
        notes.append(_("信用代码无效"))
    cands = "；".join(f"{c['name']}（{c['uscc']}）" for c in r.get("candidates", []))
    yes, no = _("是"), _("否")
    method = METHOD_LABELS.get(r.get("method"))
    return (str(GROUP_LABELS[r["group"]]), r.get("line"), r.get("raw", ""), r.get("name", ""), r.get("code") or "",
            str(method) if method else "", r.get("score"), no if r.get("certain", True) else yes,
            firm.get("name", ""), firm.get("uscc", ""), yes if firm else no, "；".join(n for n in notes if n), cands)

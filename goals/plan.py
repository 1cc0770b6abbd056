"""Load the plan's goals (goals/data/plan_goals.toml) and the default status thresholds.

Idempotent: a second run changes nothing. Descriptive fields follow the file; a target value
an admin has revised (it has TargetRevision rows) is left as the admin set it.
"""
import tomllib
from decimal import Decimal
from pathlib import Path

from sqlalchemy import select

from core.auth.models import Unit
from core.db import db
from goals.models import Goal, GoalTarget, GoalUnit, StatusThreshold

PLAN_FILE = Path(__file__).parent / "data" / "plan_goals.toml"

GOAL_FIELDS = ("name_zh", "name_en", "category_zh", "category_en", "unit_zh", "unit_en", "kind",
               "metric", "source", "responsible_source", "plan_text", "note", "conflict_note",
               "baseline_year", "nature", "window_start", "window_end", "definition_zh", "definition_en")
NULLABLE = ("metric", "baseline_year", "window_start", "window_end")

DEFAULT_THRESHOLDS = (
    # key, label_zh, label_en, basis, min_ratio, position
    ("achieved", "已完成", "Achieved", "progress", Decimal("1.0"), 0),
    ("on_track", "正常", "On track", "expected", Decimal("0.95"), 1),
    ("at_risk", "预警", "At risk", "expected", Decimal("0.80"), 2),
    ("behind", "滞后", "Behind", "none", None, 3),
)


def _dec(value) -> Decimal | None:
    return None if value is None else Decimal(str(value))


def load_rows(path: Path = PLAN_FILE) -> list[dict]:
    with open(path, "rb") as fh:
        return tomllib.load(fh)["goal"]


def seed_plan(path: Path = PLAN_FILE) -> dict:
    """Insert or update every goal of the plan file. Returns counts {created, updated, unchanged}."""
    units = {u.name_zh: u for u in db.session.scalars(select(Unit))}
    existing = {g.key: g for g in db.session.scalars(select(Goal))}
    counts = {"created": 0, "updated": 0, "unchanged": 0}
    for position, row in enumerate(load_rows(path)):
        goal = existing.get(row["key"])
        if goal is None:
            goal = Goal(key=row["key"])
            db.session.add(goal)
            verdict = "created"
        else:
            verdict = "unchanged"
        changed = _apply_fields(goal, row, position)
        changed |= _apply_units(goal, row["responsible_units"], units)
        changed |= _apply_targets(goal, row["targets"])
        if verdict == "unchanged" and changed:
            verdict = "updated"
        counts[verdict] += 1
    db.session.flush()
    return counts


def _set(obj, name, value) -> bool:
    if getattr(obj, name) == value:
        return False
    setattr(obj, name, value)
    return True


def _apply_fields(goal: Goal, row: dict, position: int) -> bool:
    changed = False
    for name in GOAL_FIELDS:
        default = None if name in NULLABLE else ("stock" if name == "nature" else "")
        changed |= _set(goal, name, row.get(name, default))
    changed |= _set(goal, "baseline", _dec(row.get("baseline")))
    changed |= _set(goal, "approximate", any(t["approximate"] for t in row["targets"]))
    changed |= _set(goal, "position", position)
    return changed


def _apply_units(goal: Goal, names: list[str], units: dict[str, Unit]) -> bool:
    wanted = []
    for name in names:
        if name not in units:
            raise LookupError(f"unit {name!r} of goal {goal.key} is not in core_units; run seed-units")
        wanted.append(units[name])
    if [link.unit_id for link in goal.unit_links] == [u.id for u in wanted]:
        return False
    goal.unit_links.clear()
    db.session.flush()
    for pos, unit in enumerate(wanted):
        goal.unit_links.append(GoalUnit(unit=unit, unit_id=unit.id, position=pos))
    return True


def _apply_targets(goal: Goal, rows: list[dict]) -> bool:
    have = {(t.year, t.source): t for t in goal.targets}
    changed = False
    for row in rows:
        target = have.get((row["year"], row["source"]))
        if target is None:
            target = GoalTarget(year=row["year"], source=row["source"])
            goal.targets.append(target)
            changed = True
        changed |= _apply_target(target, row)
    return changed


def _apply_target(target: GoalTarget, row: dict) -> bool:
    changed = _set(target, "comparator", row["comparator"])
    changed |= _set(target, "approximate", row["approximate"])
    changed |= _set(target, "plan_text", row.get("plan_text", ""))
    if not target.revisions:        # an admin's revision wins over the file
        changed |= _set(target, "value", _dec(row["value"]))
        changed |= _set(target, "value_max", _dec(row.get("value_max")))
    return changed


def seed_thresholds() -> int:
    """Create the default status thresholds that are missing (never overwrites admin edits)."""
    have = set(db.session.scalars(select(StatusThreshold.key)))
    added = 0
    for key, label_zh, label_en, basis, ratio, pos in DEFAULT_THRESHOLDS:
        if key not in have:
            db.session.add(StatusThreshold(key=key, label_zh=label_zh, label_en=label_en,
                                           basis=basis, min_ratio=ratio, position=pos))
            added += 1
    db.session.flush()
    return added


def seeder() -> str:
    """core.seed hook: thresholds and plan goals."""
    added = seed_thresholds()
    counts = seed_plan()
    return (f"goals: {counts['created']} created, {counts['updated']} updated, "
            f"{counts['unchanged']} unchanged; thresholds: {added} added")

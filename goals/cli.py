"""Commands of goals/: `flask --app wsgi seed-plan`."""
import click

from core.db import db
from goals.plan import seed_plan, seed_thresholds


@click.command("seed-plan")
def seed_plan_cmd():
    """Load the plan's goals and targets from goals/data/plan_goals.toml (idempotent)."""
    from core.seed import seed_units
    seed_units()
    added = seed_thresholds()
    counts = seed_plan()
    db.session.commit()
    click.echo(f"goals: {counts['created']} created, {counts['updated']} updated, "
               f"{counts['unchanged']} unchanged; thresholds: {added} added")

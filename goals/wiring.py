"""Wire goals/ into the app: blueprint, navigation, jobs, seeder, CLI.

Goals records are not registered with core.records: they are not archivable (the generic
archive button would not apply); their audit trail is shown on the goal page instead.
"""
from core.nav import register_nav
from core.scheduler import register_jobs
from core.seed import register_seeder


def init_app(app) -> None:
    from goals import funnel_views, views, views_admin, views_periods  # noqa: F401 - they add routes to the blueprint
    from goals.cli import periods_cli, seed_plan_cmd
    from goals.jobs import JOBS
    from goals import models, period_models  # noqa: F401 - register tables
    from goals.plan import seeder

    app.register_blueprint(views.bp)
    app.cli.add_command(seed_plan_cmd)
    app.cli.add_command(periods_cli)
    register_nav("目标进度", "goals.dashboard", "goals.view", order=60)
    register_nav("孵化漏斗", "goals.funnel_page", "goals.view", order=61)
    register_jobs(JOBS)
    register_seeder(seeder)
    _import_metrics()


def _import_metrics() -> None:
    """Make sure every domain's indicators are registered (goals may import every domain)."""
    import importlib
    for name in ("registry", "incubation", "talent", "finance"):
        try:
            importlib.import_module(f"{name}.metrics")
        except ModuleNotFoundError as exc:
            if exc.name != f"{name}.metrics":
                raise

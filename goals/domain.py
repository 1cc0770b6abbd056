"""What goals/ plugs into the app (core.domain.Domain), registered by the composition root.

Goals records are not declared as entities: they are not archivable (the generic archive button
would not apply); their audit trail is shown on the goal page instead. Goals has no metrics of its
own: it tracks the ones the other domains declare.
"""
from flask_babel import lazy_gettext as _l
from flask_babel import lazy_pgettext as _lp

from core.domain import Domain
from core.nav import NavItem
from goals import (api, briefing_views, export_views, funnel_views, jobs, period_models, town_api,  # noqa: F401 - page modules add routes to views.bp; period_models registers its tables
                   town_views, views_admin, views_home, views_periods)
from goals.report_cli import funnel_cmd, towns_cmd
from goals.cli import periods_cli, seed_plan_cmd
from goals.home import HOME
from goals.plan import seeder
from goals.views import bp

NAV = (
    NavItem(_l("目标进度"), "goals.dashboard", "goals.view", order=60, group=_lp("nav", "目标")),
    NavItem(_l("孵化漏斗"), "goals.funnel_page", "goals.view", order=61, group=_lp("nav", "目标")),
    NavItem(_l("街道/园区"), "goals.town_breakdown", "goals.view", order=62, group=_lp("nav", "目标")),
    NavItem(_l("关账"), "goals.period_list", "goals.close", order=63, group=_lp("nav", "目标")),
)

DOMAIN = Domain(
    name="goals", blueprint=bp, api=api.blp, nav=NAV, seeders=(seeder,), jobs=jobs.JOBS,
    commands=(seed_plan_cmd, periods_cli, towns_cmd, funnel_cmd), home=HOME,
)

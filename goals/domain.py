"""What goals/ plugs into the app (core.domain.Domain), registered by the composition root.

Goals records are not declared as entities: they are not archivable (the generic archive button
would not apply); their audit trail is shown on the goal page instead. Goals has no metrics of its
own: it tracks the ones the other domains declare.
"""
from flask_babel import lazy_gettext as _l

from core.domain import Domain
from core.nav import NavItem
from goals import api, funnel_views, jobs, views_admin  # noqa: F401 - the two page modules add their routes to views.bp
from goals.cli import seed_plan_cmd
from goals.plan import seeder
from goals.views import bp

NAV = (
    NavItem(_l("目标进度"), "goals.dashboard", "goals.view", order=60),
    NavItem(_l("孵化漏斗"), "goals.funnel_page", "goals.view", order=61),
)

DOMAIN = Domain(
    name="goals", blueprint=bp, api=api.blp, nav=NAV, seeders=(seeder,), jobs=jobs.JOBS, commands=(seed_plan_cmd,),
)

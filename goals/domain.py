"""What goals/ plugs into the app (core.domain.Domain), registered by the composition root.

Goals records are not declared as entities: they are not archivable (the generic archive button
would not apply); their audit trail is shown on the goal page instead. Goals has no metrics of its
own: it tracks the ones the other domains declare.
"""
from flask_babel import lazy_gettext as _l

from core.domain import Domain
from core.nav import NavItem
from goals import api, jobs
from goals.cli import seed_plan_cmd
from goals.plan import seeder
from goals.views_admin import bp   # the goals blueprint, with the admin pages added

DOMAIN = Domain(
    name="goals", blueprint=bp, api=api.blp, nav=(NavItem(_l("目标进度"), "goals.dashboard", "goals.view", order=60),),
    seeders=(seeder,), jobs=jobs.JOBS, commands=(seed_plan_cmd,),
)

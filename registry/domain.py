"""What the registry plugs into the app (core.domain.Domain), registered by the composition root."""
from flask_babel import lazy_gettext as _l
from flask_babel import lazy_pgettext as _lp

from core.domain import Domain
from core.nav import NavItem
from registry.home import HOME
from core.records import Entity
from registry import (api, export, export_views, jobs, metrics, reconcile_api, reconcile_todo_views,  # noqa: F401 - pages on bp
                      reconcile_views, service, spreadsheets, town_views)
from registry.reconcile_cli import reconcile_cmd
from registry.models import Firm, FirmFact, Pool, PoolMembership, ReconcileTodo
from registry.timeline import registry_items
from registry.views import bp

ENTITIES = (
    Entity(type="registry.firm", model=Firm, label_zh="企业", label_en="Firm",
           detail_endpoint="registry.firm_detail", id_arg="firm_id"),
    Entity(type="registry.pool", model=Pool, label_zh="培育库", label_en="Cultivation pool",
           detail_endpoint="registry.pool_detail", id_arg="pool_id"),
    Entity(type="registry.membership", model=PoolMembership, label_zh="入库记录", label_en="Pool membership"),
    Entity(type="registry.fact", model=FirmFact, label_zh="企业年度数据", label_en="Annual firm facts"),
    Entity(type="registry.reconcile_todo", model=ReconcileTodo, label_zh="名单核对待办", label_en="Reconciliation to-do",
           manual_archive=False),
)

NAV = (
    NavItem(_l("企业库"), "registry.firm_list", "registry.view", order=10, group=_lp("nav", "企业")),
    NavItem(_l("培育库"), "registry.pool_list", "registry.view", order=11, group=_lp("nav", "企业")),
    NavItem(_l("名单核对"), "registry.reconcile_upload", "registry.edit", order=12, group=_lp("nav", "企业")),
)

DOMAIN = Domain(
    name="registry", blueprint=bp, api=api.blp, entities=ENTITIES, nav=NAV, timeline=registry_items,
    import_kinds=spreadsheets.KINDS, export_kinds=(export.KIND,), seeders=(service.seed_pools,), metrics=metrics.METRICS,
    quality_checks=jobs.CHECKS, commands=(reconcile_cmd,), home=HOME,
)

"""Registry wiring: blueprint, entities, navigation, timeline provider, import kinds, seeders, metrics."""
from core.nav import register_nav
from core.records import Entity, register_entity
from core.seed import register_seeder
from core.timeline import register_provider
from registry import metrics  # noqa: F401 - registers the registry's indicators
from registry import service, spreadsheets
from registry.models import Firm, FirmFact, Pool, PoolMembership
from registry.timeline import registry_items

ENTITIES = (
    Entity(type="registry.firm", model=Firm, label_zh="企业", label_en="Firm",
           detail_endpoint="registry.firm_detail", id_arg="firm_id"),
    Entity(type="registry.pool", model=Pool, label_zh="培育库", label_en="Cultivation pool",
           detail_endpoint="registry.pool_detail", id_arg="pool_id"),
    Entity(type="registry.membership", model=PoolMembership, label_zh="入库记录", label_en="Pool membership"),
    Entity(type="registry.fact", model=FirmFact, label_zh="企业年度数据", label_en="Annual firm facts"),
)


def init_app(app) -> None:
    from registry import reconcile_views, town_views  # noqa: F401 - their routes are on the registry blueprint
    from registry.reconcile_cli import reconcile_cmd
    from registry.views import bp
    app.register_blueprint(bp)
    app.cli.add_command(reconcile_cmd)
    for entity in ENTITIES:
        register_entity(entity)
    register_nav("企业库", "registry.firm_list", "registry.view", order=10)
    register_nav("培育库", "registry.pool_list", "registry.view", order=11)
    register_nav("名单核对", "registry.reconcile_upload", "registry.edit", order=12)
    register_provider(registry_items)
    register_seeder(service.seed_pools)
    spreadsheets.register()

"""What incubation plugs into the app (core.domain.Domain), registered by the composition root."""
from flask_babel import lazy_gettext as _l

from core.domain import Domain
from core.nav import NavItem
from core.records import Entity
from incubation import api, export_views, jobs, metrics, rd_views, spreadsheets  # noqa: F401 - rd_views, export_views add routes to views.bp
from incubation.models import Alliance, AllianceMember, Carrier, MakerCount, RDInstitution, Tenancy
from incubation.timeline import tenancy_items
from incubation.views import bp

ENTITIES = (
    Entity(type="incubation.carrier", model=Carrier, label_zh="孵化载体", label_en="Carrier",
           detail_endpoint="incubation.carrier_detail", id_arg="carrier_id"),
    Entity(type="incubation.tenancy", model=Tenancy, label_zh="入孵记录", label_en="Tenancy",
           detail_endpoint="incubation.tenancy_edit", id_arg="tenancy_id"),
    Entity(type="incubation.maker_count", model=MakerCount, label_zh="创客人数", label_en="Makers count"),
    Entity(type="incubation.institution", model=RDInstitution, label_zh="企业研发机构", label_en="R&D institution",
           detail_endpoint="incubation.institution_edit", id_arg="inst_id"),
    Entity(type="incubation.alliance", model=Alliance, label_zh="产业技术创新联盟", label_en="Innovation alliance",
           detail_endpoint="incubation.alliance_detail", id_arg="alliance_id"),
    Entity(type="incubation.alliance_member", model=AllianceMember, label_zh="联盟成员", label_en="Alliance member"),
)

NAV = (NavItem(_l("在孵企业"), "incubation.summary", "incubation.view", order=30),)

DOMAIN = Domain(
    name="incubation", blueprint=bp, api=api.blp, entities=ENTITIES, nav=NAV, timeline=tenancy_items,
    import_kinds=spreadsheets.KINDS, metrics=metrics.METRICS, quality_checks=jobs.CHECKS,
)

"""What talent plugs into the app (core.domain.Domain), registered by the composition root."""
from flask_babel import lazy_gettext as _l

from core.domain import Domain
from core.nav import NavItem
from core.records import Entity
from talent import api, export_views, metrics, spreadsheets  # noqa: F401 - export_views adds routes to views.bp
from talent.models import Person, Recognition, Team, TeamMember
from talent.timeline import talent_items
from talent.views import bp

ENTITIES = (
    Entity(type="talent.person", model=Person, label_zh="人才", label_en="Talent",
           detail_endpoint="talent.person_detail", id_arg="person_id"),
    Entity(type="talent.recognition", model=Recognition, label_zh="人才认定", label_en="Talent recognition"),
    Entity(type="talent.team", model=Team, label_zh="领军人才团队", label_en="Leading-talent team",
           detail_endpoint="talent.team_detail", id_arg="team_id"),
    Entity(type="talent.team_member", model=TeamMember, label_zh="团队成员", label_en="Team member"),
)

NAV = (NavItem(_l("人才"), "talent.summary", "talent.view", order=40),)

DOMAIN = Domain(
    name="talent", blueprint=bp, api=api.blp, entities=ENTITIES, nav=NAV, timeline=talent_items,
    import_kinds=spreadsheets.KINDS, metrics=metrics.METRICS,
)

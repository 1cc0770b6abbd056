"""Talent items on the employer firm's timeline, per the privacy rule.

Users with `talent.personal` see each recognition with name and masked ID; everyone else sees
one aggregate item per (date, category): "领军人才认定 2人" — no names, no IDs.
"""
from collections import Counter

from flask import url_for
from flask_babel import gettext as _

from core.permissions import can
from core.timeline import TimelineItem
from talent import service


def talent_items(firm_id: int, user) -> list[TimelineItem]:
    personal = can("talent.personal", user=user)
    recs = service.firm_recognitions(firm_id)
    items = _personal(recs) if personal else _aggregate(recs)
    for team in service.firm_teams(firm_id):
        items.append(TimelineItem(on=team.recognized_on, domain="talent",
                                  title=_("领军人才团队认定：%(name)s", name=team.name),
                                  detail=_("%(n)s人", n=len(team.members) + 1),
                                  url=url_for("talent.team_detail", team_id=team.id)))
    return items


def _personal(recs) -> list[TimelineItem]:
    return [TimelineItem(on=r.recognized_on, domain="talent",
                         title=_("%(category)s认定", category=_(r.category)),
                         detail=f"{r.person.name}（{r.person.id_masked}）{r.programme}",
                         url=url_for("talent.person_detail", person_id=r.person_id)) for r in recs]


def _aggregate(recs) -> list[TimelineItem]:
    distinct = {(r.recognized_on, r.category, r.person_id) for r in recs}
    counts = Counter((on, category) for on, category, _pid in distinct)
    return [TimelineItem(on=on, domain="talent", title=_("%(category)s认定", category=_(category)),
                         detail=_("%(n)s人", n=n), url=url_for("talent.summary"))
            for (on, category), n in sorted(counts.items())]

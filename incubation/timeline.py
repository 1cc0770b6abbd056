"""Tenancies on the registry's firm timeline (entry, and graduation / move-out / closure)."""
from flask import url_for
from flask_babel import gettext as _

from core.permissions import can
from core.timeline import TimelineItem
from incubation.queries import tenancies_of_firm


def tenancy_items(firm_id: int, user) -> list[TimelineItem]:
    if not can("incubation.view", user=user):
        return []
    items = []
    for t in tenancies_of_firm(firm_id):
        url = url_for("incubation.carrier_detail", carrier_id=t.carrier_id)
        items.append(TimelineItem(on=t.entered_on, domain="incubation", url=url,
                                  title=_("入驻%(carrier)s", carrier=t.carrier.name),
                                  detail=_(t.carrier.carrier_type)))
        if t.left_on:
            items.append(TimelineItem(on=t.left_on, domain="incubation", url=url,
                                      title=_("%(outcome)s：离开%(carrier)s", outcome=_(t.outcome or "迁出"),
                                              carrier=t.carrier.name), detail=t.note))
    return items

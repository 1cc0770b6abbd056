"""The leadership briefing: the dashboard's figures and 附件1 on A4 landscape, to print or download as PDF.

/goals/briefing?as_of= is a page with print CSS (static/css/briefing.css: @page A4 landscape, a footer on
every printed page); /goals/briefing.pdf prints the same page on the server through core.pdf (Chromium),
with page numbers in the footer. Without a renderer the user is sent back to the page with a message.
"""
from datetime import date

from flask import Response, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from core.db import utcnow
from core.formatting import localtime
from core.pdf import PdfUnavailable, html_to_pdf
from core.permissions import requires
from goals import periods
from goals import rollup as ru
from goals.views import _groups, as_of_arg, bp, lang

STATUSES = ("achieved", "on_track", "at_risk", "behind", "no_target", "none")


def _progress_chart(rows, language: str) -> dict:
    """Per goal with a target: progress and the progress expected by now, in % of the target."""
    items = []
    for r in rows:
        if r.progress is None or r.target is None or not r.target.value:
            continue
        expected = float(r.expected) / float(r.target.value) * 100 if r.expected is not None else None
        items.append({"name": r.goal.name(language), "progress": round(float(r.progress) * 100, 1),
                      "expected": None if expected is None else round(expected, 1), "status": r.status or "none"})
    return {"items": items}


def briefing_context(as_of: date) -> dict:
    """Everything the briefing shows on `as_of` (figures frozen at a close when the date is closed)."""
    rows, closed, _moved = periods.reported_rows(ru.rollup_rows(as_of), as_of)
    counts = {key: 0 for key in STATUSES}
    for row in rows:
        counts[row.status or "none"] += 1
    language = lang()
    annex = [r for r in rows if r.goal.source == "附件1"]
    return {"as_of": as_of, "rows": rows, "annex": annex, "others": _groups([r for r in rows if r not in annex],
                                                                          "category"),
            "counts": counts, "closed": closed, "lang": language, "chart": _progress_chart(annex or rows, language),
            "generated": localtime(utcnow()), "by": current_user.label if current_user.is_authenticated else ""}


@bp.route("/briefing")
@requires("goals.view")
def briefing():
    return render_template("goals/briefing.html", pdf=False, **briefing_context(as_of_arg()))


@bp.route("/briefing.pdf")
@requires("goals.view")
def briefing_pdf():
    as_of = as_of_arg()
    html = render_template("goals/briefing.html", pdf=True, **briefing_context(as_of))
    footer = _("鄞州区“中国制造2025”目标进展简报 · 数据截至 %(d)s", d=as_of.isoformat())
    try:
        data = html_to_pdf(html, path=request.path, footer=footer, ready="body[data-charts-ready]")
    except PdfUnavailable as exc:
        flash(str(exc), "warning")
        return redirect(url_for("goals.briefing", as_of=as_of.isoformat()))
    name = f"briefing-{as_of.isoformat()}.pdf"
    return Response(data, mimetype="application/pdf", headers={"Content-Disposition": f"attachment; filename={name}"})

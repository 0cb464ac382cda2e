"""The security dashboard: hourly chart, block suggestions, alerts, audit chain, remote modules,
and the audit event list with filters and pages."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, current_app, flash, redirect, request, url_for
from markupsafe import Markup
from werkzeug.wrappers import Response
from wtforms import Form, IntegerField, SearchField, SelectField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import NumberRange, Optional

from app.platform.security_stats import OUTCOMES
from app.web.ui.admin.kit import AdminKit
from app.web.ui.common import page

RECENT_ALERTS = 10
ANY = SelectChoice("", "Any")


class EventFilter(Form):
    """The event list's GET form (no CSRF: it changes nothing)."""

    event = SelectField("Event", default="")
    actor = SearchField("Actor (user id or system:name)")
    outcome = SelectField("Outcome", default="",
                          choices=[ANY, *(SelectChoice(o, o.title()) for o in OUTCOMES)])
    page = IntegerField("Page", default=1, validators=[Optional(), NumberRange(1, 100_000)])


def routes(bp: Blueprint, kit: AdminKit) -> None:
    stats = kit.services.security

    @bp.get("/")
    def index() -> Response:
        return redirect(url_for("admin.security"), code=303)

    @bp.get("/security")
    def security() -> Response:
        # pygal (a few MB per process) is loaded by the first dashboard a worker draws, not by
        # every worker at start: most never draw one.
        from app.web.charts import LABELS, security_chart

        principal = kit.principal()
        counts = stats.hourly(principal)
        # pygal escapes every label and value it writes; the SVG is the shop's own output.
        chart = Markup(security_chart(counts, nonce=_nonce()))  # noqa: S704  # nosec B704
        alerts = stats.events(principal, event="sys_alert", page_size=RECENT_ALERTS).items
        return page("admin/security.html", chart=chart, counts=counts, labels=LABELS,
                    suspects=stats.suspects(principal), alerts=alerts,
                    chain=stats.last_verification(principal), peers=_peers(kit),
                    keys=kit.services.signing_keys.signing_keys(principal),
                    now=int(kit.services.clock.time()),
                    **kit.context())

    @bp.post("/security/verify")
    def verify() -> Response:
        result = stats.verify(kit.principal())
        if result.intact:
            flash(f"The audit chain is intact ({result.events} events checked).", "success")
        else:
            flash(f"The audit chain is broken at event {result.broken_at}.", "error")
        return redirect(url_for("admin.security"), code=303)

    @bp.get("/security/events")
    def events() -> Response:
        form = EventFilter(request.args)
        form.event.choices = [ANY, *(SelectChoice(e, e) for e in stats.event_names())]
        if not form.validate():
            return page("admin/events.html", status=400, form=form, events=None, args={},
                        **kit.context())
        args = {k: v for k, v in (("event", form.event.data), ("actor", form.actor.data),
                                  ("outcome", form.outcome.data)) if v}
        found = stats.events(kit.principal(), page=form.page.data or 1, **args)
        return page("admin/events.html", form=form, events=found, args=args, **kit.context())


def _nonce() -> str | None:
    """The response's CSP nonce (Flask-Talisman), for the chart's style element."""
    nonce_of = current_app.jinja_env.globals.get("csp_nonce")
    return str(nonce_of()) if callable(nonce_of) else None


def _peers(kit: AdminKit) -> dict[str, Any] | None:
    """What /readyz knows about remote modules (None when every module is in-process)."""
    return kit.services.peers() if kit.services.peers is not None else None

"""``/reports`` and ``/reports.csv``: the analytics dashboard of the staff console.

Signed-in staff only (:func:`helpline.web.console.page`: anyone else goes to
/login), both roles. The figures are counts only (:mod:`helpline.reports.queries`),
so viewing them is not recorded in the audit trail, unlike a record or a
transcript. The range is ``?from=YYYY-MM-DD&to=YYYY-MM-DD`` in the facility's time
zone (``facility.yml`` ``timezone``), by default the last 30 days; a bad one is a
400 with the form to correct it. The CSV carries the same figures for the same
range (:mod:`helpline.reports.export`).

Charts are inline SVG drawn here (:mod:`helpline.reports.charts`): the console's
CSP allows no script and no inline style.
"""
from __future__ import annotations

from datetime import timedelta
from typing import Any, Dict, List, Optional, Tuple
from urllib.parse import urlencode

from aiohttp import web
from markupsafe import Markup
from sqlalchemy.orm import sessionmaker

from helpline.facility import load_facility
from helpline.reports import charts, export
from helpline.reports.charts import Series
from helpline.reports.queries import DateRange, Report, build_report
from helpline.security.staff_accounts import SignedIn
from helpline.web import console, templating

PRESETS = (7, 30, 90)
_ROUTES_ADDED = web.AppKey("helpline_reports_routes", bool)


def percent(value: Optional[float]) -> str:
    return "-" if value is None else f"{value * 100:.1f}%"


def minutes(value: Optional[float]) -> str:
    """Minutes as staff say them: "45 min", "2 h 05 min", "3 d 4 h"."""
    if value is None:
        return "-"
    whole = int(round(value))
    if whole < 60:
        return f"{value:.1f} min" if value < 10 else f"{whole} min"
    hours, mins = divmod(whole, 60)
    if hours < 24:
        return f"{hours} h {mins:02d} min"
    days, hours = divmod(hours, 24)
    return f"{days} d {hours} h"


def number(value: Optional[int]) -> str:
    return "-" if value is None else f"{value:,}"


def _range_and_report(factory: sessionmaker, start: Optional[str], end: Optional[str]) -> Tuple[DateRange, Report]:
    zone = load_facility().timezone
    span = DateRange.parse(start, end, zone)
    return span, build_report(factory, span, zone)


def _charts(report: Report) -> Dict[str, Markup]:
    day_labels = [d.day.strftime("%b %-d") for d in report.days]
    by_channel = [Series(c.label, [d.by_channel.get(c.code, 0) for d in report.days]) for c in report.channels]
    by_language = [Series(g.label, [d.by_language.get(g.code, 0) for d in report.days]) for g in report.languages]
    none = [Series("Conversations", [0] * len(report.days))]  # an empty range still gets its axes
    rates = report.rates
    funnel = report.funnel
    times = report.lead_times
    crises = report.crises
    return {
        "per_day_channel": charts.stacked_columns(
            "chart-channel", "Conversations per day by channel", day_labels, by_channel or none),
        "per_day_language": charts.stacked_columns(
            "chart-language", "Conversations per day by language", day_labels, by_language or none),
        "topics": charts.bars(
            "chart-topics", "FAQ answers by topic", [t.label for t in report.topics],
            [Series("Answers", [t.asks for t in report.topics])]),
        "rates": charts.bars(
            "chart-rates", "Clarification and fallback rates", ["Clarification", "Fallback"],
            [Series("Per message", [_pct(rates.clarification_per_message), _pct(rates.fallback_per_message)]),
             Series("Per conversation", [_pct(rates.clarification_per_conversation),
                                         _pct(rates.fallback_per_conversation)])],
            value_text=lambda v: f"{v:.1f}%"),
        "funnel": charts.bars(
            "chart-funnel", "Intake funnel", [s.label for s in funnel], [Series("Count", [s.count for s in funnel])]),
        "screening": charts.bars(
            "chart-screening", "Screening questions reached", [s.label for s in report.screening],
            [Series("Conversations", [s.count for s in report.screening])]),
        "to_claim": charts.bars(
            "chart-claim", "Time to claim a lead, by urgency", [t.label for t in times],
            [Series("Median", [t.to_claim.median for t in times]), Series("90th percentile", [t.to_claim.p90 for t in times])],
            value_text=minutes),
        "to_attempt": charts.bars(
            "chart-attempt", "Time to the first call attempt, by urgency", [t.label for t in times],
            [Series("Median", [t.to_first_attempt.median for t in times]),
             Series("90th percentile", [t.to_first_attempt.p90 for t in times])],
            value_text=minutes),
        "crises": charts.bars(
            "chart-crises", "Crisis follow-ups by category", [c.label for c in crises],
            [Series("Follow-ups", [c.flags for c in crises])]),
        "crisis_times": charts.bars(
            "chart-crisis-times", "Time to claim a crisis follow-up, by category", [c.label for c in crises],
            [Series("Median", [c.to_claim.median for c in crises]), Series("90th percentile", [c.to_claim.p90 for c in crises])],
            value_text=minutes),
    }


def _pct(value: Optional[float]) -> Optional[float]:
    return None if value is None else value * 100


def _presets(shown: DateRange) -> List[Dict[str, Any]]:
    """"Last 7 / 30 / 90 days" up to the last day shown."""
    links = []
    for days in PRESETS:
        span = DateRange(shown.end - timedelta(days=days - 1), shown.end)
        links.append({"days": days, "href": "/reports?" + urlencode(span.query()), "current": span == shown})
    return links


def _context(staff: SignedIn, report: Optional[Report], form: Dict[str, str], error: Optional[str]) -> Dict[str, Any]:
    context: Dict[str, Any] = {
        "title": "Reports", "staff": staff, "report": report, "form": form, "error": error,
        "percent": percent, "minutes": minutes, "number": number,
    }
    if report is not None:
        context.update(
            charts=_charts(report), presets=_presets(report.range),
            csv_href="/reports.csv?" + urlencode(report.range.query()),
            as_of=templating.local_time(report.as_of, report.zone) if report.as_of else None,
            leads_stored=report.step("lead_stored").count,
            enrolled=report.step("enrolled").count,
            total_crises=sum(c.flags for c in report.crises),
            topic_answers=sum(t.asks for t in report.topics),
        )
    return context


async def reports_view(request: web.Request, staff: SignedIn) -> web.StreamResponse:
    start, end = request.query.get("from") or None, request.query.get("to") or None
    form = {"from": start or "", "to": end or ""}
    try:
        span, report = await request.app[console.CONSOLE].run(_range_and_report, start, end)
    except ValueError as exc:
        return templating.render("reports.html", request, _context(staff, None, form, str(exc)), status=400)
    form = report.range.query()
    return templating.render("reports.html", request, _context(staff, report, form, None))


async def reports_csv(request: web.Request, staff: SignedIn) -> web.StreamResponse:
    try:
        _, report = await request.app[console.CONSOLE].run(
            _range_and_report, request.query.get("from") or None, request.query.get("to") or None)
    except ValueError as exc:
        return templating.no_store(web.Response(status=400, text=f"{exc}\n", content_type="text/plain"))
    response = web.Response(text=export.to_csv(report), content_type="text/csv", charset="utf-8")
    response.headers["Content-Disposition"] = f'attachment; filename="{export.filename(report)}"'
    response.headers["X-Content-Type-Options"] = "nosniff"
    return templating.no_store(response)


def setup(app: web.Application) -> None:
    """Add ``GET /reports`` and ``GET /reports.csv``; the console's own setup must have run (its sign-in and data).

    Templates come from :func:`helpline.web.templating.setup`. Calling this twice adds the routes once.
    """
    if app.get(_ROUTES_ADDED):
        return
    app[_ROUTES_ADDED] = True
    app.router.add_get("/reports", console.page(reports_view))
    app.router.add_get("/reports.csv", console.page(reports_csv))

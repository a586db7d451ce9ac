"""The dashboard's figures as one CSV, in long form: ``figure, group, item, measure, value``.

Long form so that every figure fits one sheet and a pivot table can rebuild any
chart. Codes, not labels (``web``, ``es``, ``cost``, ``urgent``): they are stable
across releases and languages. Counts, rates and minutes only: no record, no
reference, nothing a person wrote. No value can start a spreadsheet formula: codes
are lower-case identifiers, numbers are numbers.
"""
from __future__ import annotations

import csv
import io
from typing import Iterator, List, Optional, Tuple

from helpline.reports.queries import Durations, Report, Step

HEADER = ("figure", "group", "item", "measure", "value")
Row = Tuple[str, str, str, str, str]


def _rate(value: Optional[float]) -> str:
    return "" if value is None else f"{value:.4f}"


def _minutes(value: Optional[float]) -> str:
    return "" if value is None else f"{value:.1f}"


def _durations(figure: str, group: str, item: str, durations: Durations) -> Iterator[Row]:
    yield figure, group, item, "count", str(durations.count)
    yield figure, group, item, "median_minutes", _minutes(durations.median)
    yield figure, group, item, "p90_minutes", _minutes(durations.p90)


def _steps(figure: str, steps: List[Step]) -> Iterator[Row]:
    for step in steps:
        yield figure, step.source, step.key, "count", str(step.count)
        if step.drop_off is not None:
            yield figure, step.source, step.key, "drop_off", str(step.drop_off)
            yield figure, step.source, step.key, "drop_off_share", _rate(step.drop_off_share)


def rows(report: Report) -> Iterator[Row]:
    span = report.range
    yield "range", "", "from", "day", span.start.isoformat()
    yield "range", "", "to", "day", span.end.isoformat()
    yield "range", "", "time_zone", "name", report.zone
    for day in report.days:
        when = day.day.isoformat()
        yield "conversations_per_day", when, "all", "conversations", str(day.total)
        for channel in report.channels:
            yield "conversations_per_day", when, f"channel:{channel.code}", "conversations", \
                str(day.by_channel.get(channel.code, 0))
        for language in report.languages:
            yield "conversations_per_day", when, f"language:{language.code}", "conversations", \
                str(day.by_language.get(language.code, 0))
    for kind, totals in (("channel", report.channels), ("language", report.languages)):
        for total in totals:
            yield f"conversations_by_{kind}", "", total.code, "conversations", str(total.conversations)
            yield f"conversations_by_{kind}", "", total.code, "leads_stored", str(total.leads_stored)
    for topic in report.topics:
        yield "faq_topics", "", topic.topic, "answers", str(topic.asks)
    rates = report.rates
    for measure, value in (
        ("conversations", str(rates.conversations)), ("messages", str(rates.messages)),
        ("faq_answers", str(rates.faq_answers)),
        ("clarifications", str(rates.clarifications)), ("fallbacks", str(rates.fallbacks)),
        ("clarification_rate_per_message", _rate(rates.clarification_per_message)),
        ("fallback_rate_per_message", _rate(rates.fallback_per_message)),
        ("conversations_with_clarification", str(rates.conversations_clarified)),
        ("conversations_with_fallback", str(rates.conversations_fell_back)),
        ("clarification_rate_per_conversation", _rate(rates.clarification_per_conversation)),
        ("fallback_rate_per_conversation", _rate(rates.fallback_per_conversation)),
    ):
        yield "rates", "", "all", measure, value
    yield from _steps("funnel", report.funnel)
    yield from _steps("screening_questions", report.screening)
    for times in report.lead_times:
        yield "lead_times", times.urgency, "leads", "count", str(times.leads)
        yield from _durations("lead_times", times.urgency, "to_claim", times.to_claim)
        yield from _durations("lead_times", times.urgency, "to_first_attempt", times.to_first_attempt)
    for crisis in report.crises:
        yield "crisis_flags", crisis.category, "flags", "count", str(crisis.flags)
        yield from _durations("crisis_flags", crisis.category, "to_claim", crisis.to_claim)


def to_csv(report: Report) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(HEADER)
    writer.writerows(rows(report))
    return out.getvalue()


def filename(report: Report) -> str:
    return f"helpline-report-{report.range.start.isoformat()}-to-{report.range.end.isoformat()}.csv"

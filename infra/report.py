"""`escalator report`: how the cases of a period went, per channel (or team, or topic),
read from the table:
how many, how many still wait for a first response, how many were answered at all,
within the SLA and the same day (shares of all cases: one still waiting counts as not
answered yet), how fast (p50, p90), how many breached a deadline and how far they
climbed."""

from __future__ import annotations

import csv
import io
import json
from datetime import datetime
from typing import Any

from chalicelib.adapters.dynamodb.cases import CaseStore
from chalicelib.domain.case_clock import Status
from chalicelib.domain.cases import Case
from chalicelib.domain.figures import Figures, grouped, summarize
from chalicelib.domain.policy_values import format_duration

REPORTED = (Status.OPEN, Status.RESPONDED, Status.RESOLVED)  # praise and spam are not
MAX_CASES = 100_000  # per status: a report holds them all in memory


class TooManyCases(ValueError):
    """More cases than a report reads: it would be wrong, so there is none."""


def cases_since(store: CaseStore, since: datetime) -> list[Case]:
    cases = []
    for status in REPORTED:
        found = store.opened_since(status, since, MAX_CASES + 1)
        if len(found) > MAX_CASES:
            raise TooManyCases(f"more than {MAX_CASES:,} {status} cases: report a shorter period")
        cases.extend(found)
    return cases


def rows(cases: list[Case], by: str = "channel") -> list[dict[str, Any]]:
    """One row per channel (team, topic), then one for all of them together; each row's
    first key is `by`."""
    figures = grouped(cases, by)
    if cases:
        figures.append(summarize("all", cases))
    return [_row(f, by) for f in figures]


def _row(figures: Figures, by: str) -> dict[str, Any]:
    return {
        by: figures.group,
        "cases": figures.cases,
        "answered": figures.answered,
        "waiting": figures.waiting,
        "response_rate": round(figures.response_rate, 4),
        "within_sla": round(figures.within_sla_share, 4),
        "same_day": round(figures.same_day_share, 4),
        "first_response_p50_seconds": figures.median_seconds,
        "first_response_p90_seconds": figures.p90_seconds,
        "breached": figures.breached,
        "escalations_by_tier": {str(t): n for t, n in figures.escalations_by_tier.items()},
    }


def as_json(report: list[dict[str, Any]]) -> str:
    return json.dumps(report, indent=2)


def as_csv(report: list[dict[str, Any]]) -> str:
    out = io.StringIO()
    tiers = sorted({t for row in report for t in row["escalations_by_tier"]}, key=int)
    names = [k for k in report[0] if k != "escalations_by_tier"] if report else []
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(names + [f"tier_{t}" for t in tiers])
    for row in report:
        escalations = row["escalations_by_tier"]
        writer.writerow([row[k] for k in names] + [escalations.get(t, 0) for t in tiers])
    return out.getvalue()


def as_table(report: list[dict[str, Any]], period: str, by: str = "channel") -> str:
    width = max([10, *(len(str(row[by])) for row in report)])
    lines = [
        f"Cases opened in the last {period}, per {by}:",
        f"{by:<{width}} {'cases':>6} {'waiting':>8} {'answered':>9} {'in SLA':>7} "
        f"{'same day':>9} "
        f"{'p50':>8} {'p90':>8} {'breached':>9}  escalations by tier",
    ]
    for row in report:
        tiers = ", ".join(f"{t}: {n}" for t, n in row["escalations_by_tier"].items()) or "-"
        lines.append(
            f"{row[by]:<{width}} {row['cases']:>6} {row['waiting']:>8} "
            f"{row['response_rate']:>9.0%} "
            f"{row['within_sla']:>7.0%} {row['same_day']:>9.0%} "
            f"{_span(row['first_response_p50_seconds']):>8} "
            f"{_span(row['first_response_p90_seconds']):>8} {row['breached']:>9}  {tiers}"
        )
    if not report:
        lines.append("(no cases)")
    return "\n".join(lines)


def _span(seconds: float | None) -> str:
    return "-" if seconds is None else format_duration(seconds)

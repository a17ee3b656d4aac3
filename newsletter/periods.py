"""How issues follow each other: the cadence, the next period, overlaps and gaps.

A cadence is ``days`` long periods sharing ``overlap`` days with the previous one: ISHM ran
Friday to Thursday (7 days, no overlap) until 2019 and Thursday to Thursday (8 days, the
Thursday shared) since. Holiday issues (14 or 15 days) are irregular: the next issue goes back to
the cadence, it does not repeat them.
"""

from __future__ import annotations

import datetime as dt
import itertools
from collections import Counter
from collections.abc import Sequence

from newsletter.model import Cadence, Issue, Period, Publication

# How many of the latest issue-to-issue steps the cadence is inferred from.
INFER_FROM = 8


def length(period: Period) -> int:
    """The days a period covers, both ends included."""
    return (period.end - period.start).days + 1


def shared_days(previous: Period, period: Period) -> int:
    """Days ``period`` shares with ``previous``; negative when days between them are missing."""
    return (previous.end - period.start).days + 1


def infer_cadence(issues: Sequence[Issue]) -> Cadence:
    """The cadence the latest issues mostly ran at (ties: the shorter); 8 days sharing one
    when there are too few issues to tell."""
    steps: list[tuple[int, int]] = []
    for previous, issue in itertools.pairwise(issues[-INFER_FROM - 1 :]):
        days, overlap = length(issue.period), shared_days(previous.period, issue.period)
        # A regular issue shares at most its first day with the last one; more is a mistake
        # that ``check`` should report, not a cadence to learn.
        if overlap in (0, 1) and overlap < days:
            steps.append((days, overlap))
    if not steps:
        return Cadence()
    counts = Counter(steps)
    best = max(counts.values())
    # On a tie the shorter period wins: the irregular issues are the long holiday ones.
    days, overlap = min(s for s in counts if counts[s] == best)
    return Cadence(days=days, overlap=overlap)


def cadence(publication: Publication, issues: Sequence[Issue]) -> Cadence:
    """The cadence of ``period`` in newsletter.yaml, or the one inferred from the issues."""
    return publication.period if publication.period is not None else infer_cadence(issues)


def next_period(
    last: Period,
    rule: Cadence,
    start: dt.date | None = None,
    end: dt.date | None = None,
) -> tuple[dt.date, dt.date]:
    """The period after ``last`` at ``rule``'s cadence; a given ``start`` or ``end`` is kept and
    the other day follows from the cadence (``end`` alone still starts where ``last`` ended)."""
    if start is None:
        start = last.end + dt.timedelta(days=1 - rule.overlap)
    if end is None:
        end = start + dt.timedelta(days=rule.days - 1)
    return start, end


def step_warning(previous: Issue, issue: Issue, rule: Cadence) -> str | None:
    """Say what is wrong between two consecutive issues' periods, if anything."""
    overlap = shared_days(previous.period, issue.period)
    if overlap > rule.overlap:
        allowed = f"{rule.overlap} day" + ("" if rule.overlap == 1 else "s")
        return (
            f"the period overlaps the previous issue ({previous.period.start} to "
            f"{previous.period.end}) by {overlap} days; the cadence allows {allowed} "
            "(period: in newsletter.yaml)"
        )
    if overlap < 0:
        missing = -overlap
        return (
            f"the period leaves a gap of {missing} day{'' if missing == 1 else 's'} after the "
            f"previous issue, which ended on {previous.period.end}"
        )
    return None

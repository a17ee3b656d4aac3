"""How an issue's period and title are written: one place, used by every edition and the subject.

Pure functions from (period, number, settings) to text, so the email's subject and masthead, the
PDF's title and running head, the web page, the index and the feed all say the same thing:
``November 4 – 11, 2021``, ``ISHM 328: November 4 – 11, 2021``.
"""

from __future__ import annotations

import datetime as dt
import re

from newsletter.fields import fill, parse_template
from newsletter.model import HeaderStyle, Issue, Publication

# Month names written out here, not by strftime's %B, so a header never depends on the locale.
MONTH_NAMES = (
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
)


def _day(day: dt.date, year: bool) -> str:
    text = f"{MONTH_NAMES[day.month - 1]} {day.day}"
    return f"{text}, {day.year}" if year else text


def format_period(start: dt.date, end: dt.date, style: HeaderStyle) -> str:
    """Write a period as the monitor does: ``November 4 – 11, 2021``, ``November 28 –
    December 5, 2021``, ``December 28, 2022 – January 5, 2023``, or one day alone."""
    if start == end:
        text = _day(end, year=True)
    elif start.year != end.year:
        text = f"{_day(start, year=True)}{style.dash}{_day(end, year=True)}"
    elif start.month != end.month or style.repeat_month:
        text = f"{_day(start, year=False)}{style.dash}{_day(end, year=True)}"
    else:
        text = f"{_day(start, year=False)}{style.dash}{end.day}, {end.year}"
    return text.upper() if style.case == "upper" else text


def period_text(issue: Issue, publication: Publication) -> str:
    """The issue's period as readers see it, in the publication's header style."""
    return format_period(issue.period.start, issue.period.end, publication.headers)


def shown_number(issue: Issue, publication: Publication) -> int | None:
    """The number the headers show: None when the issue has none or the style hides it."""
    return issue.number if publication.headers.number else None


def fill_header(template: str, fields: dict[str, object]) -> str:
    """Fill a header template; a ``{number}`` with no value is left out with the spaces before
    it, so ``{short_name} {number}: {period}`` reads ``ISHM: November 4 – 11, 2021``."""
    out: list[str] = []
    for literal, name, spec in parse_template(template, tuple(fields)):
        out.append(literal)
        if name is None:
            continue
        value = fields[name]
        if value is None:
            out[-1] = out[-1].rstrip()
            continue
        out.append(fill("{" + name + (f":{spec}" if spec else "") + "}", {name: value}))
    return "".join(out)


def header_fields(issue: Issue, publication: Publication) -> dict[str, object]:
    """The values a title or subject template may name."""
    return {
        "short_name": publication.short_name,
        "title": publication.title,
        "number": shown_number(issue, publication),
        "period": period_text(issue, publication),
    }


def title(issue: Issue, publication: Publication) -> str:
    """The issue's title: web page, PDF title, email ``<title>``, index entry, feed entry."""
    return fill_header(publication.headers.title, header_fields(issue, publication))


MAX_SUBJECT = 78  # RFC 5322's line length: the length most clients show whole
# Where a headline's first clause ends: "A; B", "A: B", "A – B".
_CLAUSE_END = re.compile(r"\s*[;:]\s|\s+[–—]\s+")


def lead(issue: Issue) -> str:
    """The lead story: the first takeaway's headline (or its section's title), first clause."""
    for entry in issue.sections:
        takeaway = entry.section.takeaway
        if takeaway is not None:
            headline = " ".join((takeaway.headline or entry.section.title).split())
            return _CLAUSE_END.split(headline, maxsplit=1)[0].rstrip(" .,")
    return ""


def shorten(text: str, limit: int) -> str:
    """Cut ``text`` to at most ``limit`` characters at a word boundary, ending with "…"."""
    if len(text) <= limit:
        return text
    cut = text[: max(0, limit - 1)]
    if " " in cut and not text[len(cut)].isspace():
        cut = cut.rsplit(" ", 1)[0]
    return cut.rstrip(" ,;:–—") + "…"


def subject(issue: Issue, publication: Publication) -> str:
    """The email's subject line, from ``email.subject``; ``{lead}`` is shortened to fit."""
    template = publication.email.subject
    fields = header_fields(issue, publication)
    # An issue without takeaways has no lead story: its period stands in.
    fields["lead"] = lead(issue) or fields["period"]
    text = fill_header(template, fields)
    names = {name for _, name, _ in parse_template(template, tuple(fields))}
    if len(text) <= MAX_SUBJECT or "lead" not in names:
        return text
    room = MAX_SUBJECT - len(fill_header(template, {**fields, "lead": ""}))
    return fill_header(template, {**fields, "lead": shorten(str(fields["lead"]), room)})


def label(issue: Issue, publication: Publication) -> str:
    """The issue named in a line or a link: ``ISHM 328``, or its period when no number shows."""
    number = shown_number(issue, publication)
    if number is None:
        return period_text(issue, publication)
    return f"{publication.short_name} {number}"


def masthead(issue: Issue, publication: Publication) -> str:
    """The line under the masthead: ``ISHM 328 · November 4 – 11, 2021`` (or the period)."""
    number = shown_number(issue, publication)
    period = period_text(issue, publication)
    if number is None:
        return period
    return f"{publication.short_name} {number} · {period}"

"""The web archive: a page per issue, the index with trends, governorate pages, data downloads,
the Atom feed, the sitemap and the search index. Everything is returned as bytes by path."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from typing import Any

from newsletter import headers, paths
from newsletter.archive import change_from_previous, governorate_histories, series
from newsletter.compute import format_date, summarise, totals
from newsletter.incidents import Ledger, issue_rows, ledger
from newsletter.loader import Project
from newsletter.model import Issue
from newsletter.render.chart import trend_chart
from newsletter.render.context import issue_context
from newsletter.render.data import correction_rows, incident_rows, to_csv, to_json
from newsletter.render.map import issue_places
from newsletter.render.search import search_year
from newsletter.render.share import cut_at_word, og_image, og_image_file, og_image_url
from newsletter.theme import Theme

FEED_SIZE = 20
FAVICON, TOUCH_ICON = "favicon.svg", "apple-touch-icon.png"
UNLISTED = {"404.html"}  # pages the sitemap leaves out


def _headlines(issue: Issue) -> str:
    return "; ".join(
        e.section.takeaway.headline or e.section.title for e in issue.sections if e.section.takeaway
    )


def _stamp(issue: Issue) -> str:
    day = issue.meta.published or issue.period.end
    return dt.datetime.combine(day, dt.time(12), dt.UTC).isoformat().replace("+00:00", "Z")


def _updated(issue: Issue) -> str:
    """When the issue last changed: its publication, or its latest correction."""
    day = max([issue.meta.published or issue.period.end, *(c.date for c in issue.meta.corrections)])
    return dt.datetime.combine(day, dt.time(12), dt.UTC).isoformat().replace("+00:00", "Z")


def web_context(project: Project, issue: Issue) -> dict[str, Any]:
    """The issue's context plus what its web page needs: change from previous, metadata."""
    context = issue_context(project, issue)
    totals = context["ied"].totals
    phrase = totals.phrase() if totals.incidents else "No IED incidents reported"
    return {
        **context,
        "change": change_from_previous(project, issue),
        "canonical": context["issue_url"],
        "description": cut_at_word(_headlines(issue)),
        "og_image": og_image(project, issue, context["title"], phrase),
    }


def render_issue_page(theme: Theme, context: dict[str, Any]) -> str:
    """Render one issue's web page."""
    if "canonical" not in context:
        context = {**context, "canonical": context["issue_url"], "description": "", "change": None}
    return theme.render("web/issue.html", **context)


def _page_context(project: Project, canonical: str, description: str) -> dict[str, Any]:
    pub = project.publication
    return {
        "pub": pub,
        "canonical": canonical,
        "description": description,
        "table_date": lambda day: format_date(day, pub.date_formats.table),
        "label": lambda issue: headers.label(issue, pub),
    }


def render_index(theme: Theme, project: Project, book: Ledger | None = None) -> str:
    """Render the index of issues, newest first, grouped by year, with the trend chart; each
    incident counted once, in the issue first reporting it."""
    pub = project.publication
    book = book or ledger(project.issues)
    entries = [
        {
            "issue": i,
            "title": headers.title(i, pub),
            "ied": summarise(i, pub),
            "counted": totals(book.counted_in(i)),
            "repeats": book.repeats_in(i),
        }
        for i in project.issues
    ]
    chart = trend_chart(
        series(project), f"IED incidents, killed and injured per 7 days, {pub.short_name}"
    )
    return theme.render(
        "web/index.html",
        entries=entries,
        chart=chart,
        repeats=book.repeats,
        **_page_context(project, pub.site_url, f"Every issue of the {pub.title}."),
    )


def prepare() -> None:
    """Import what a page's preview image is drawn with (cairo: 0.8 s, most of it cffi
    parsing cairo's declarations), so that page workers forked afterwards inherit it."""
    from newsletter.render import mapraster  # noqa: F401


def issue_files(theme: Theme, project: Project, issue: Issue) -> dict[str, str | bytes]:
    """One issue's web page, its preview image and data downloads, by site path."""
    folder = paths.issue_dir(issue)
    rows = incident_rows(issue_rows(issue), lambda i: issue_places(project, i))
    image, png = og_image_file(project, issue)
    return {
        folder + "index.html": render_issue_page(theme, web_context(project, issue)),
        image: png,
        folder + "incidents.csv": to_csv(rows),
        folder + "incidents.json": to_json(rows),
    }


def render_archive(
    theme: Theme, project: Project, page_names: Sequence[str]
) -> dict[str, str | bytes]:
    """Every file of the archive beyond the issues' own: the index with trends, governorate
    pages, data downloads, search page, feed, sitemap and stylesheet, by site path.
    ``page_names`` are the issue pages' site paths, for the sitemap."""
    pub = project.publication
    files: dict[str, str | bytes] = {}
    book = ledger(project.issues)
    files["index.html"] = render_index(theme, project, book)
    histories = governorate_histories(project)
    for history in histories:
        files[f"governorates/{history.slug}.html"] = theme.render(
            "web/governorate.html",
            history=history,
            repeats=[r for r in book.repeats if r.row.incident.province == history.name],
            count=len(project.issues),
            chart=trend_chart(history.series, f"IED incidents in {history.name} per 7 days"),
            **_page_context(
                project,
                f"{pub.site_url}governorates/{history.slug}.html",
                f"IED incidents in {history.name}: {history.totals.phrase()}.",
            ),
        )
    files["governorates/index.html"] = theme.render(
        "web/governorates.html",
        histories=histories,
        **_page_context(project, f"{pub.site_url}governorates/", "IED incidents by governorate."),
    )
    everything = incident_rows(book.counted, lambda i: issue_places(project, i))
    files["data/incidents.csv"] = to_csv(everything)
    files["data/incidents.json"] = to_json(everything)
    files["data/corrections.json"] = to_json(correction_rows(project.issues))
    files["data/index.html"] = theme.render(
        "web/data.html",
        issues=project.issues,
        repeats=book.repeats,
        corrected=[i for i in project.issues if i.meta.corrections],
        **_page_context(project, f"{pub.site_url}data/", "Every IED incident, as CSV and JSON."),
    )
    files["search.html"] = theme.render(
        "web/search.html",
        years=sorted({search_year(i) for i in project.issues}, reverse=True),
        **_page_context(project, f"{pub.site_url}search.html", f"Search the {pub.title}."),
    )
    if pub.subscriptions is not None:  # the form posts to the list service
        files["subscribe/index.html"] = theme.render(
            "web/subscribe.html",
            **_page_context(project, f"{pub.site_url}subscribe/", f"Subscribe to the {pub.title}."),
        )
    # Served for any missing path, at any depth: its links are absolute.
    files["404.html"] = theme.render(
        "web/404.html",
        root=pub.site_url,
        **_page_context(project, f"{pub.site_url}404.html", "Page not found."),
    )
    files["atom.xml"] = render_feed(theme, project)
    files["sitemap.xml"] = render_sitemap(theme, project, [*page_names, *files])
    files["style.css"] = theme.read("web/style.css")
    files[FAVICON] = theme.read("web/" + FAVICON)
    files[TOUCH_ICON] = render_touch_icon(files[FAVICON])
    return files


def render_touch_icon(svg: str | bytes) -> bytes:
    """The favicon as the 180x180 PNG that phones put on a home screen."""
    import cairosvg

    data = svg.encode() if isinstance(svg, str) else svg
    png = cairosvg.svg2png(bytestring=data, output_width=180, output_height=180)
    assert isinstance(png, bytes)
    return png


def render_feed(
    theme: Theme, project: Project, contexts: dict[str, dict[str, Any]] | None = None
) -> str:
    """The Atom feed: the latest issues with their full content, footer and PDF edition."""
    latest = list(reversed(project.issues))[:FEED_SIZE]
    entries = []
    for issue in latest:
        context = contexts[issue.id] if contexts else web_context(project, issue)
        html = theme.render("web/_entry.html", base=context["issue_url"], **context)
        entries.append(
            {
                "title": context["title"],
                "url": context["issue_url"],
                "pdf": context["pdf_url"],
                "published": _stamp(issue),
                "updated": _updated(issue),
                "summary": _headlines(issue),
                "html": html,
            }
        )
    updated = max((e["updated"] for e in entries), default="1970-01-01T00:00:00Z")
    return theme.render("web/atom.xml", pub=project.publication, entries=entries, updated=updated)


def render_sitemap(theme: Theme, project: Project, files: Iterable[str]) -> str:
    """The sitemap: every HTML page, with the issue pages' dates and preview images."""
    pub = project.publication
    dates = {paths.issue_dir(i) + "index.html": _updated(i)[:10] for i in project.issues}
    images = {paths.issue_dir(i) + "index.html": og_image_url(pub, i) for i in project.issues}
    urls = []
    for name in sorted(files):
        if name.endswith(".html") and name not in UNLISTED:
            url = pub.site_url + (
                name[: -len("index.html")] if name.endswith("index.html") else name
            )
            urls.append((url, dates.get(name), images.get(name)))
    return theme.render("web/sitemap.xml", urls=urls)

"""Render every edition of one issue into bytes keyed by output path (nothing is written here)."""

from __future__ import annotations

from dataclasses import dataclass, field

from newsletter import paths
from newsletter.loader import Project
from newsletter.mail import fill
from newsletter.mail.message import build_message, unsubscribe_base
from newsletter.model import Issue, Publication
from newsletter.render.context import issue_context
from newsletter.render.email import render_email
from newsletter.render.map import MAP_FILE, InlineImage, email_map_image
from newsletter.render.pdf import print_resources, render_pdf, render_print_html
from newsletter.theme import Theme


@dataclass(frozen=True)
class Message:
    """What ``message.eml`` is assembled from, but the PDF it attaches."""

    issue: Issue
    period: str
    html: str
    text: str
    images: tuple[InlineImage, ...]
    pdf_name: str


@dataclass
class RenderedIssue:
    """An issue's output files, which edition each belongs to, and what the editor should be
    told about them."""

    files: dict[str, bytes] = field(default_factory=dict)
    editions: dict[str, list[str]] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)
    # The message, when it waits for a PDF rendered elsewhere (see ``finish_message``).
    message: Message | None = None

    def add(self, path: str, data: str | bytes, edition: str) -> None:
        """Add one output file of ``edition``."""
        self.files[path] = data.encode("utf-8") if isinstance(data, str) else data
        self.editions.setdefault(edition, []).append(path)


# The email is rendered once with this in place of the map's address, then given the file
# name (for email.html) or the cid: address (for message.eml).
_MAP_SRC = "https://map.invalid/newsletter-map.png"


def standalone(body: str, unsubscribe: str) -> str:
    """The email as a file to open or forward: no greeting, the general unsubscribe page."""
    return fill(body, "", unsubscribe)


def render_issue(
    theme: Theme,
    project: Project,
    issue: Issue,
    editions: tuple[str, ...] = ("email", "pdf"),
    pdf: bytes | None = None,
    pdf_elsewhere: bool = False,
) -> RenderedIssue:
    """Render the PDF and email editions of one issue (its web page comes with the site).

    ``pdf``, when given, is the issue's PDF from an earlier build: the email attaches it
    instead of rendering it again. ``pdf_elsewhere``: another process renders the PDF, and
    the message that attaches it is left to ``finish_message``."""
    pub = project.publication
    context = issue_context(project, issue)
    result = RenderedIssue()
    pdf_name = paths.pdf_name(pub, issue)
    attach = "email" in editions and pub.email.pdf == "attach"
    if "pdf" in editions or (attach and pdf is None and not pdf_elsewhere):
        print_html = render_print_html(theme, context)
        pdf = render_pdf(
            print_html,
            base_dir=project.content_dir / "issues" / issue.id,
            roots=[project.content_dir, *theme.search_path],
            metadata={"title": context["title"]},
            resources=print_resources(context),
        )
        if "pdf" in editions:
            result.add(paths.site_file(paths.issue_dir(issue) + pdf_name), pdf, "pdf")
    if "email" not in editions:
        return result

    # The standalone email.html shows map.png beside it and a general unsubscribe link;
    # message.eml shows the map through cid: and keeps the placeholder for delivery.
    edition = render_email(theme, {**context, "map_src": _MAP_SRC})
    unsubscribe = unsubscribe_base(pub)
    result.add(
        paths.email_file(issue, "email.html"),
        standalone(edition.html.replace(_MAP_SRC, MAP_FILE), unsubscribe),
        "email",
    )
    result.add(paths.email_file(issue, "email.txt"), standalone(edition.text, unsubscribe), "email")
    images: list[InlineImage] = []
    message_html = edition.html
    if context["ied_map"] is not None:
        image = email_map_image(issue, context["ied_map"])
        result.add(paths.email_file(issue, MAP_FILE), image.data, "email")
        images.append(image)
        message_html = edition.html.replace(_MAP_SRC, image.src)
    if edition.short:
        size_kb = edition.size.html / 1024
        result.notes.append(
            f"{pub.short_name} {issue.ref}: the full email would exceed "
            f"{pub.email.max_html_kb} KB; it carries the takeaways, the IED table and links "
            f"to the full text ({size_kb:.0f} KB)."
        )
    parts = Message(issue, context["period"], message_html, edition.text, tuple(images), pdf_name)
    if attach and pdf is None:  # pdf_elsewhere
        result.message = parts
    else:
        finish_message(pub, result, parts, pdf if attach else None)
    return result


def finish_message(
    pub: Publication, result: RenderedIssue, parts: Message, pdf: bytes | None
) -> None:
    """Assemble ``message.eml`` into ``result``, attaching ``pdf`` when given."""
    attachment = (parts.pdf_name, pdf) if pdf is not None else None
    issue = parts.issue
    message = build_message(
        pub, issue, parts.period, parts.html, parts.text, attachment, list(parts.images)
    )
    result.add(paths.email_file(issue, "message.eml"), message, "email")
    result.message = None

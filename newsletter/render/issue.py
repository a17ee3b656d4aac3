"""Render every edition of one issue into bytes keyed by output path (nothing is written here)."""

from __future__ import annotations

from dataclasses import dataclass, field

from newsletter import paths
from newsletter.loader import Project
from newsletter.mail import fill
from newsletter.mail.message import build_message
from newsletter.model import Issue
from newsletter.render.context import issue_context
from newsletter.render.email import render_email
from newsletter.render.map import MAP_FILE, InlineImage, email_map_image
from newsletter.render.pdf import render_pdf, render_print_html
from newsletter.theme import Theme


@dataclass
class RenderedIssue:
    """An issue's output files and what the editor should be told about them."""

    files: dict[str, bytes] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)

    def add(self, path: str, data: str | bytes) -> None:
        """Add one output file."""
        self.files[path] = data.encode("utf-8") if isinstance(data, str) else data


EDITIONS = ("email", "pdf", "web")


def standalone(body: str, unsubscribe: str) -> str:
    """The email as a file to open or forward: no greeting, the general unsubscribe page."""
    return fill(body, "", unsubscribe)


def render_issue(
    theme: Theme, project: Project, issue: Issue, editions: tuple[str, ...] = ("email", "pdf")
) -> RenderedIssue:
    """Render the PDF and email editions of one issue (its web page comes with the site)."""
    pub = project.publication
    context = issue_context(project, issue)
    result = RenderedIssue()
    pdf_name = paths.pdf_name(pub, issue)
    pdf = b""
    if "pdf" in editions or ("email" in editions and pub.email.pdf == "attach"):
        print_html = render_print_html(theme, context)
        pdf = render_pdf(
            print_html,
            base_dir=project.content_dir / "issues" / issue.id,
            roots=[project.content_dir, *theme.search_path],
            metadata={"title": context["title"]},
        )
        result.add(paths.site_file(paths.issue_dir(issue) + pdf_name), pdf)
    if "email" not in editions:
        return result

    # The standalone email.html shows map.png beside it and a general unsubscribe link;
    # message.eml shows the map through cid: and keeps the placeholder for delivery.
    edition = render_email(theme, context)
    unsubscribe = pub.email.unsubscribe_url or pub.site_url + "unsubscribe/"
    result.add(
        paths.email_file(issue, "email.html"),
        standalone(edition.html, unsubscribe),
    )
    result.add(
        paths.email_file(issue, "email.txt"),
        standalone(edition.text, unsubscribe),
    )
    images: list[InlineImage] = []
    message_edition = edition
    if context["ied_map"] is not None:
        image = email_map_image(issue, context["ied_map"])
        result.add(paths.email_file(issue, MAP_FILE), image.data)
        images.append(image)
        message_edition = render_email(theme, {**context, "map_src": image.src})
    if edition.short:
        size_kb = edition.size.html / 1024
        result.notes.append(
            f"{pub.short_name} {issue.number}: the full email would exceed "
            f"{pub.email.max_html_kb} KB; it carries the takeaways, the IED table and links "
            f"to the full text ({size_kb:.0f} KB)."
        )
    attach = (pdf_name, pdf) if pub.email.pdf == "attach" else None
    message = build_message(
        pub, issue, context["period"], message_edition.html, message_edition.text, attach, images
    )
    result.add(paths.email_file(issue, "message.eml"), message)
    return result

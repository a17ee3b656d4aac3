"""What a shared link to an issue shows: its description, cut at a word, and its preview image
(the map as a 1200x630 PNG, made once per build of the issue's page)."""

from __future__ import annotations

from dataclasses import dataclass

from newsletter import paths
from newsletter.loader import Project
from newsletter.model import Issue, Publication

DESCRIPTION_LIMIT = 160  # characters: what search engines and link cards show
OG_IMAGE = "og.png"  # beside the issue's page
OG_WIDTH, OG_HEIGHT = 1200, 630


def cut_at_word(text: str, limit: int = DESCRIPTION_LIMIT) -> str:
    """``text`` in at most ``limit`` characters, cut after a whole word with an ellipsis."""
    text = " ".join(text.split())
    if len(text) <= limit:
        return text
    head = text[: limit - 1]  # room for the ellipsis
    if text[limit - 1] != " " and " " in head:  # the cut falls inside a word: drop it
        head = head.rsplit(" ", 1)[0]
    return head.rstrip(" ;,:–-") + "…"


@dataclass(frozen=True)
class OgImage:
    """The preview image's absolute URL, size and text alternative."""

    url: str
    alt: str
    width: int = OG_WIDTH
    height: int = OG_HEIGHT


def og_image_url(publication: Publication, issue: Issue) -> str:
    """Where the issue's preview image is published."""
    return paths.issue_url(publication, issue) + OG_IMAGE


def og_image(project: Project, issue: Issue, title: str, phrase: str) -> OgImage:
    """Where the issue's preview image is published, and what it shows."""
    url = og_image_url(project.publication, issue)
    return OgImage(url, f"Map of IED incidents, {title}: {phrase}.")


def og_image_file(project: Project, issue: Issue) -> tuple[str, bytes]:
    """The preview image as a site file: its path and PNG bytes."""
    from newsletter.render.map import og_image_png  # cairosvg: only when pages are rendered

    return paths.issue_dir(issue) + OG_IMAGE, og_image_png(issue, project)

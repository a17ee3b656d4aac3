"""Where each edition lives in the output folder and on the web: one place decides."""

from __future__ import annotations

from newsletter.model import Issue, Publication


def manage_url(publication: Publication) -> str:
    """Where a reader manages their subscription when no personal link is at hand.

    The list service's page when it is configured, else the unsubscribe page; the email
    itself links the reader's own signed unsubscribe URL instead.
    """
    if publication.subscriptions is not None:
        return publication.subscriptions.base_url.rstrip("/") + "/subscribe"
    return publication.email.unsubscribe_url or publication.site_url + "unsubscribe/"


def pdf_name(publication: Publication, issue: Issue) -> str:
    """The PDF edition's file name: ``ishm-328.pdf``, or ``ishm-2021-11-11.pdf`` for an issue
    without a number (its id, the period's end, never changes)."""
    return f"{publication.short_name.lower()}-{issue.ref}.pdf"


def issue_dir(issue: Issue) -> str:
    """The issue's folder in the site, relative to the site root."""
    return f"issues/{issue.id}/"


def site_file(relative: str) -> str:
    """The output path of a site file."""
    return f"site/{relative}"


def email_file(issue: Issue, name: str) -> str:
    """The output path of one of an issue's email files."""
    return email_file_name(issue.id, name)


def issue_url(publication: Publication, issue: Issue) -> str:
    """The issue's permalink."""
    return publication.site_url + issue_dir(issue)


def pdf_url(publication: Publication, issue: Issue) -> str:
    """Where the PDF edition is published, beside the issue's page."""
    return issue_url(publication, issue) + pdf_name(publication, issue)


def email_file_name(issue_id: str, name: str) -> str:
    """The output path of one of an issue's email files, from the issue's id."""
    return f"email/{issue_id}/{name}"

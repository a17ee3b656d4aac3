"""Signed unsubscribe links: an HMAC of the address, so nobody can unsubscribe someone else."""

from __future__ import annotations

import base64
import hashlib
import hmac
from urllib.parse import urlencode

SECRET_VARIABLE = "NEWSLETTER_UNSUBSCRIBE_SECRET"


def token(secret: str, email: str) -> str:
    """The URL-safe HMAC-SHA256 token of an address."""
    digest = hmac.new(secret.encode("utf-8"), email.lower().encode("utf-8"), hashlib.sha256)
    return base64.urlsafe_b64encode(digest.digest()[:24]).decode("ascii").rstrip("=")


def verify(secret: str, email: str, candidate: str) -> bool:
    """Whether ``candidate`` is the token of ``email`` (constant-time comparison)."""
    return hmac.compare_digest(token(secret, email), candidate)


def unsubscribe_url(base: str, secret: str, email: str) -> str:
    """The subscriber's own one-click unsubscribe URL."""
    separator = "&" if "?" in base else "?"
    return base + separator + urlencode({"email": email, "token": token(secret, email)})

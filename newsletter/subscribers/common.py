"""Small things the subscriber store's modules share: the error and the address key."""

from __future__ import annotations

import unicodedata

from newsletter.errors import NewsletterError


class StateError(NewsletterError):
    """The state folder, the store or the old send log cannot be used."""


def key_of(email: str) -> str:
    """The address as the store compares it: trimmed, NFC, lower case."""
    return unicodedata.normalize("NFC", email.strip()).lower()

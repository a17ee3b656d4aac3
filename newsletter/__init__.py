"""newsletter: publish a weekly monitor as an HTML email, a PDF edition and a web archive."""

from __future__ import annotations

__version__ = "0.1.0"

"""The subscriber list and the send log in one database (SQLite by default, or PostgreSQL)."""

from __future__ import annotations

# The statuses an address can have (kept here, so the CLI names them without loading SQL).
STATUSES = ("pending", "active", "unsubscribed", "bounced", "complained")

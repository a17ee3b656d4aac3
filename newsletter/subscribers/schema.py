"""The tables as the store queries them; they change only through migrations/versions/."""

from __future__ import annotations

from sqlalchemy import Column, Float, Index, Integer, MetaData, String, Table, Text

metadata = MetaData()

# key: the address normalised for comparison (unique); email: as the person wrote it.
subscribers = Table(
    "subscribers",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("key", String(320), nullable=False, unique=True),
    Column("email", String(320), nullable=False),
    Column("name", Text, nullable=False, server_default=""),
    Column("status", String(20), nullable=False),
    Column("source", String(40), nullable=False, server_default=""),
    Column("created", Float, nullable=False),
    Column("updated", Float, nullable=False),
)

# Every change of status, with when, how and for which issue.
events = Table(
    "events",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("key", String(320), nullable=False, index=True),
    Column("at", Float, nullable=False),
    Column("from_status", String(20), nullable=True),
    Column("to_status", String(20), nullable=False),
    Column("how", String(40), nullable=False, server_default=""),
    Column("issue", String(100), nullable=True),
    Column("detail", Text, nullable=False, server_default=""),
)

# Each bounce report, hard or soft: soft ones count towards "three issues in a row".
bounces = Table(
    "bounces",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("key", String(320), nullable=False, index=True),
    Column("issue", String(100), nullable=True),
    Column("hard", Integer, nullable=False),
    Column("at", Float, nullable=False),
    Column("detail", Text, nullable=False, server_default=""),
)

# Erased addresses: only a keyed hash, so they are never mailed or imported again.
forgotten = Table(
    "forgotten",
    metadata,
    Column("digest", String(64), primary_key=True),
    Column("at", Float, nullable=False),
)

# The send log: one row per issue and recipient.
sends = Table(
    "sends",
    metadata,
    Column("issue", String(100), primary_key=True),
    Column("email", String(320), primary_key=True),
    Column("key", String(320), nullable=False),
    Column("message_id", Text, nullable=False),
    Column("status", String(20), nullable=False),
    Column("attempts", Integer, nullable=False, server_default="0"),
    Column("detail", Text, nullable=False, server_default=""),
    Column("updated", Float, nullable=False),
    # Sends that went out whole and were never answered (migration 0002).
    Column("unknowns", Integer, nullable=False, server_default="0"),
)
Index("sends_key", sends.c.key)

# Message-IDs of bounce and complaint reports already read, so a rerun changes nothing.
processed = Table(
    "processed",
    metadata,
    Column("message_id", String(998), primary_key=True),
    Column("at", Float, nullable=False),
    Column("outcome", Text, nullable=False, server_default=""),
)

# Store-held values: the erasure key, what was imported from the old files.
settings = Table(
    "settings",
    metadata,
    Column("name", String(100), primary_key=True),
    Column("value", Text, nullable=False),
)

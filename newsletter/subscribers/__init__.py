"""The subscriber list and the send log in one database (SQLite by default, or PostgreSQL)."""

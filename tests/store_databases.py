"""The databases the store's tests run on: SQLite always, PostgreSQL when CI provides one.

``scripts/with-postgres.sh`` (run by ``make test``) starts a throwaway cluster and sets
NEWSLETTER_TEST_DATABASE_URL; each test gets a schema of its own in it, dropped afterwards.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

PG_VARIABLE = "NEWSLETTER_TEST_DATABASE_URL"


def pg_base_url() -> str:
    """The test cluster's URL, or skip when there is none (CI always sets it)."""
    url = os.environ.get(PG_VARIABLE, "")
    if not url and os.environ.get("NEWSLETTER_REQUIRE_POSTGRES"):
        pytest.fail(f"{PG_VARIABLE} is not set, and CI must test PostgreSQL")
    if not url:
        pytest.skip(f"{PG_VARIABLE} is not set (make test starts a PostgreSQL for it)")
    return url


def _psycopg_url(url: str) -> str:
    return url.replace("postgresql+psycopg://", "postgresql://", 1)


@pytest.fixture
def pg_url() -> Iterator[str]:
    """A PostgreSQL URL whose search path is a fresh, empty schema."""
    import psycopg

    base = _psycopg_url(pg_base_url())
    schema = "t_" + uuid.uuid4().hex[:12]
    with psycopg.connect(base, autocommit=True) as conn:
        conn.execute(f"CREATE SCHEMA {schema}")
    separator = "&" if "?" in base else "?"
    try:
        yield f"{base}{separator}options=-csearch_path%3D{schema}"
    finally:
        with psycopg.connect(base, autocommit=True) as conn:
            conn.execute(f"DROP SCHEMA {schema} CASCADE")


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """Each database in turn: a SQLite file in tmp_path, then a PostgreSQL schema."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'state' / 'newsletter.sqlite'}"
    return str(request.getfixturevalue("pg_url"))

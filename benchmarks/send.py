"""Send an issue to N fictional subscribers of the store through a loopback aiosmtpd server.

The subscribers are imported into a fresh store first (not timed); then the send is timed.
Prints messages per second and the process's peak memory; with --repeat, each run's figures
and the median. Run: .venv/bin/python benchmarks/send.py [--recipients 10000] [--repeat 3]
[--database-url postgresql://...] (each run then gets a fresh schema in that database)
"""

from __future__ import annotations

import argparse
import os
import resource
import shutil
import statistics
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))

from smtp_server import SmtpServer  # noqa: E402

from newsletter.commands import send as sending  # noqa: E402
from newsletter.subscribers.commands import import_csv  # noqa: E402
from newsletter.subscribers.store import Store  # noqa: E402


def one_run(folder: Path, recipients: int, attach: bool) -> tuple[int, float, int]:
    """Import, then time one send; return (sent, seconds, message size in bytes)."""
    content = folder / "content"
    shutil.copytree(ROOT / "content", content)
    if not attach:
        settings = content / "newsletter.yaml"
        text = settings.read_text(encoding="utf-8")
        settings.write_text(text.replace("date_formats:", "email:\n  pdf: link\ndate_formats:"))
    csv = folder / "subscribers.csv"
    rows = "".join(f"reader{i}@example.org,Reader {i}\n" for i in range(recipients))
    csv.write_text("email,name\n" + rows, encoding="utf-8")
    state = folder / "state"
    with Store.open(state) as store:
        import_csv(store, csv)  # not timed: the list is in the store before the send
    plan = sending.plan(content, "328", None, state)
    plan.message = sending.render_message(plan)
    started = time.perf_counter()
    result = sending.deliver(plan)
    return result.sent, time.perf_counter() - started, len(plan.message)


@contextmanager
def fresh_schema(url: str | None) -> Iterator[None]:
    """Point the store at an empty PostgreSQL schema of its own for one run (dropped after)."""
    if not url:
        yield
        return
    import psycopg

    schema = "bench_" + uuid.uuid4().hex[:12]
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute(f"CREATE SCHEMA {schema}")
    separator = "&" if "?" in url else "?"
    os.environ["NEWSLETTER_DATABASE_URL"] = f"{url}{separator}options=-csearch_path%3D{schema}"
    try:
        yield
    finally:
        del os.environ["NEWSLETTER_DATABASE_URL"]
        with psycopg.connect(url, autocommit=True) as conn:
            conn.execute(f"DROP SCHEMA {schema} CASCADE")


def main() -> None:
    """Run the benchmark and print its figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--recipients", type=int, default=10_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--attach", action="store_true", help="attach the PDF (default: link)")
    parser.add_argument(
        "--database-url",
        help="the store's database, postgresql://... (default: SQLite in a fresh state folder)",
    )
    args = parser.parse_args()
    rates = []
    with SmtpServer() as server:
        os.environ.update(
            NEWSLETTER_SMTP_HOST="127.0.0.1",
            NEWSLETTER_SMTP_PORT=str(server.port),
            NEWSLETTER_UNSUBSCRIBE_SECRET="benchmark-secret-0123456789",
        )
        os.environ.pop("NEWSLETTER_DATABASE_URL", None)  # SQLite unless told otherwise
        for _ in range(args.repeat):
            with tempfile.TemporaryDirectory() as folder, fresh_schema(args.database_url):
                sent, seconds, size = one_run(Path(folder), args.recipients, args.attach)
            rates.append(sent / seconds)
            print(
                f"{sent} messages of {size / 1024:.0f} KB in {seconds:.1f} s: "
                f"{sent / seconds:.0f} messages/s (server in the same process)"
            )
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"median of {len(rates)}: {statistics.median(rates):.0f} messages/s")
    print(f"peak memory (max RSS of the process): {peak:.0f} MB")


if __name__ == "__main__":
    main()

"""Send an issue to N fictional subscribers of the store through a loopback aiosmtpd server.

The subscribers are imported into a fresh store first (not timed); then the send is timed.
Prints messages per second and the process's peak memory; with --repeat, each run's figures
and the median. Run: .venv/bin/python benchmarks/send.py [--recipients 10000] [--repeat 3]
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


def main() -> None:
    """Run the benchmark and print its figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--recipients", type=int, default=10_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--attach", action="store_true", help="attach the PDF (default: link)")
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
            with tempfile.TemporaryDirectory() as folder:
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

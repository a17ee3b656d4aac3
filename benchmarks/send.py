"""Send an issue to N fictional subscribers through a loopback aiosmtpd server.

Prints messages per second and the sending process's peak memory.
Run: .venv/bin/python benchmarks/send.py [--recipients 10000] [--attach]
"""

from __future__ import annotations

import argparse
import os
import resource
import shutil
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))

from smtp_server import SmtpServer  # noqa: E402

from newsletter.commands import send as sending  # noqa: E402


def main() -> None:
    """Run the benchmark and print its figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--recipients", type=int, default=10_000)
    parser.add_argument("--attach", action="store_true", help="attach the PDF (default: link)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder, SmtpServer() as server:
        content = Path(folder, "content")
        shutil.copytree(ROOT / "content", content)
        if not args.attach:
            settings = content / "newsletter.yaml"
            text = settings.read_text(encoding="utf-8")
            settings.write_text(text.replace("date_formats:", "email:\n  pdf: link\ndate_formats:"))
        csv = Path(folder, "subscribers.csv")
        rows = "".join(f"reader{i}@example.org,Reader {i}\n" for i in range(args.recipients))
        csv.write_text("email,name\n" + rows, encoding="utf-8")
        os.environ.update(
            NEWSLETTER_SMTP_HOST="127.0.0.1",
            NEWSLETTER_SMTP_PORT=str(server.port),
            NEWSLETTER_UNSUBSCRIBE_SECRET="benchmark-secret-0123456789",
        )
        plan = sending.plan(content, "328", csv, Path(folder, "state"))
        plan.message = sending.render_message(plan)
        started = time.perf_counter()
        result = sending.deliver(plan)
        seconds = time.perf_counter() - started
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        size = len(plan.message) / 1024
        print(
            f"{result.sent} messages of {size:.0f} KB in {seconds:.1f} s: "
            f"{result.sent / seconds:.0f} messages/s (server in the same process)"
        )
        print(f"peak memory (max RSS of the process): {peak:.0f} MB")


if __name__ == "__main__":
    main()

"""One-click unsubscribes per second, p50 and p99 latency against the list service on loopback.

The service runs as `newsletter subscribers serve` (uvicorn) on a SQLite store, and on
PostgreSQL too when NEWSLETTER_TEST_DATABASE_URL is set (scripts/with-postgres.sh). The client
runs in its own process: 20 keep-alive connections post RFC 8058 one-click requests with genuine
signed URLs for distinct addresses. The CPU time of the service and of the client is shown,
since both share the machine's cores. Prints the medians of 3 runs for each store.
Run: .venv/bin/python benchmarks/unsubscribe.py [--requests 2000] [--clients 20] [--runs 3]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import resource
import secrets
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import urlsplit

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))

from service_helpers import (  # noqa: E402
    SECRET,
    CertificateAuthority,
    KeepingSmtp,
    Service,
    configure,
    free_port,
    service_env,
)

from newsletter.send.tokens import unsubscribe_url  # noqa: E402
from newsletter.subscribers.store import Store  # noqa: E402

TEST_URL = "NEWSLETTER_TEST_DATABASE_URL"


async def _post_all(urls: list[str], clients: int) -> tuple[float, list[float]]:
    """Post every URL over ``clients`` keep-alive connections: (elapsed s, latencies s).

    A minimal HTTP/1.1 client on asyncio streams, like wrk: httpx spent more CPU per request
    (3.3 ms) than the service did, and the two share the machine's cores.
    """
    queue: asyncio.Queue[str] = asyncio.Queue()
    for url in urls:
        queue.put_nowait(url)
    latencies: list[float] = []
    body = b"List-Unsubscribe=One-Click"
    first = urlsplit(urls[0])

    async def worker() -> None:
        reader, writer = await asyncio.open_connection(first.hostname, first.port)
        try:
            while not queue.empty():
                parts = urlsplit(queue.get_nowait())
                request = (
                    f"POST {parts.path}?{parts.query} HTTP/1.1\r\nHost: {parts.netloc}\r\n"
                    "Content-Type: application/x-www-form-urlencoded\r\n"
                    f"Content-Length: {len(body)}\r\n\r\n"
                ).encode("ascii")
                started = time.perf_counter()
                writer.write(request + body)
                head = await reader.readuntil(b"\r\n\r\n")
                length = 0
                for line in head.split(b"\r\n")[1:]:
                    name, _, value = line.partition(b":")
                    if name.strip().lower() == b"content-length":
                        length = int(value)
                answer = await reader.readexactly(length)
                latencies.append(time.perf_counter() - started)
                if not head.startswith(b"HTTP/1.1 200 "):
                    raise RuntimeError(f"{head.splitlines()[0]!r}: {answer!r}")
        finally:
            writer.close()

    started = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(clients)))
    return time.perf_counter() - started, latencies


def client_main(url_file: str, clients: int) -> None:
    """The client process: post the URLs in the file, print figures as JSON."""
    urls = Path(url_file).read_text(encoding="utf-8").split()
    before = resource.getrusage(resource.RUSAGE_SELF)  # not the imports
    elapsed, latencies = asyncio.run(_post_all(urls, clients))
    after = resource.getrusage(resource.RUSAGE_SELF)
    cpu = after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime
    latencies.sort()
    print(
        json.dumps(
            {
                "rate": len(urls) / elapsed,
                "p50": latencies[len(latencies) // 2] * 1000,
                "p99": latencies[min(len(latencies) - 1, int(len(latencies) * 0.99))] * 1000,
                "elapsed": elapsed,
                "cpu": cpu,
            }
        )
    )


def _cpu_seconds(pid: int) -> float:
    """User and system CPU time of a process so far."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def bench(work: Path, url: str | None, args: argparse.Namespace) -> dict[str, float]:
    """Serve one store and run the client ``args.runs`` times; the medians."""
    content = work / "content"
    if not content.exists():
        shutil.copytree(ROOT / "content", content)
        (content / "sns-test.pem").write_bytes(CertificateAuthority().pem())
    port = free_port()
    configure_once(content, port)
    state = work / ("state-pg" if url else "state-sqlite")
    tag = secrets.token_hex(4)  # a PostgreSQL database may hold addresses of earlier runs
    runs: list[dict[str, float]] = []
    with KeepingSmtp() as smtp:
        env = service_env(smtp.port)
        if url:
            env["NEWSLETTER_DATABASE_URL"] = url
        service = Service(content, state, port, env)
        try:
            for run in range(args.runs):
                addresses = [f"r{tag}-{run}-{i}@example.org" for i in range(args.requests)]
                with Store.open(state, url) as store:
                    store.subscribe_many([(a, "") for a in addresses], "import")
                url_file = work / "urls.txt"
                base = service.url + "/unsubscribe"
                url_file.write_text(
                    "\n".join(unsubscribe_url(base, SECRET, a) for a in addresses),
                    encoding="utf-8",
                )
                server_before = _cpu_seconds(service.process.pid)
                done = subprocess.run(
                    [sys.executable, __file__, "--client", str(url_file), str(args.clients)],
                    check=True,
                    capture_output=True,
                    text=True,
                    timeout=600,
                )
                figures = json.loads(done.stdout)
                server_cpu = _cpu_seconds(service.process.pid) - server_before
                figures["server_cpu"] = server_cpu / figures["elapsed"]
                figures["client_cpu"] = figures["cpu"] / figures["elapsed"]
                runs.append(figures)
                print(
                    f"  run {run + 1}: {figures['rate']:.0f}/s, p50 {figures['p50']:.1f} ms, "
                    f"p99 {figures['p99']:.1f} ms; CPU: service {figures['server_cpu']:.0%} "
                    f"of a core, client {figures['client_cpu']:.0%}",
                    flush=True,
                )
                with Store.open(state, url) as store:
                    still = [a for a in addresses if store.status(a) != "unsubscribed"]
                if still:
                    raise RuntimeError(f"{len(still)} answered 200 but are not unsubscribed")
        finally:
            service.stop()
    keys = ("rate", "p50", "p99", "server_cpu", "client_cpu")
    return {key: statistics.median(r[key] for r in runs) for key in keys}


_configured: set[Path] = set()


def configure_once(content: Path, port: int) -> None:
    """Write the subscriptions block for this port (replacing an earlier one)."""
    settings = content / "newsletter.yaml"
    if content in _configured:
        text = settings.read_text(encoding="utf-8")
        settings.write_text(text[: text.index("subscriptions:")], encoding="utf-8")
    configure(content, port)
    _configured.add(content)


def main() -> None:
    """Run the benchmark and print its figures."""
    if len(sys.argv) == 4 and sys.argv[1] == "--client":
        client_main(sys.argv[2], int(sys.argv[3]))
        return
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=2000)
    parser.add_argument("--clients", type=int, default=20)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    stores = [("SQLite", None)]
    if os.environ.get(TEST_URL):
        stores.append(("PostgreSQL", os.environ[TEST_URL]))
    work = Path(tempfile.mkdtemp(prefix="unsubscribe-bench-"))
    try:
        for name, url in stores:
            print(f"{name}:", flush=True)
            m = bench(work, url, args)
            print(
                f"{name}, median of {args.runs}: {m['rate']:.0f} one-click unsubscribes/s, "
                f"p50 {m['p50']:.1f} ms, p99 {m['p99']:.1f} ms ({args.requests} requests, "
                f"{args.clients} clients; CPU: service {m['server_cpu']:.0%} of a core, "
                f"client {m['client_cpu']:.0%})",
                flush=True,
            )
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()

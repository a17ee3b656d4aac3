"""One-click unsubscribes per second and p99 latency against the list service on loopback.

The service runs as `newsletter subscribers serve` (uvicorn, SQLite store); 20 async httpx
clients post RFC 8058 one-click requests with genuine signed URLs for distinct addresses.
Prints the medians of 3 runs.
Run: .venv/bin/python benchmarks/unsubscribe.py [--requests 2000] [--clients 20]
"""

from __future__ import annotations

import argparse
import asyncio
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))

import httpx  # noqa: E402
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


async def _run(urls: list[str], clients: int) -> tuple[float, float]:
    """Post every URL with ``clients`` concurrent clients; return (per second, p99 ms)."""
    queue: asyncio.Queue[str] = asyncio.Queue()
    for url in urls:
        queue.put_nowait(url)
    latencies: list[float] = []
    body = b"List-Unsubscribe=One-Click"
    headers = {"Content-Type": "application/x-www-form-urlencoded"}

    async def worker(client: httpx.AsyncClient) -> None:
        while not queue.empty():
            url = queue.get_nowait()
            started = time.perf_counter()
            response = await client.post(url, content=body, headers=headers)
            latencies.append(time.perf_counter() - started)
            if response.status_code != 200:
                raise RuntimeError(f"{response.status_code}: {response.text}")

    limits = httpx.Limits(max_connections=clients)
    async with httpx.AsyncClient(limits=limits, timeout=30) as client:
        started = time.perf_counter()
        await asyncio.gather(*(worker(client) for _ in range(clients)))
        elapsed = time.perf_counter() - started
    latencies.sort()
    p99 = latencies[min(len(latencies) - 1, int(len(latencies) * 0.99))]
    return len(urls) / elapsed, p99 * 1000


def main() -> None:
    """Run the benchmark and print its figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=2000)
    parser.add_argument("--clients", type=int, default=20)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="unsubscribe-bench-"))
    try:
        content = work / "content"
        shutil.copytree(ROOT / "content", content)
        (content / "sns-test.pem").write_bytes(CertificateAuthority().pem())
        port = free_port()
        configure(content, port)
        state = work / "state"
        rates, p99s = [], []
        with KeepingSmtp() as smtp:
            service = Service(content, state, port, service_env(smtp.port))
            try:
                for run in range(args.runs):
                    addresses = [f"r{run}-{i}@example.org" for i in range(args.requests)]
                    with Store.open(state) as store:
                        for address in addresses:
                            store.subscribe(address, "", "import")
                    base = service.url + "/unsubscribe"
                    urls = [unsubscribe_url(base, SECRET, a) for a in addresses]
                    rate, p99 = asyncio.run(_run(urls, args.clients))
                    rates.append(rate)
                    p99s.append(p99)
                    print(f"run {run + 1}: {rate:.0f} unsubscribes/s, p99 {p99:.1f} ms")
            finally:
                service.stop()
        print(
            f"median of {args.runs}: {statistics.median(rates):.0f} one-click unsubscribes/s, "
            f"p99 {statistics.median(p99s):.1f} ms ({args.requests} requests, "
            f"{args.clients} clients, SQLite)"
        )
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()

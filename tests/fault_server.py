"""A small hand-rolled SMTP server on loopback for the faults aiosmtpd cannot fake.

It can refuse at the greeting, answer 421 to every RCPT, take a whole message and then hang
up or never answer, and offer SMTPUTF8 or not. It records every message it received in full
(terminated by the final ".") as (recipient, Message-ID), whatever it answered.
"""

from __future__ import annotations

import re
import socket
import threading
from collections import Counter
from dataclasses import dataclass, field

_MESSAGE_ID = re.compile(rb"^Message-ID:\s*(<[^>]+>)", re.MULTILINE | re.IGNORECASE)


@dataclass
class Behaviour:
    """What the server does; ``after_data``: "250", "drop" (hang up) or "silent"."""

    greeting: str = "220 fault.test ready"
    rcpt: str = "250 OK"
    after_data: str = "250"
    smtputf8: bool = False


@dataclass
class FaultServer:
    """A threaded server on a free loopback port; use as a context manager."""

    behaviour: Behaviour = field(default_factory=Behaviour)
    copies: list[tuple[str, str]] = field(default_factory=list)
    connections: int = 0

    def __post_init__(self) -> None:
        self.sock = socket.create_server(("127.0.0.1", 0))
        self.sock.settimeout(0.2)
        self.port = int(self.sock.getsockname()[1])
        self._stop = threading.Event()
        self._lock = threading.Lock()
        self._thread = threading.Thread(target=self._serve, daemon=True)

    def __enter__(self) -> FaultServer:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join(5)
        self.sock.close()

    def copies_by_recipient(self) -> Counter[str]:
        """How many complete messages each recipient was sent."""
        with self._lock:
            return Counter(rcpt for rcpt, _ in self.copies)

    def ids_by_recipient(self) -> dict[str, set[str]]:
        """Every recipient's distinct Message-IDs."""
        found: dict[str, set[str]] = {}
        with self._lock:
            for rcpt, mid in self.copies:
                found.setdefault(rcpt, set()).add(mid)
        return found

    def _serve(self) -> None:
        while not self._stop.is_set():
            try:
                conn, _ = self.sock.accept()
            except TimeoutError:
                continue
            with self._lock:
                self.connections += 1
            threading.Thread(target=self._session, args=(conn,), daemon=True).start()

    def _session(self, conn: socket.socket) -> None:
        conn.settimeout(30)
        reader = conn.makefile("rb")
        b = self.behaviour

        def say(line: str) -> None:
            conn.sendall(line.encode("utf-8") + b"\r\n")

        try:
            say(b.greeting)
            if not b.greeting.startswith("220"):
                return
            rcpts: list[str] = []
            while not self._stop.is_set():
                line = reader.readline()
                if not line:
                    return
                verb = line[:4].upper()
                if verb == b"EHLO":
                    say("250-fault.test" + ("\r\n250-SMTPUTF8" if b.smtputf8 else ""))
                    say("250 8BITMIME")
                elif verb == b"HELO":
                    say("250 fault.test")
                elif verb == b"MAIL":
                    rcpts = []
                    say("250 OK")
                elif verb == b"RCPT":
                    say(b.rcpt)
                    if b.rcpt.startswith("421"):
                        return
                    address = line.decode("utf-8").split(":", 1)[1].strip()
                    rcpts.append(address.split(">")[0].lstrip("<"))
                elif verb == b"DATA":
                    say("354 go ahead")
                    body = []
                    while (chunk := reader.readline()) not in (b".\r\n", b""):
                        body.append(chunk)
                    head = b"".join(body).split(b"\r\n\r\n", 1)[0]
                    found = _MESSAGE_ID.search(head)
                    with self._lock:
                        for rcpt in rcpts:
                            self.copies.append((rcpt, found[1].decode() if found else ""))
                    if b.after_data == "drop":
                        return
                    if b.after_data == "silent":
                        while not self._stop.is_set() and reader.readline():
                            pass  # never answer; wait for the client to give up
                        return
                    say(b.after_data + " accepted")
                elif verb == b"QUIT":
                    say("221 bye")
                    return
                else:
                    say("250 OK")
        except OSError:
            pass
        finally:
            reader.close()
            conn.close()

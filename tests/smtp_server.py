"""A real SMTP server on loopback (aiosmtpd) that records what it receives and can misbehave."""

from __future__ import annotations

import re
import socket
import threading
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from aiosmtpd.controller import Controller

_MESSAGE_ID = re.compile(rb"^Message-ID:\s*(<[^>]+>)", re.MULTILINE | re.IGNORECASE)


@dataclass
class Mailbox:
    """What the server holds: (recipient, Message-ID) per delivered copy."""

    copies: list[tuple[str, str]] = field(default_factory=list)
    temporary: dict[str, int] = field(default_factory=dict)  # address -> 451s still to give
    permanent: set[str] = field(default_factory=set)  # addresses answered 550
    drop_at: set[int] = field(default_factory=set)  # DATA numbers at which to hang up
    datas: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)

    def ids_by_recipient(self) -> dict[str, set[str]]:
        """Every recipient's distinct Message-IDs."""
        found: dict[str, set[str]] = {}
        for rcpt, mid in self.copies:
            found.setdefault(rcpt, set()).add(mid)
        return found

    def copies_by_recipient(self) -> Counter[str]:
        """How many copies each recipient holds."""
        return Counter(rcpt for rcpt, _ in self.copies)


class Handler:
    """aiosmtpd handler storing messages in a Mailbox."""

    def __init__(self, box: Mailbox) -> None:
        self.box = box

    async def handle_RCPT(
        self, server: Any, session: Any, envelope: Any, address: str, options: Any
    ) -> str:
        with self.box.lock:
            if address in self.box.permanent:
                return "550 5.1.1 No such user"
            if self.box.temporary.get(address, 0) > 0:
                self.box.temporary[address] -= 1
                return "451 4.7.1 Try again later"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        with self.box.lock:
            self.box.datas += 1
            if self.box.datas in self.box.drop_at:
                server.transport.close()  # hang up before answering: nothing is accepted
                return "421 closing"
            # Only the header block is read: parsing whole messages would slow the server down.
            head = envelope.content.split(b"\r\n\r\n", 1)[0]
            found = _MESSAGE_ID.search(head)
            message_id = found[1].decode("ascii") if found else ""
            for rcpt in envelope.rcpt_tos:
                self.box.copies.append((rcpt, message_id))
        return "250 Message accepted"


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class SmtpServer:
    """Start and stop the server on a free loopback port."""

    def __init__(self) -> None:
        self.box = Mailbox()
        self.port = _free_port()
        self.controller = Controller(Handler(self.box), hostname="127.0.0.1", port=self.port)

    def __enter__(self) -> SmtpServer:
        self.controller.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.controller.stop()

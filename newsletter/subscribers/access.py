"""One log line per request, with the client as a keyed hash: no address is logged in clear."""

from __future__ import annotations

import hashlib
import hmac
import logging
import time
from typing import Any

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from newsletter.subscribers.proxies import Network, client_ip

log = logging.getLogger("newsletter.subscribers.access")


def pseudonym(secret: str, value: str) -> str:
    """A short keyed hash of an address (IP or email): the same value, the same tag."""
    digest = hmac.new(secret.encode(), value.lower().encode(), hashlib.sha256).hexdigest()
    return digest[:12]


class AccessLog:
    """ASGI middleware: find the client (trusted proxies only), log method, path, status, time."""

    def __init__(self, app: ASGIApp, secret: str, proxies: tuple[Network, ...]) -> None:
        self.app = app
        self.secret = secret
        self.proxies = proxies

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        peer = scope["client"][0] if scope.get("client") else None
        forwarded = None
        for name, value in scope["headers"]:
            if name == b"x-forwarded-for":
                # Several headers count as one list, in order (RFC 9110 5.3).
                text = value.decode("latin-1")
                forwarded = f"{forwarded}, {text}" if forwarded else text
        client = client_ip(peer, forwarded, self.proxies)
        scope.setdefault("state", {})["client"] = client
        started = time.perf_counter()
        status: dict[str, Any] = {"code": 500}

        async def sending(message: Message) -> None:
            if message["type"] == "http.response.start":
                status["code"] = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, sending)
        finally:
            # The path only: the query holds addresses and tokens.
            log.info(
                "%s %s %d %.1fms client=%s",
                scope["method"],
                scope["path"],
                status["code"],
                (time.perf_counter() - started) * 1000,
                pseudonym(self.secret, client),
            )

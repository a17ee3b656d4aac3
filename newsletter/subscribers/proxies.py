"""Who the client is: the peer, or what a trusted reverse proxy says it forwarded for."""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable

Network = ipaddress.IPv4Network | ipaddress.IPv6Network


def networks(values: Iterable[str]) -> tuple[Network, ...]:
    """Parse IPs and CIDRs (already validated by the settings model)."""
    return tuple(ipaddress.ip_network(v, strict=False) for v in values)


def _trusted(host: str, trusted: tuple[Network, ...]) -> bool:
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return False
    return any(address in net for net in trusted)


def client_ip(peer: str | None, forwarded_for: str | None, trusted: tuple[Network, ...]) -> str:
    """The client's address: X-Forwarded-For is read only when the peer is a trusted proxy.

    The header is walked from the right: each trusted proxy appends the address it saw, so the
    first untrusted hop is the client; anything to its left was written by the client itself.
    """
    if peer is None:
        return "unknown"
    if not forwarded_for or not _trusted(peer, trusted):
        return peer
    hops = [hop.strip() for hop in forwarded_for.split(",") if hop.strip()]
    for hop in reversed(hops):
        if not _trusted(hop, trusted):
            return hop
    return hops[0] if hops else peer

"""Telling a call that came through the edge (Envoy) from one that reached a service directly.

Envoy sets the client's address in a header, overwriting whatever the client sent
(envoy/envoy.yaml.tmpl: use_remote_address + xff_num_trusted_hops). A service believes that
header only when its TCP peer is the edge: a service port is reachable only from loopback
(locally) or the private network (compose, Kubernetes), never from a client directly.
"""

from __future__ import annotations

import ipaddress

CLIENT_ADDRESS_HEADER = "x-speechflow-client-address"

IpAddress = ipaddress.IPv4Address | ipaddress.IPv6Address


def peer_host(peer: str) -> str:
    """gRPC's `ipv4:127.0.0.1:5000` / `ipv6:[::1]:5000` -> the address without the port;
    any other kind of peer (a Unix socket) as it is."""
    kind, _, rest = peer.partition(":")
    if kind not in ("ipv4", "ipv6"):
        return peer
    return rest.rsplit(":", 1)[0].strip("[]")


def parse_ip(text: str) -> IpAddress | None:
    """The IP address written in `text` (surrounding blanks allowed), None if it is not one."""
    try:
        return ipaddress.ip_address(text.strip())
    except ValueError:
        return None


def is_edge_peer(host: str) -> bool:
    """Whether a peer address is one only the edge can call from (loopback or private)."""
    address = parse_ip(host)
    return address is not None and (address.is_loopback or address.is_private)

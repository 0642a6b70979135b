"""SSRF guard: refuse URLs whose scheme or resolved addresses are not public.

Every address a host name resolves to is checked (an attacker-controlled DNS name
may return one public and one private address). The fetcher connects to the very
addresses checked here (see :func:`resolve_url`), so a DNS answer that changes
between the check and the connection (DNS rebinding) cannot redirect a request.
"""

from __future__ import annotations

import ipaddress
import socket
from concurrent.futures import ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout
from dataclasses import dataclass
from typing import Iterable
from urllib.parse import urlsplit

from newsingest.errors import HostResolutionError, UnsafeURLError

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address

ALLOWED_SCHEMES = frozenset({"http", "https"})

# Never contacted, not even with allow_private: cloud metadata endpoints.
ALWAYS_BLOCKED: tuple[tuple[str, str], ...] = (
    ("169.254.169.254/32", "cloud metadata address"),
    ("169.254.170.2/32", "cloud (ECS) metadata address"),
    ("100.100.100.200/32", "cloud (Alibaba) metadata address"),
    ("fd00:ec2::254/128", "cloud metadata address"),
    ("0.0.0.0/8", "unspecified/'this network' address"),
    ("::/128", "unspecified address"),
    ("224.0.0.0/4", "multicast address"),
    ("ff00::/8", "multicast address"),
    ("255.255.255.255/32", "broadcast address"),
)

# Refused unless allow_private (or an explicit allow_networks entry) permits them.
# Order matters only for the reason reported: the first match names the address.
NON_PUBLIC: tuple[tuple[str, str], ...] = (
    ("127.0.0.0/8", "loopback address"),
    ("::1/128", "loopback address"),
    ("10.0.0.0/8", "private address"),
    ("172.16.0.0/12", "private address"),
    ("192.168.0.0/16", "private address"),
    ("100.64.0.0/10", "carrier-grade NAT address"),
    ("169.254.0.0/16", "link-local address"),
    ("fe80::/10", "link-local address"),
    ("fc00::/7", "unique-local (private) address"),
    ("fec0::/10", "site-local address"),
    ("192.0.0.0/24", "IETF protocol assignment address"),
    ("192.0.2.0/24", "documentation address"),
    ("198.18.0.0/15", "benchmarking address"),
    ("198.51.100.0/24", "documentation address"),
    ("203.0.113.0/24", "documentation address"),
    ("240.0.0.0/4", "reserved address"),
    ("2001:db8::/32", "documentation address"),
    ("100::/64", "discard-only address"),
    ("2001::/23", "IETF protocol assignment address"),
)

_ALWAYS = tuple((ipaddress.ip_network(n), why) for n, why in ALWAYS_BLOCKED)
_NON_PUBLIC = tuple((ipaddress.ip_network(n), why) for n, why in NON_PUBLIC)


@dataclass(frozen=True)
class Target:
    """A checked URL: where to connect and what to say in Host/SNI."""

    url: str
    scheme: str
    host: str            # host name as in the URL (lower case, no brackets)
    port: int
    addresses: tuple[str, ...]   # every resolved address, all checked

    @property
    def host_key(self) -> tuple[str, int]:
        """The politeness key: one 'host' is a host name plus port."""
        return (self.host, self.port)


def _embedded_ipv4(ip: ipaddress.IPv6Address) -> ipaddress.IPv4Address | None:
    """IPv4 address carried inside an IPv6 one (mapped, compatible, NAT64, 6to4)."""
    if ip.ipv4_mapped is not None:
        return ip.ipv4_mapped
    if ip.sixtofour is not None:
        return ip.sixtofour
    if ip in ipaddress.ip_network("64:ff9b::/96") or ip in ipaddress.ip_network("::/96"):
        packed = ip.packed[-4:]
        if ip != ipaddress.IPv6Address("::") and ip != ipaddress.IPv6Address("::1"):
            return ipaddress.IPv4Address(packed)
    if ip.teredo is not None:
        return ip.teredo[1]
    return None


def address_problem(ip: IPAddress | str, allow_private: bool,
                    allow_networks: Iterable[str] = ()) -> str | None:
    """Why ``ip`` must not be contacted, or None when it may."""
    ip = ipaddress.ip_address(str(ip).split("%", 1)[0])
    if isinstance(ip, ipaddress.IPv6Address):
        inner = _embedded_ipv4(ip)
        if inner is not None:
            why = address_problem(inner, allow_private, allow_networks)
            return f"{why} (embedded in IPv6 {ip})" if why else None
    for net, why in _ALWAYS:
        if ip.version == net.version and ip in net:
            return why
    for raw in allow_networks:
        net = ipaddress.ip_network(raw, strict=False)
        if ip.version == net.version and ip in net:
            return None
    if allow_private:
        return None
    for net, why in _NON_PUBLIC:
        if ip.version == net.version and ip in net:
            return why
    if not ip.is_global or ip.is_reserved or ip.is_multicast:
        return "non-public (reserved) address"
    return None


def split_url(url: str) -> tuple[str, str, int]:
    """(scheme, host, port) of ``url``; UnsafeURLError for an unusable URL."""
    if not isinstance(url, str) or not url.strip():
        raise UnsafeURLError(f"refused URL {url!r}: empty URL")
    if any(c in url for c in "\r\n\t\x00 "):
        raise UnsafeURLError(f"refused URL {url!r}: contains whitespace or control characters")
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError as exc:
        raise UnsafeURLError(f"refused URL {url!r}: malformed ({exc})") from None
    scheme = parts.scheme.lower()
    if scheme not in ALLOWED_SCHEMES:
        raise UnsafeURLError(f"refused URL {url!r}: scheme {scheme or '(none)'!r} is not "
                             "http or https")
    host = (parts.hostname or "").rstrip(".").lower()
    if not host:
        raise UnsafeURLError(f"refused URL {url!r}: no host")
    return scheme, host, port or (443 if scheme == "https" else 80)


_DNS_POOL = ThreadPoolExecutor(max_workers=16, thread_name_prefix="newsingest-dns")


def resolve(host: str, port: int, timeout: float | None = None) -> tuple[str, ...]:
    """Every address ``host`` resolves to (literal addresses resolve to themselves).

    With ``timeout``, a lookup that takes longer fails (the system resolver itself cannot be
    interrupted; its thread finishes in the background).
    """
    try:
        return (str(ipaddress.ip_address(host)),)
    except ValueError:
        pass
    try:
        if timeout is None:
            infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
        else:
            future = _DNS_POOL.submit(socket.getaddrinfo, host, port, type=socket.SOCK_STREAM)
            infos = future.result(timeout=max(0.001, timeout))
    except FutureTimeout:
        raise HostResolutionError(f"cannot resolve host {host!r}: DNS lookup took longer "
                                  f"than {timeout:.1f}s", kind="dns") from None
    except (socket.gaierror, UnicodeError, OSError) as exc:
        raise HostResolutionError(f"cannot resolve host {host!r}: {exc}", kind="dns") from None
    addresses = tuple(dict.fromkeys(str(info[4][0]).split("%", 1)[0] for info in infos))
    if not addresses:
        raise HostResolutionError(f"host {host!r} resolved to no address", kind="dns")
    return addresses


def resolve_url(url: str, allow_private: bool, allow_networks: Iterable[str] = (),
                timeout: float | None = None) -> Target:
    """Check ``url`` and return where to connect; raise UnsafeURLError if refused.

    Raises HostResolutionError (a FetchError, kind "dns") when the name does not resolve
    (within ``timeout`` seconds, if given).
    """
    scheme, host, port = split_url(url)
    allow_networks = tuple(allow_networks)
    addresses = resolve(host, port, timeout)
    for addr in addresses:
        why = address_problem(addr, allow_private, allow_networks)
        if why:
            shown = host if host == addr else f"{host} -> {addr}"
            raise UnsafeURLError(f"refused URL {url!r}: {shown} is a {why}")
    return Target(url, scheme, host, port, addresses)


def check_url(url: str, allow_private: bool, *, allow_networks: Iterable[str] = ()) -> None:
    """Raise UnsafeURLError naming ``url`` and why, unless it is safe to fetch.

    Only http/https; the host is resolved and EVERY address must be public, unless
    ``allow_private`` (loopback/private/link-local allowed; metadata, multicast and
    unspecified addresses never are) or it lies in one of ``allow_networks`` (CIDRs).
    A name that does not resolve raises HostResolutionError (kind "dns").
    """
    resolve_url(url, allow_private, allow_networks)

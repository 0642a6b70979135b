"""check_url: schemes, every resolved address, private ranges, metadata, IPv6 forms."""

from __future__ import annotations

import re
import socket

import pytest

from newsingest.errors import FetchError, HostResolutionError, UnsafeURLError
from newsingest.netguard import address_problem, check_url, resolve_url


def fake_dns(monkeypatch: pytest.MonkeyPatch, answers: dict[str, list[str]]) -> None:
    def getaddrinfo(host, port, *args, **kwargs):  # noqa: ANN001 - socket signature
        if host not in answers:
            raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")
        out = []
        for addr in answers[host]:
            fam = socket.AF_INET6 if ":" in addr else socket.AF_INET
            sockaddr = (addr, port, 0, 0) if fam == socket.AF_INET6 else (addr, port)
            out.append((fam, socket.SOCK_STREAM, 6, "", sockaddr))
        return out
    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)


@pytest.mark.parametrize("url, reason", [
    ("ftp://example.com/feed", "scheme 'ftp'"),
    ("file:///etc/passwd", "scheme 'file'"),
    ("javascript:alert(1)", "scheme 'javascript'"),
    ("gopher://127.0.0.1:25/", "scheme 'gopher'"),
    ("//example.com/x", "scheme '(none)'"),
    ("http:///nohost", "no host"),
    ("", "empty URL"),
    ("http://exa mple.com/", "whitespace"),
    ("http://example.com:99999/", "malformed"),
])
def test_bad_urls_are_refused(url: str, reason: str) -> None:
    with pytest.raises(UnsafeURLError, match=re.escape(reason)) as info:
        check_url(url, allow_private=False)
    assert repr(url) in str(info.value)


@pytest.mark.parametrize("url, reason", [
    ("http://127.0.0.1/", "loopback"),
    ("http://127.1.2.3:8080/", "loopback"),
    ("http://[::1]/", "loopback"),
    ("http://10.0.0.1/", "private"),
    ("http://172.16.5.4/", "private"),
    ("http://192.168.1.1/", "private"),
    ("http://100.64.0.1/", "carrier-grade NAT"),
    ("http://169.254.169.254/latest/meta-data/", "metadata"),
    ("http://169.254.1.1/", "link-local"),
    ("http://[fe80::1]/", "link-local"),
    ("http://[fd12:3456::1]/", "unique-local"),
    ("http://[::ffff:127.0.0.1]/", "loopback"),
    ("http://[::ffff:169.254.169.254]/", "metadata"),
    ("http://[64:ff9b::a9fe:a9fe]/", "metadata"),      # NAT64 of 169.254.169.254
    ("http://[2002:0a00:0001::1]/", "private"),        # 6to4 of 10.0.0.1
    ("http://0.0.0.0/", "unspecified"),
    ("http://224.0.0.1/", "multicast"),
    ("http://240.0.0.1/", "reserved"),
    ("http://192.0.2.10/", "documentation"),
    ("http://2130706433/", "loopback"),                # decimal 127.0.0.1
    ("http://0x7f000001/", "loopback"),                # hex 127.0.0.1
    ("http://[fd00:ec2::254]/", "metadata"),
])
def test_non_public_addresses_are_refused(url: str, reason: str) -> None:
    with pytest.raises(UnsafeURLError, match=reason) as info:
        check_url(url, allow_private=False)
    assert url in str(info.value)


def test_public_addresses_pass() -> None:
    check_url("http://93.184.215.14/feed", allow_private=False)
    check_url("https://[2606:4700:4700::1111]/", allow_private=False)


def test_every_resolved_address_is_checked(monkeypatch: pytest.MonkeyPatch) -> None:
    fake_dns(monkeypatch, {"mixed.example": ["93.184.215.14", "10.1.2.3"],
                           "public.example": ["93.184.215.14", "2606:4700::1"],
                           "rebind.example": ["169.254.169.254"]})
    target = resolve_url("https://public.example/x", allow_private=False)
    assert target.addresses == ("93.184.215.14", "2606:4700::1")
    with pytest.raises(UnsafeURLError, match=r"mixed\.example -> 10\.1\.2\.3 is a private"):
        check_url("http://mixed.example/feed", allow_private=False)
    with pytest.raises(UnsafeURLError, match="metadata"):
        check_url("http://rebind.example/", allow_private=True)


def test_localhost_name_is_loopback() -> None:
    with pytest.raises(UnsafeURLError, match="loopback"):
        check_url("http://localhost:8080/feed", allow_private=False)


def test_allow_private_permits_private_but_never_metadata() -> None:
    check_url("http://127.0.0.1:8080/", allow_private=True)
    check_url("http://10.0.0.1/", allow_private=True)
    check_url("http://[::1]/", allow_private=True)
    for url in ("http://169.254.169.254/", "http://0.0.0.0/", "http://224.0.0.1/"):
        with pytest.raises(UnsafeURLError):
            check_url(url, allow_private=True)


def test_allow_networks_is_narrower_than_allow_private() -> None:
    check_url("http://127.0.0.1:1/", allow_private=False, allow_networks=("127.0.0.0/8",))
    with pytest.raises(UnsafeURLError, match="private"):
        check_url("http://10.0.0.1/", allow_private=False, allow_networks=("127.0.0.0/8",))
    with pytest.raises(UnsafeURLError, match="metadata"):
        check_url("http://169.254.169.254/", allow_private=False,
                  allow_networks=("169.254.0.0/16",))


def test_unresolvable_host_is_a_dns_error(monkeypatch: pytest.MonkeyPatch) -> None:
    fake_dns(monkeypatch, {})
    with pytest.raises(HostResolutionError, match="nonexistent.example") as info:
        check_url("http://nonexistent.example/", allow_private=False)
    assert isinstance(info.value, FetchError) and info.value.kind == "dns"


def test_address_problem_table() -> None:
    assert address_problem("8.8.8.8", False) is None
    assert address_problem("127.0.0.1", True) is None
    assert "loopback" in (address_problem("127.0.0.1", False) or "")
    assert "metadata" in (address_problem("169.254.169.254", True) or "")


def test_slow_dns_is_cut_by_the_timeout(monkeypatch: pytest.MonkeyPatch) -> None:
    import time

    def slow(host, port, *args, **kwargs):  # noqa: ANN001
        time.sleep(1.0)
        return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", ("93.184.215.14", port))]
    monkeypatch.setattr(socket, "getaddrinfo", slow)
    started = time.monotonic()
    with pytest.raises(HostResolutionError, match="DNS lookup took longer than 0.2s"):
        resolve_url("http://slow.example/", allow_private=False, timeout=0.2)
    assert time.monotonic() - started < 0.6


# Teredo (2001:0::/32) carries the client's IPv4 address inverted in its last 32 bits.
TEREDO_METADATA = "2001:0:4136:e378:8000:63bf:5601:5601"    # client 169.254.169.254
TEREDO_LOOPBACK = "2001:0:4136:e378:8000:63bf:80ff:fffe"    # client 127.0.0.1


def test_teredo_address_carrying_metadata_is_refused_even_with_allow_private(
        monkeypatch: pytest.MonkeyPatch) -> None:
    why = address_problem(TEREDO_METADATA, True) or ""
    assert why == f"cloud metadata address (embedded in IPv6 {TEREDO_METADATA})"
    assert address_problem(TEREDO_METADATA, False) == why      # named for what it carries
    assert address_problem(TEREDO_LOOPBACK, False) == (
        f"loopback address (embedded in IPv6 {TEREDO_LOOPBACK})")
    fake_dns(monkeypatch, {"sneaky.example": [TEREDO_METADATA]})
    for url in (f"http://[{TEREDO_METADATA}]/latest/meta-data/", "http://sneaky.example/"):
        with pytest.raises(UnsafeURLError, match="cloud metadata address"):
            check_url(url, allow_private=True)

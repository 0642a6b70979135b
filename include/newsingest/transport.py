"""One HTTP exchange with a checked address: pinned connection, deadline, capped body.

The fetcher decides WHAT to request (redirects, retries, robots, politeness); this module
performs ONE request safely:

* the connection goes to the very address netguard checked (urllib3 pools keyed by IP;
  the Host header and TLS SNI/certificate check use the host name), so DNS rebinding
  between check and connect is impossible; environment proxies are never used;
* connect and read timeouts per socket operation, plus the TOTAL deadline: the socket
  timeout is lowered to the time left before every body read, and a watchdog timer shuts
  the socket down at the deadline (a server dribbling its headers is cut as well);
* the body is capped up front (Content-Length) and while streaming; content codings are
  decoded incrementally with a cap, so a decompression bomb stops at the cap.
"""

from __future__ import annotations

import email.utils
import socket
import threading
import time
from contextvars import ContextVar
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import TYPE_CHECKING, Any, Callable
from urllib.parse import urlsplit, urlunsplit

import urllib3
import urllib3.connection
from urllib3.exceptions import (
    ConnectTimeoutError,
    HTTPError,
    NewConnectionError,
    ProtocolError,
    ReadTimeoutError,
    SSLError,
)

from newsingest.compression import ACCEPT_ENCODING, BadEncoding, BodyTooLarge, StreamDecoder
from newsingest.netguard import Target

if TYPE_CHECKING:
    from newsingest.fetch import FetchPolicy

try:
    import certifi
    _CA_CERTS: str | None = certifi.where()
except ImportError:  # pragma: no cover
    _CA_CERTS = None

REDIRECT_STATUSES = frozenset({301, 302, 303, 307, 308})
ERROR_BODY_CAP = 64 * 1024            # bytes kept from an error or redirect response
READ_CHUNK = 64 * 1024
MAX_RETRY_AFTER = 7 * 24 * 3600.0     # a larger Retry-After is treated as this
BOMB_RATIO = 20                       # decoded/encoded ratio above which a cap hit is a "bomb"
DEADLINE_SLACK = 0.05                 # an error this close to the deadline is the deadline
DECODE_STEP = 4096                    # compressed bytes handed to the decoder at a time


@dataclass
class Exchange:
    """Result of one HTTP exchange (or of a refusal before it)."""

    status: int | None = None
    headers: dict[str, str] = field(default_factory=dict)
    body: bytes = b""
    error_kind: str | None = None
    error: str | None = None
    retry_after: float | None = None


def parse_retry_after(value: str | None, now: datetime | None = None) -> float | None:
    """Seconds to wait from a Retry-After header (delta-seconds or HTTP-date)."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return min(float(value), MAX_RETRY_AFTER)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    if when is None:
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=timezone.utc)
    delta = (when - (now or datetime.now(timezone.utc))).total_seconds()
    return min(max(0.0, delta), MAX_RETRY_AFTER)


# --- the total-deadline watchdog --------------------------------------------------------
# urllib3's read timeout bounds each socket read, not a whole response: a server that
# dribbles its status line and headers would hold a worker for hours. Connections made
# here report themselves when a request is sent; a timer shuts their socket down at the
# deadline, which ends any blocked read at once.
_ON_REQUEST: ContextVar[Callable[[object], None] | None] = ContextVar("_ON_REQUEST", default=None)


class _Watched:
    def request(self, *args: Any, **kwargs: Any) -> Any:
        hook = _ON_REQUEST.get()
        if hook is not None:
            hook(self)
        return super().request(*args, **kwargs)  # type: ignore[misc]


class _HTTPConnection(_Watched, urllib3.connection.HTTPConnection):
    pass


class _HTTPSConnection(_Watched, urllib3.connection.HTTPSConnection):
    pass


class _HTTPPool(urllib3.HTTPConnectionPool):
    ConnectionCls = _HTTPConnection


class _HTTPSPool(urllib3.HTTPSConnectionPool):
    ConnectionCls = _HTTPSConnection


def _shutdown(connections: list[object]) -> None:
    for conn in connections:
        sock = getattr(conn, "sock", None)
        if sock is not None:
            try:
                sock.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass


def _host_header(target: Target) -> str:
    host = f"[{target.host}]" if ":" in target.host else target.host
    default = 443 if target.scheme == "https" else 80
    return host if target.port == default else f"{host}:{target.port}"


def _request_path(url: str) -> str:
    parts = urlsplit(url)
    return urlunsplit(("", "", parts.path or "/", parts.query, ""))


class Transport:
    """Connection pools per (scheme, IP, port, host name) and the single-exchange logic."""

    def __init__(self, policy: "FetchPolicy") -> None:
        self.policy = policy
        self._pools: dict[tuple[str, str, int, str], urllib3.HTTPConnectionPool] = {}
        self._lock = threading.Lock()

    def close(self) -> None:
        with self._lock:
            pools, self._pools = list(self._pools.values()), {}
        for pool in pools:
            pool.close()

    def _pool(self, target: Target, ip: str) -> urllib3.HTTPConnectionPool:
        key = (target.scheme, ip, target.port, target.host)
        with self._lock:
            pool = self._pools.get(key)
            if pool is None:
                size = max(1, self.policy.per_host_concurrency)
                if target.scheme == "https":
                    pool = _HTTPSPool(
                        ip, target.port, maxsize=size, block=False, retries=False,
                        cert_reqs="CERT_REQUIRED", ca_certs=self.policy.ca_certs or _CA_CERTS,
                        server_hostname=None if target.host == ip else target.host,
                        assert_hostname=target.host)
                else:
                    pool = _HTTPPool(ip, target.port, maxsize=size, block=False, retries=False)
                self._pools[key] = pool
            return pool

    def exchange(self, target: Target, url: str, etag: str | None, last_modified: str | None,
                 deadline: float, max_bytes: int, truncate: bool = False) -> Exchange:
        """GET ``url`` from the checked ``target`` addresses; never raises for I/O problems.

        With ``truncate`` a body over ``max_bytes`` is cut there instead of being an error.
        """
        headers = {
            "Host": _host_header(target),
            "User-Agent": self.policy.user_agent,
            "Accept": self.policy.accept,
            "Accept-Encoding": ACCEPT_ENCODING,
        }
        if etag:
            headers["If-None-Match"] = etag
        if last_modified:
            headers["If-Modified-Since"] = last_modified
        watched: list[object] = []
        timer = threading.Timer(max(0.0, deadline - time.monotonic()), _shutdown, (watched,))
        timer.daemon = True
        timer.start()
        token = _ON_REQUEST.set(watched.append)
        try:
            return self._exchange(target, url, _request_path(url), headers, deadline, max_bytes,
                                  truncate)
        finally:
            _ON_REQUEST.reset(token)
            timer.cancel()

    def _timeout_msg(self, url: str, what: str) -> str:
        return f"{url}: total timeout of {self.policy.total_timeout}s exceeded {what}".rstrip()

    def _exchange(self, target: Target, url: str, path: str, headers: dict[str, str],
                  deadline: float, max_bytes: int, truncate: bool) -> Exchange:
        last: Exchange | None = None
        for ip in target.addresses:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                break
            timeout = urllib3.Timeout(connect=min(self.policy.connect_timeout, remaining),
                                      read=min(self.policy.read_timeout, remaining))
            try:
                resp = self._pool(target, ip).urlopen(
                    "GET", path, headers=headers, redirect=False, retries=False,
                    preload_content=False, decode_content=False, timeout=timeout,
                    assert_same_host=False, release_conn=False)
            except (NewConnectionError, ConnectTimeoutError) as exc:
                # NewConnectionError subclasses ConnectTimeoutError in urllib3 2.x
                kind = "connection" if isinstance(exc, NewConnectionError) else "timeout"
                last = Exchange(error_kind=kind, error=f"{url}: cannot connect to {ip} "
                                f"port {target.port}: {_reason(exc)}")
                continue                                  # try the next checked address
            except Exception as exc:  # noqa: BLE001 - any network failure becomes a result
                if time.monotonic() >= deadline - DEADLINE_SLACK:
                    return Exchange(error_kind="timeout",
                                    error=self._timeout_msg(url, "waiting for the response"))
                return Exchange(error_kind=_kind(exc), error=f"{url}: {_reason(exc)}")
            return self._read(resp, url, deadline, max_bytes, truncate)
        return last or Exchange(error_kind="timeout", error=self._timeout_msg(url, ""))

    def _read(self, resp: urllib3.BaseHTTPResponse, url: str, deadline: float,
              max_bytes: int, truncate: bool = False) -> Exchange:
        status = resp.status
        headers: dict[str, str] = {}
        for name, value in resp.headers.items():
            name = name.lower()
            headers[name] = f"{headers[name]}, {value}" if name in headers else value
        retry_after = parse_retry_after(headers.get("retry-after"))
        ex = Exchange(status=status, headers=headers, retry_after=retry_after)
        success = 200 <= status < 300
        cap = max_bytes if success else min(max_bytes, ERROR_BODY_CAP)
        complete = False
        try:
            if status in (204, 304) or status < 200:
                complete = True
            else:
                ex.body, complete, problem = self._read_body(resp, url, headers, deadline, cap,
                                                             truncate=truncate or not success)
                if problem is not None:
                    ex.body = b""
                    ex.error_kind, ex.error = problem
                    return ex
        finally:
            if not complete:
                resp.close()            # never return a half-read connection to the pool
            resp.release_conn()
        if status == 429:
            ex.error_kind = "rate_limited"
            ex.error = (f"{url}: HTTP 429 Too Many Requests"
                        + (f" (Retry-After {retry_after:.0f}s)" if retry_after is not None else ""))
        elif status == 503 and retry_after is not None:
            ex.error_kind = "http_status"
            ex.error = f"{url}: HTTP 503 (Retry-After {retry_after:.0f}s)"
        elif not (success or status == 304 or status in REDIRECT_STATUSES):
            ex.error_kind = "http_status"
            ex.error = f"{url}: HTTP {status} {resp.reason or ''}".rstrip()
        return ex

    def _read_body(self, resp: urllib3.BaseHTTPResponse, url: str, headers: dict[str, str],
                   deadline: float, cap: int, truncate: bool
                   ) -> tuple[bytes, bool, tuple[str, str] | None]:
        """Stream the body with size, decompression and deadline caps.

        Returns (body, read to the end, (error_kind, error) or None). With ``truncate``
        (error and redirect responses) the cap silently truncates instead of failing.
        """
        length = headers.get("content-length", "").strip()
        if not truncate and length.isdigit() and int(length) > cap:
            return b"", False, ("too_large", f"{url}: Content-Length {length} exceeds the "
                                             f"limit of {cap} bytes; not downloaded")
        try:
            decoder = StreamDecoder(headers.get("content-encoding"), cap)
        except BadEncoding as exc:
            return b"", False, ("decoding", f"{url}: {exc}")
        out: list[bytes] = []
        raw = 0
        sock = getattr(getattr(resp, "connection", None), "sock", None)
        try:
            while True:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    return b"", False, ("timeout", self._timeout_msg(
                        url, f"while reading the body ({raw} bytes received)"))
                if sock is not None:
                    sock.settimeout(min(self.policy.read_timeout, remaining))
                chunk = resp.read1(READ_CHUNK, decode_content=False)
                if not chunk:
                    break
                if raw + len(chunk) > cap:
                    if truncate:
                        return b"".join(out), False, None
                    return b"", False, ("too_large", f"{url}: body exceeds the limit of "
                                                     f"{cap} bytes")
                # small steps so a bomb is caught within a few KB of compressed input
                step = DECODE_STEP if decoder.encoded else len(chunk)
                for i in range(0, len(chunk), step):
                    raw += min(step, len(chunk) - i)
                    out.append(decoder.feed(chunk[i:i + step]))
            out.append(decoder.finish())
        except BodyTooLarge:
            if truncate:
                return b"".join(out), False, None
            if decoder.encoded and decoder.max_bytes >= BOMB_RATIO * max(raw, 1):
                return b"", False, ("decompression_bomb",
                                    f"{url}: {raw} compressed bytes inflate past the limit of "
                                    f"{cap} bytes (decompression bomb)")
            return b"", False, ("too_large", f"{url}: decoded body exceeds the limit of "
                                             f"{cap} bytes")
        except BadEncoding as exc:
            return b"", False, ("decoding", f"{url}: {exc}")
        except Exception as exc:  # noqa: BLE001 - timeouts, resets, truncated bodies
            if deadline - time.monotonic() <= DEADLINE_SLACK:
                return b"", False, ("timeout", self._timeout_msg(
                    url, f"while reading the body ({raw} bytes received)"))
            return b"", False, (_kind(exc), f"{url}: reading the body failed after {raw} "
                                            f"bytes: {_reason(exc)}")
        return b"".join(out), True, None


def _kind(exc: BaseException) -> str:
    """error_kind for an exception raised by urllib3/http.client/socket."""
    if isinstance(exc, NewConnectionError):
        return "connection"
    if isinstance(exc, (ReadTimeoutError, ConnectTimeoutError, TimeoutError)):
        return "timeout"
    if isinstance(exc, SSLError):
        return "tls"
    if isinstance(exc, ProtocolError) and len(exc.args) > 1 \
            and isinstance(exc.args[1], TimeoutError):
        return "timeout"
    if isinstance(exc, (HTTPError, OSError)) or exc.__class__.__module__ == "http.client":
        return "connection"
    return "internal"


def _reason(exc: BaseException) -> str:
    text = str(exc) or exc.__class__.__name__
    return text if len(text) < 300 else text[:297] + "..."

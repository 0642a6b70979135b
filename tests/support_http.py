"""Loopback HTTP servers for tests and benchmarks (127.0.0.1, free port, own thread).

    with LoopbackServer({"/feed": Reply(200, b"<rss/>")}) as srv:
        fetcher.fetch(srv.url("/feed"))

A route maps a path to a :class:`Reply` or to a callable ``handler(req) -> Reply | None``;
a handler returning None has written the response itself (streaming, dribbling, ...).
Unknown paths answer 404 (so robots.txt is "missing", i.e. allow everything) unless a
``default`` route is given.
"""

from __future__ import annotations

import datetime
import ipaddress
import socket
import ssl
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Callable, Union


@dataclass
class Reply:
    status: int = 200
    body: bytes = b""
    headers: dict[str, str] = field(default_factory=dict)


Handler = Callable[["Request"], Union[Reply, None]]
Route = Union[Reply, Handler]


class Request(BaseHTTPRequestHandler):
    """The request handler; ``self.server.app`` is the owning LoopbackServer."""

    protocol_version = "HTTP/1.1"
    server: "_Server"

    def log_message(self, format: str, *args: object) -> None:  # noqa: A002 - silence
        pass

    def do_GET(self) -> None:  # noqa: N802 - http.server naming
        app = self.server.app
        path = self.path.split("?", 1)[0]
        with app.lock:
            app.requests.append((path, {k.lower(): v for k, v in self.headers.items()}))
        if app.latency:
            time.sleep(app.latency)
        route = app.routes.get(path) or app.routes.get(self.path) or app.default
        if route is None:
            reply: Reply | None = Reply(404, b"not found")
        elif isinstance(route, Reply):
            reply = route
        else:
            try:
                reply = route(self)
            except (BrokenPipeError, ConnectionResetError, TimeoutError, OSError):
                self.close_connection = True
                return
        if reply is not None:
            self.send_reply(reply)

    def send_reply(self, reply: Reply) -> None:
        try:
            self.send_response(reply.status)
            names = {k.lower() for k in reply.headers}
            for name, value in reply.headers.items():
                self.send_header(name, value)
            if "content-length" not in names and reply.status not in (204, 304):
                self.send_header("Content-Length", str(len(reply.body)))
            self.end_headers()
            if reply.status not in (204, 304):
                self.wfile.write(reply.body)
        except (BrokenPipeError, ConnectionResetError, OSError):
            self.close_connection = True

    def start_stream(self, status: int = 200, headers: dict[str, str] | None = None) -> None:
        """Begin a close-delimited response (no Content-Length) for streaming handlers."""
        self.send_response(status)
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.send_header("Connection", "close")
        self.end_headers()
        self.close_connection = True

    def header(self, name: str) -> str | None:
        return self.headers.get(name)


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    block_on_close = False
    request_queue_size = 128
    app: "LoopbackServer"

    def handle_error(self, request: object, client_address: object) -> None:
        pass   # clients hanging up on hostile handlers is expected


class LoopbackServer:
    """A threaded HTTP server on 127.0.0.1 with a free port; a context manager."""

    def __init__(self, routes: dict[str, Route] | None = None, *, latency: float = 0.0,
                 default: Route | None = None, tls: tuple[str, str] | None = None) -> None:
        self.routes: dict[str, Route] = dict(routes or {})
        self.default = default            # serves every path not in routes (else 404)
        self.latency = latency
        self.requests: list[tuple[str, dict[str, str]]] = []
        self.lock = threading.Lock()
        self._server = _Server(("127.0.0.1", 0), Request)
        self._server.app = self
        self.port = self._server.server_address[1]
        self.scheme = "http"
        if tls is not None:                       # (certfile, keyfile)
            context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
            context.load_cert_chain(*tls)
            self._server.socket = context.wrap_socket(self._server.socket, server_side=True)
            self.scheme = "https"
        self._thread = threading.Thread(target=self._server.serve_forever,
                                        kwargs={"poll_interval": 0.05}, daemon=True)

    def url(self, path: str = "/", host: str = "127.0.0.1") -> str:
        return f"{self.scheme}://{host}:{self.port}{path}"

    def hits(self, path: str) -> int:
        with self.lock:
            return sum(1 for p, _ in self.requests if p == path)

    def start(self) -> "LoopbackServer":
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)

    def __enter__(self) -> "LoopbackServer":
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


def free_port() -> int:
    """A currently unused TCP port on 127.0.0.1 (nothing listens there)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def self_signed_cert(directory: str, names: tuple[str, ...] = ("localhost",),
                     ips: tuple[str, ...] = ("127.0.0.1",)) -> tuple[str, str]:
    """Write a self-signed certificate (also its own CA) for ``names``/``ips``; (cert, key)."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, names[0])])
    now = datetime.datetime.now(datetime.timezone.utc)
    san = [x509.DNSName(n) for n in names] + [x509.IPAddress(ipaddress.ip_address(i)) for i in ips]
    cert = (x509.CertificateBuilder().subject_name(subject).issuer_name(subject)
            .public_key(key.public_key()).serial_number(x509.random_serial_number())
            .not_valid_before(now - datetime.timedelta(minutes=5))
            .not_valid_after(now + datetime.timedelta(days=1))
            .add_extension(x509.SubjectAlternativeName(san), critical=False)
            .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
            .sign(key, hashes.SHA256()))
    cert_path, key_path = f"{directory}/cert.pem", f"{directory}/key.pem"
    with open(cert_path, "wb") as fh:
        fh.write(cert.public_bytes(serialization.Encoding.PEM))
    with open(key_path, "wb") as fh:
        fh.write(key.private_bytes(serialization.Encoding.PEM,
                                   serialization.PrivateFormat.PKCS8,
                                   serialization.NoEncryption()))
    return cert_path, key_path


def guard_connections(monkeypatch: "object") -> list[object]:
    """Patch socket.connect: record every address, and refuse (raise) any address that
    is not loopback, so a test can never send traffic off this machine."""
    seen: list[object] = []
    original = socket.socket.connect

    def guarded(self: socket.socket, address: object) -> None:
        if isinstance(address, tuple):
            ip = ipaddress.ip_address(str(address[0]).split("%", 1)[0])
            if not ip.is_loopback:
                raise AssertionError(f"test tried to connect to non-loopback {address!r}")
        seen.append(address)
        return original(self, address)
    monkeypatch.setattr(socket.socket, "connect", guarded)  # type: ignore[attr-defined]
    return seen

"""Serve the demo news web on loopback: one HTTP server (own port) per publisher.

Usage::

    with DemoWeb() as web:
        web.write_registry("feeds.yaml")
        print(web.url("northgate", "/world/rss.xml"))

or from the shell: ``python -m newsingest_demo serve --registry PATH [--ready-file PATH]``.
Feeds and pages carry ETag and Last-Modified and answer conditional GETs with 304;
hosts marked ``gzip`` in ``content/publishers.yaml`` compress when asked to.
"""

from __future__ import annotations

import argparse
import json
import signal
import sys
import threading
from email.utils import format_datetime, parsedate_to_datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from types import TracebackType
from typing import Any
from urllib.parse import urlsplit

import yaml

from newsingest_demo.site import (
    HTML_TYPE,
    MANIFEST_PATH,
    Content,
    Publisher,
    Resource,
    load_content,
    render_not_found,
    render_publisher,
)

HOST = "127.0.0.1"


class _PublisherServer(ThreadingHTTPServer):
    """A ThreadingHTTPServer that knows which publisher it serves."""

    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, publisher: Publisher, port: int = 0) -> None:
        super().__init__((HOST, port), _Handler)
        self.publisher = publisher
        self.resources: dict[str, Resource] = {}
        self.not_found = render_not_found(publisher).encode("utf-8")
        self.quiet = True

    @property
    def base_url(self) -> str:
        """http://127.0.0.1:PORT (no trailing slash)."""
        return f"http://{HOST}:{self.server_address[1]}"


class _Handler(BaseHTTPRequestHandler):
    """GET/HEAD over the pre-rendered resources of one publisher."""

    server: _PublisherServer
    server_version = "DemoNewsWeb/1.0"
    protocol_version = "HTTP/1.0"

    def do_GET(self) -> None:  # noqa: N802 - http.server API
        self._serve(send_body=True)

    def do_HEAD(self) -> None:  # noqa: N802 - http.server API
        self._serve(send_body=False)

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
        if not self.server.quiet:
            sys.stderr.write(f"[{self.server.publisher.id}] {format % args}\n")

    def _serve(self, send_body: bool) -> None:
        path = urlsplit(self.path).path or "/"
        res = self.server.resources.get(path)
        if res is None:
            self._send(404, HTML_TYPE, self.server.not_found, {}, send_body)
            return
        if res.status != 200:
            self._send(res.status, res.content_type, res.body, {}, send_body)
            return
        use_gzip = self.server.publisher.gzip and "gzip" in self.headers.get("Accept-Encoding", "")
        etag = res.etag[:-1] + '-gz"' if use_gzip else res.etag
        headers = {"ETag": etag, "Cache-Control": "max-age=60"}
        if res.last_modified is not None:
            headers["Last-Modified"] = format_datetime(res.last_modified, usegmt=True)
        if self.server.publisher.gzip:
            headers["Vary"] = "Accept-Encoding"
        if self._not_modified(res, etag):
            self._send(304, None, b"", headers, send_body)
            return
        body = res.body
        if use_gzip:
            body = res.gzipped
            headers["Content-Encoding"] = "gzip"
        self._send(200, res.content_type, body, headers, send_body)

    def _not_modified(self, res: Resource, etag: str) -> bool:
        """RFC 9110: If-None-Match wins over If-Modified-Since."""
        inm = self.headers.get("If-None-Match")
        if inm is not None:
            tags = {t.strip().removeprefix("W/") for t in inm.split(",")}
            return "*" in tags or etag in tags or res.etag in tags
        ims = self.headers.get("If-Modified-Since")
        if ims and res.last_modified is not None:
            try:
                since = parsedate_to_datetime(ims)
            except (TypeError, ValueError):
                return False
            if since.tzinfo is None:
                return False
            return res.last_modified.replace(microsecond=0) <= since
        return False

    def _send(
        self,
        status: int,
        content_type: str | None,
        body: bytes,
        headers: dict[str, str],
        send_body: bool,
    ) -> None:
        self.send_response(status)
        if content_type:
            self.send_header("Content-Type", content_type)
        for name, value in headers.items():
            self.send_header(name, value)
        if status != 304:
            self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if send_body and status != 304:
            self.wfile.write(body)


class DemoWeb:
    """The whole demo web: start with ``with DemoWeb() as web:``, stopped on exit."""

    def __init__(self, quiet: bool = True, base_port: int = 0) -> None:
        self.content: Content = load_content()
        self.quiet = quiet
        self.base_port = base_port
        self._servers: dict[str, _PublisherServer] = {}
        self._threads: list[threading.Thread] = []
        self._manifest: dict[str, Any] | None = None

    # lifecycle -------------------------------------------------------------
    def start(self) -> DemoWeb:
        """Bind every publisher to a loopback port and serve in daemon threads.

        With ``base_port`` set, publisher i asks for ``base_port + i`` (so URLs stay the
        same from one demo run to the next) and falls back to a free port when taken.
        """
        if self._servers:
            return self
        try:
            for i, pub in enumerate(self.content.publishers.values()):
                srv = self._bind(pub, self.base_port + i if self.base_port else 0)
                srv.quiet = self.quiet
                srv.resources = render_publisher(self.content, pub, srv.base_url)
                self._servers[pub.id] = srv
                thread = threading.Thread(
                    target=srv.serve_forever,
                    kwargs={"poll_interval": 0.1},
                    name=f"demo-web-{pub.id}",
                    daemon=True,
                )
                thread.start()
                self._threads.append(thread)
        except BaseException:
            self.stop()
            raise
        return self

    @staticmethod
    def _bind(pub: Any, port: int) -> _PublisherServer:
        try:
            return _PublisherServer(pub, port)
        except OSError:
            if not port:
                raise
            return _PublisherServer(pub, 0)

    def stop(self) -> None:
        """Shut every server down and release its port."""
        for srv in self._servers.values():
            srv.shutdown()
            srv.server_close()
        for thread in self._threads:
            thread.join(timeout=5)
        self._servers.clear()
        self._threads.clear()

    def __enter__(self) -> DemoWeb:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    # addresses -------------------------------------------------------------
    @property
    def publishers(self) -> dict[str, str]:
        """Publisher id -> base URL (``http://127.0.0.1:PORT``)."""
        if not self._servers:
            raise RuntimeError("DemoWeb is not running; use 'with DemoWeb() as web:'")
        return {pid: srv.base_url for pid, srv in self._servers.items()}

    def url(self, publisher_id: str, path: str) -> str:
        """Absolute URL of a path on one publisher's host."""
        return self.publishers[publisher_id] + ("" if path.startswith("/") else "/") + path

    def registry(self) -> list[dict[str, str]]:
        """Every feed (failing ones included) in the project's feed registry format."""
        feeds = []
        for pub in self.content.publishers.values():
            for feed in pub.feeds:
                feeds.append(
                    {
                        "id": feed.id,
                        "url": self.url(pub.id, feed.path),
                        "publisher": pub.name,
                        "country": pub.country,
                        "language": pub.language,
                    }
                )
        return feeds

    def write_registry(self, path: str | Path) -> Path:
        """Write the registry as YAML (``feeds: [...]``) and return the path."""
        target = Path(path)
        target.parent.mkdir(parents=True, exist_ok=True)
        header = "# Feed registry of the demo news web (generated; ports may change per run).\n"
        body = yaml.safe_dump({"feeds": self.registry()}, sort_keys=False, allow_unicode=True)
        target.write_text(header + body, encoding="utf-8")
        return target

    @property
    def manifest(self) -> dict[str, Any]:
        """The expected-results manifest (``manifest.json``)."""
        if self._manifest is None:
            self._manifest = json.loads(MANIFEST_PATH.read_text("utf-8"))
        return self._manifest


def main(argv: list[str] | None = None) -> int:
    """CLI: ``serve --registry PATH [--ready-file PATH]``; runs until SIGTERM/SIGINT."""
    parser = argparse.ArgumentParser(prog="newsingest-demo", description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)
    serve = sub.add_parser("serve", help="serve the demo web until interrupted")
    serve.add_argument("--registry", required=True, help="where to write the feed registry YAML")
    serve.add_argument("--ready-file", help="file written once every server is listening")
    serve.add_argument("--verbose", action="store_true", help="log every request to stderr")
    serve.add_argument("--base-port", type=int, default=0,
                       help="first port to ask for (publisher i gets BASE+i when free); 0: any free port")
    args = parser.parse_args(argv)

    stop = threading.Event()
    previous = {
        sig: signal.signal(sig, lambda *_: stop.set()) for sig in (signal.SIGTERM, signal.SIGINT)
    }
    ready = Path(args.ready_file) if args.ready_file else None
    try:
        with DemoWeb(quiet=not args.verbose, base_port=args.base_port) as web:
            registry = web.write_registry(args.registry)
            print(f"demo news web: {len(web.publishers)} publishers", flush=True)
            for pid, base in web.publishers.items():
                print(f"  {pid:14s} {base}/", flush=True)
            print(f"feed registry written to {registry}", flush=True)
            if ready is not None:
                ready.parent.mkdir(parents=True, exist_ok=True)
                ready.write_text(json.dumps(web.publishers, indent=2) + "\n", encoding="utf-8")
            while not stop.wait(0.5):
                pass
            print("demo news web: stopping", flush=True)
    finally:
        if ready is not None:
            ready.unlink(missing_ok=True)
        for sig, handler in previous.items():
            signal.signal(sig, handler)
    return 0


if __name__ == "__main__":
    sys.exit(main())

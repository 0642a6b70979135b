"""Incremental, capped decoding of HTTP content codings (gzip, deflate, br).

Output is produced a bounded amount at a time, so a decompression bomb (a few KB
that inflate to gigabytes) is stopped as soon as the decoded size passes the cap,
without ever holding more than the cap in memory.
"""

from __future__ import annotations

import zlib
from typing import Protocol

try:  # optional: only advertised in Accept-Encoding when importable
    import brotli as _brotli
except ImportError:  # pragma: no cover - brotli is installed in the project venv
    _brotli = None


class BodyTooLarge(Exception):
    """Decoded output passed the cap."""


class BadEncoding(Exception):
    """The body is not valid for its declared content coding, or the coding is unknown."""


def _brotli_usable() -> bool:
    if _brotli is None:
        return False
    try:  # the output cap needs brotli >= 1.2
        _brotli.Decompressor().process(b"", output_buffer_limit=1)
    except TypeError:
        return False
    except Exception:  # noqa: BLE001 - an error on empty input still means "supported"
        return True
    return True


BROTLI = _brotli_usable()
ACCEPT_ENCODING = "gzip, deflate, br" if BROTLI else "gzip, deflate"
_STEP = 64 * 1024


class _Codec(Protocol):
    def feed(self, data: bytes, limit: int) -> bytes: ...
    def finish(self, limit: int) -> bytes: ...


class _Zlib:
    """gzip (multi-member) or deflate (zlib-wrapped, or raw as some servers send)."""

    def __init__(self, gzip: bool) -> None:
        self.gzip = gzip
        self.first = True
        self.d = zlib.decompressobj(47 if gzip else 15)
        self.done = False

    def _drain(self, data: bytes, limit: int) -> bytes:
        out = bytearray()
        while True:
            if self.done:
                if self.gzip and data[:2] == b"\x1f\x8b":
                    self.d = zlib.decompressobj(47)   # next gzip member
                    self.done = False
                else:
                    return bytes(out)   # trailing padding/garbage after the stream
            budget = min(_STEP, limit - len(out) + 1)
            chunk = self.d.decompress(data, budget)
            out += chunk
            if len(out) > limit:
                raise BodyTooLarge()
            if self.d.eof:
                self.done = True
                data = self.d.unused_data
                continue
            data = self.d.unconsumed_tail
            if not data and len(chunk) < budget:
                return bytes(out)

    def feed(self, data: bytes, limit: int) -> bytes:
        try:
            if self.first and not self.gzip:
                self.first = False
                try:
                    return self._drain(data, limit)
                except zlib.error:
                    self.d = zlib.decompressobj(-15)   # raw deflate without zlib header
                    return self._drain(data, limit)
            self.first = False
            return self._drain(data, limit)
        except zlib.error as exc:
            raise BadEncoding(f"invalid {'gzip' if self.gzip else 'deflate'} data: {exc}") from None

    def finish(self, limit: int) -> bytes:
        try:
            out = self.d.flush() if not self.done else b""
        except zlib.error as exc:
            raise BadEncoding(str(exc)) from None
        if len(out) > limit:
            raise BodyTooLarge()
        return out


class _Brotli:
    def __init__(self) -> None:
        self.d = _brotli.Decompressor()

    def _pull(self, data: bytes, limit: int) -> bytes:
        out = bytearray()
        try:
            if data:
                out += self.d.process(data, output_buffer_limit=min(_STEP, limit + 1))
            # output can remain buffered even after the input was accepted: drain it
            while len(out) <= limit and not self.d.is_finished():
                chunk = self.d.process(b"", output_buffer_limit=min(_STEP, limit - len(out) + 1))
                if not chunk:
                    break
                out += chunk
        except _brotli.error as exc:
            raise BadEncoding(f"invalid br data: {exc}") from None
        if len(out) > limit:
            raise BodyTooLarge()
        return bytes(out)

    def feed(self, data: bytes, limit: int) -> bytes:
        return self._pull(data, limit)

    def finish(self, limit: int) -> bytes:
        return self._pull(b"", limit)


class _Identity:
    def feed(self, data: bytes, limit: int) -> bytes:
        if len(data) > limit:
            raise BodyTooLarge()
        return data

    def finish(self, limit: int) -> bytes:
        return b""


def _codec(name: str) -> _Codec:
    if name in ("gzip", "x-gzip"):
        return _Zlib(gzip=True)
    if name == "deflate":
        return _Zlib(gzip=False)
    if name == "br" and BROTLI:
        return _Brotli()
    if name in ("identity", ""):
        return _Identity()
    raise BadEncoding(f"unsupported content coding {name!r}")


class StreamDecoder:
    """Decode a body with stacked content codings, capping the decoded size.

    ``feed`` returns newly decoded bytes and raises BodyTooLarge once the total
    decoded size would exceed ``max_bytes``.
    """

    def __init__(self, content_encoding: str | None, max_bytes: int) -> None:
        names = [n.strip().lower() for n in (content_encoding or "").split(",") if n.strip()]
        # codings are listed in the order applied, so decode in reverse
        self.codecs = [_codec(n) for n in reversed(names) if n != "identity"]
        self.max_bytes = max_bytes
        self.total = 0

    @property
    def encoded(self) -> bool:
        return bool(self.codecs)

    def _run(self, data: bytes, final: bool) -> bytes:
        for codec in self.codecs:
            limit = self.max_bytes - self.total
            data = codec.feed(data, limit) if data else b""
            if final:
                data += codec.finish(limit - len(data))
        self.total += len(data)
        if self.total > self.max_bytes:
            raise BodyTooLarge()
        return data

    def feed(self, data: bytes) -> bytes:
        return self._run(data, final=False)

    def finish(self) -> bytes:
        return self._run(b"", final=True)

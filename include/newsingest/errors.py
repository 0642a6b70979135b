"""The project's own exception types: each says what went wrong and where."""

from __future__ import annotations


class NewsIngestError(Exception):
    """Base class of every error this library raises on purpose."""


class ConfigError(NewsIngestError):
    """A setting or the feed registry is invalid."""


class UnsafeURLError(NewsIngestError):
    """A URL is refused: bad scheme, or it resolves to a forbidden address."""


class FetchError(NewsIngestError):
    """An HTTP fetch failed (network, status, size or time limit)."""

    def __init__(self, message: str, kind: str = "fetch") -> None:
        super().__init__(message)
        self.kind = kind


class FeedParseError(NewsIngestError):
    """A response body is not a usable RSS/Atom/RDF feed."""


class ExtractionError(NewsIngestError):
    """No article text could be extracted from a page."""


class HostResolutionError(FetchError):
    """A host name could not be resolved (DNS failure); kind "dns"."""

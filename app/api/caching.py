"""Answers a client may keep: an ETag and a Cache-Control, and 304 when the client already has them."""

from __future__ import annotations

from fastapi import Request, Response

BUNDLE_CACHE = "public, max-age=3600"  # a bundle's files change only with its weights, and then their ETag


def cacheable(request: Request, data: bytes, *, etag: str, media_type: str, cache_control: str) -> Response:
    """``data`` with its validator, or 304 Not Modified when ``If-None-Match`` names it already."""
    headers = {"ETag": etag, "Cache-Control": cache_control}
    if request.headers.get("if-none-match") == etag:
        return Response(status_code=304, headers=headers)
    return Response(data, media_type=media_type, headers=headers)

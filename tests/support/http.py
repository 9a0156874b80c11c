"""What every error answer must be: an RFC 9457 problem document."""

from __future__ import annotations


def assert_problem(response, status: int) -> dict:
    """``response`` is an RFC 9457 problem document with ``status``; returns its body."""
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    body = response.json()
    assert body["status"] == status and body["title"] and body["detail"]
    return body

"""Fixtures of the in-process app tests (see :mod:`tests.support.app`)."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from tests.support.app import Api, app_settings, serving


@pytest.fixture(scope="session")
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture(scope="session")
async def api(tiny_bundle, tmp_path_factory) -> AsyncIterator[Api]:
    """One app for the contract tests, with small limits so the error paths are quick to reach."""
    settings = app_settings(
        tiny_bundle,
        tmp_path_factory.mktemp("app"),
        max_upload_bytes=2 * 1024 * 1024,
        max_duration_s=12,
        max_num_samples=2000,
    )
    async with serving(settings) as api:
        yield api

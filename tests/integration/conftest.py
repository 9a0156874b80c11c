"""Real services for the end-to-end tests: a private redis-server, and an API with one worker on it."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.support.services import RedisServer, Service, service_env


@pytest.fixture(scope="session")
def redis_server(tmp_path_factory) -> Iterator[RedisServer]:
    server = RedisServer(tmp_path_factory.mktemp("redis")).start()
    yield server
    server.stop()


@pytest.fixture(scope="session")
def distributed(redis_server, tiny_bundle, tmp_path_factory) -> Iterator[Service]:
    """API + one worker on the real Redis, with small limits so the error paths are quick to reach."""
    env = service_env(
        tiny_bundle,
        tmp_path_factory.mktemp("data"),
        REDIS_URL=redis_server.url,
        max_upload_bytes=str(2 * 1024 * 1024),
        max_duration_s="12",
        max_num_samples="2000",
    )
    service = Service(env, tmp_path_factory.mktemp("logs"))
    try:
        service.start_worker()
        service.start_api()
        yield service
    finally:
        service.stop()

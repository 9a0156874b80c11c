"""ASGI middleware around the routes: body limits, API keys and quotas, admission bounds, latency."""

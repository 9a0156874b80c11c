"""Celery workers that compute explanation jobs; the logic itself lives in the core package."""

#!/usr/bin/env bash
# Run the whole test suite. Integration tests start their own uvicorn, Celery worker and a
# private redis-server; they need redis-server on PATH (installed by scripts/setup.sh).
set -euo pipefail
cd "$(dirname "$0")/.."
.venv/bin/ruff check .
exec .venv/bin/python -m pytest "$@"

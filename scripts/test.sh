#!/usr/bin/env bash
# Run the whole test suite. Integration tests start their own uvicorn, Celery workers and a
# private redis-server; the browser tests drive Debian's Chromium through Playwright (no browser
# download), installed here when missing.
set -euo pipefail
cd "$(dirname "$0")/.."
if ! command -v chromium >/dev/null 2>&1; then
  SUDO=""; [ "$(id -u)" -eq 0 ] || SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends chromium
fi
.venv/bin/ruff check .
.venv/bin/python scripts/tree.py > /dev/null  # no module past the 300 lines the layout allows
.venv/bin/lint-imports --no-cache  # the layers of pyproject.toml's import contract, no import circles
.venv/bin/python scripts/docs_tables.py --check  # generated docs tables, API reference and layout are current
NO_MKDOCS_2_WARNING=1 .venv/bin/mkdocs build --strict --site-dir "$(mktemp -d)"  # no broken link or page
exec .venv/bin/python -m pytest "$@"

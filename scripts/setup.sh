#!/usr/bin/env bash
# Install everything the project needs on a fresh Debian machine: system packages, a virtualenv
# with the project and its test tools, and a warm numba cache for librosa. Idempotent.
set -euo pipefail
cd "$(dirname "$0")/.."

APT_PACKAGES=(libsndfile1 ffmpeg fluidsynth fluid-soundfont-gm timgm6mb-soundfont mma redis-server)
missing=()
for pkg in "${APT_PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
done
if ((${#missing[@]})); then
  SUDO=""; [ "$(id -u)" -eq 0 ] || SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi

PYTHON=${PYTHON:-python3}
[ -x .venv/bin/python ] || "$PYTHON" -m venv .venv
# find_spec looks the packages up without importing them (importing Keras alone takes seconds)
if ! .venv/bin/python -c "import importlib.util as u, sys; sys.exit(any(u.find_spec(m) is None for m in \
     ('musicxai', 'keras', 'librosa', 'celery', 'fastapi', 'mkdocs', 'importlinter')))" 2>/dev/null \
   || [ pyproject.toml -nt .venv/.installed ]; then
  .venv/bin/python -m pip install -q --upgrade pip
  .venv/bin/python -m pip install -q -e '.[dev]'
  touch .venv/.installed
fi
# librosa's first call compiles numba kernels (~15 s) into its cache; do it once per install, not in
# the first request.
if [ ! -f .venv/.numba-warm ] || [ .venv/.installed -nt .venv/.numba-warm ]; then
  .venv/bin/python -c "import numpy as np, musicxai.model.features as f; f.clip_log_mel(np.zeros(22050, 'float32'), f.FeatureSettings())"
  touch .venv/.numba-warm
fi

#!/usr/bin/env bash
# Gather what benchmarks/gpu_proof.sh needs on a GPU machine that has Python 3.12, JAX (CUDA), numpy,
# scipy, scikit-learn, scikit-image, matplotlib, numba, pandas, httpx and no network: Python 3.12
# wheels of the rest (Keras, librosa, shap, lime, Celery, FastAPI, ... at the versions installed
# here), a redis-server binary with its libraries, and the clips to explain. Everything goes to
# .gpu/ (git-ignored), about 40 MB.
#
#   scripts/gpu_bundle.sh            # then, on the GPU machine: benchmarks/gpu_proof.sh OUT
set -euo pipefail
cd "$(dirname "$0")/.."
out=.gpu
mkdir -p "$out/whl" "$out/redis/lib" "$out/clips"
packages=(
  keras namex optree librosa soxr soundfile audioread pooch lazy_loader decorator platformdirs cffi pycparser
  shap slicer cloudpickle pydantic pydantic-core pydantic-settings python-dotenv annotated-types
  typing-inspection typing-extensions fastapi annotated-doc opentelemetry-api starlette python-multipart
  uvicorn celery kombu billiard vine amqp click-didyoumean click-repl click-plugins prompt-toolkit wcwidth
  python-dateutil tzdata tzlocal redis sqlalchemy
)
pins=()
for name in "${packages[@]}"; do
  version=$(.venv/bin/python -m pip show "$name" 2>/dev/null | awk '/^Version:/ {print $2}' || true)
  pins+=("$name${version:+==$version}")
done
platforms=(--platform manylinux_2_28_x86_64 --platform manylinux_2_27_x86_64 --platform manylinux_2_17_x86_64
  --platform manylinux2014_x86_64 --platform manylinux1_x86_64)
.venv/bin/python -m pip download -q --no-deps --only-binary=:all: --python-version 3.12 --implementation cp \
  "${platforms[@]}" -d "$out/whl" "${pins[@]}"
# lime is published as a source archive only; its wheel is pure Python
lime=$(.venv/bin/python -m pip show lime | awk '/^Version:/ {print $2}')
tmp=$(mktemp -d)
.venv/bin/python -m pip download -q --no-deps --no-binary=:all: -d "$tmp" "lime==$lime"
.venv/bin/python -m pip wheel -q --no-deps -w "$out/whl" "$tmp"/lime-*.tar.gz
rm -rf "$tmp"
# redis-server and the libraries it links beyond the C library (the GPU machine has no Redis)
server=$(command -v redis-server)
cp "$server" "$out/redis/redis-server"
ldd "$server" | awk '/=> \// {print $3}' | grep -v -E '/(libc|libm|libstdc\+\+|libgcc_s)\.so' |
  xargs -I{} cp -L {} "$out/redis/lib/"
# the benchmark clip (held out from both demo bundles' training), then five more for whole jobs
for clip in jazz/jazz.00004 blues/blues.00004 classical/classical.00004 country/country.00004 \
  disco/disco.00004 hiphop/hiphop.00004; do
  cp "data/demo-corpus/genres_original/$clip.wav" "$out/clips/"
done
du -sh "$out"

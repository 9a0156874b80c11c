# musicxai images.
#   docker build -t musicxai:cpu .               API and CPU workers (default target, TensorFlow backend)
#   docker build --target gpu -t musicxai:gpu .  GPU workers (Keras 3 on JAX, no TensorFlow)
# Nothing is downloaded at run time: dependencies, code and model bundles are all in the image.

ARG PYTHON_VERSION=3.11

# ---------------------------------------------------------------------------------------------
# base: runtime system libraries, the non-root user, environment shared by every image.
FROM python:${PYTHON_VERSION}-slim-bookworm AS base

# libsndfile1 and ffmpeg are all that decoding needs at run time; fluidsynth, mma and the
# soundfonts only generate the training corpus and stay out of the image.
# hadolint ignore=DL3008
RUN apt-get update \
 && apt-get install -y --no-install-recommends libsndfile1 ffmpeg \
 && rm -rf /var/lib/apt/lists/*

# Fixed ids (10001) so mounted volumes and orchestrators (runAsNonRoot) see the same numeric user.
RUN groupadd --system --gid 10001 musicxai \
 && useradd --system --uid 10001 --gid musicxai --create-home --home-dir /home/musicxai \
      --shell /usr/sbin/nologin musicxai \
 && mkdir -p /app/var /var/cache/musicxai/numba /var/cache/musicxai/onnx \
 && chown musicxai:musicxai /app/var /var/cache/musicxai/numba /var/cache/musicxai/onnx

ENV PATH=/opt/venv/bin:$PATH \
    VIRTUAL_ENV=/opt/venv \
    PYTHONUNBUFFERED=1 \
    PYTHONDONTWRITEBYTECODE=1 \
    MPLBACKEND=Agg \
    NUMBA_CACHE_DIR=/var/cache/musicxai/numba \
    MUSICXAI_RUNTIME_CACHE_DIR=/var/cache/musicxai/onnx \
    MUSICXAI_MODELS_DIR=/app/models \
    MUSICXAI_DETECTOR_DIR=/app/models/detector \
    MUSICXAI_DATA_DIR=/app/var

WORKDIR /app

# ---------------------------------------------------------------------------------------------
# builder: an empty venv plus the dependency lists, read from pyproject.toml so they never drift.
# requirements-gpu.txt is the same list without tensorflow-cpu (the assert fails the build if
# pyproject stops naming it, rather than silently shipping TensorFlow to the GPU image).
FROM base AS builder
ENV PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PIP_NO_CACHE_DIR=1
RUN python -m venv /opt/venv
WORKDIR /src
COPY pyproject.toml README.md ./
RUN python -c "import re, tomllib; \
deps = tomllib.load(open('pyproject.toml', 'rb'))['project']['dependencies']; \
name = lambda d: re.split(r'[\s\[<>=!~;@]', d, maxsplit=1)[0].lower(); \
assert sum(name(d) == 'tensorflow-cpu' for d in deps) == 1, 'tensorflow-cpu not in pyproject'; \
open('/tmp/requirements-cpu.txt', 'w').write('\n'.join(deps) + '\n'); \
open('/tmp/requirements-gpu.txt', 'w').write('\n'.join(d for d in deps if name(d) != 'tensorflow-cpu') + '\n')"

# build-cpu: every dependency (one cached layer that changes only with pyproject.toml), then the
# project itself with --no-deps. `pip check` proves the set is complete and consistent.
FROM builder AS build-cpu
RUN pip install --no-cache-dir -r /tmp/requirements-cpu.txt
COPY cli/ cli/
COPY app/ app/
COPY musicxai/ musicxai/
COPY worker/ worker/
COPY training/ training/
RUN pip install --no-cache-dir --no-deps . && pip check

# build-gpu: pip cannot drop one dependency of a project it installs (constraints can pin a
# version, never exclude a package), so the project goes in with --no-deps and its dependencies
# come from requirements-gpu.txt (pyproject's list minus tensorflow-cpu) plus JAX with CUDA.
# Keras 3, shap and lime do not depend on TensorFlow, so nothing pulls it back in. `pip check`
# is skipped here: it would rightly report the tensorflow-cpu left out on purpose.
# JAX_CUDA=cuda13 is what JAX's install guide names for current releases (CUDA 13 needs NVIDIA
# driver 580 or newer); build with --build-arg JAX_CUDA=cuda12 for hosts on older drivers.
# The CUDA libraries come as pip wheels; the host only provides the driver (NVIDIA toolkit).
FROM builder AS build-gpu
ARG JAX_CUDA=cuda13
RUN pip install --no-cache-dir -r /tmp/requirements-gpu.txt "jax[${JAX_CUDA}]>=0.10"
COPY cli/ cli/
COPY app/ app/
COPY musicxai/ musicxai/
COPY worker/ worker/
COPY training/ training/
RUN pip install --no-cache-dir --no-deps .

# ---------------------------------------------------------------------------------------------
# gpu: explanation workers on an NVIDIA GPU. Keras 3 runs on JAX; JAX takes GPU memory as it
# needs it instead of 75 % at import, so several worker processes can share one card. Batches of
# 2048 windows (measured on an H200, benchmarks/gpu_proof.sh); smaller cards may want 512.
FROM base AS gpu
ENV KERAS_BACKEND=jax \
    MUSICXAI_BACKEND=jax \
    MUSICXAI_MODEL_BATCH_SIZE=2048 \
    MUSICXAI_ENGINE_MAX_BATCH_WINDOWS=2048 \
    XLA_PYTHON_CLIENT_PREALLOCATE=false
# The code lives in the venv (a regular, non-editable install); /app holds models/ and var/.
COPY --from=build-gpu /opt/venv /opt/venv
COPY models/ /app/models/
USER 10001:10001
# Compile librosa's numba kernels now (~15 s) rather than in the first job, and check the image:
# Keras must come up on JAX and TensorFlow must be absent.
RUN python -c "import importlib.util, numpy as np, keras, musicxai.model.features as f; \
assert keras.backend.backend() == 'jax', keras.backend.backend(); \
assert importlib.util.find_spec('tensorflow') is None, 'TensorFlow in the GPU image'; \
f.clip_log_mel(np.zeros(22050, 'float32'), f.FeatureSettings())"
CMD ["musicxai", "worker"]

# ---------------------------------------------------------------------------------------------
# cpu (default target): the API, and CPU workers with `musicxai worker` as the command.
FROM base AS cpu
COPY --from=build-cpu /opt/venv /opt/venv
COPY models/ /app/models/
USER 10001:10001
RUN python -c "import numpy as np, musicxai.model.features as f; \
f.clip_log_mel(np.zeros(22050, 'float32'), f.FeatureSettings())"
EXPOSE 8000
HEALTHCHECK --interval=30s --timeout=5s --start-period=90s --retries=3 \
  CMD ["python", "-c", "import urllib.request; urllib.request.urlopen('http://127.0.0.1:8000/healthz', timeout=4)"]
# Without REDIS_URL (a lone `docker run`) this also starts an embedded worker; with REDIS_URL it
# serves only, and workers run in their own containers (docker-compose.yml passes --no-worker).
CMD ["musicxai", "serve", "--host", "0.0.0.0", "--port", "8000"]

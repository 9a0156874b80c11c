#!/usr/bin/env bash
# Every GPU check of the explanation engine in one run, for a GPU machine with JAX (CUDA) and no
# TensorFlow: the engine benchmark for the CNN (with the original recipe beside it), whole jobs
# through Redis + Celery worker + API, the VGG16 shape (untrained, timing only) and the music-VGG
# transfer bundle. Each step has its own time limit and writes its JSON as soon as it is done.
#
#   benchmarks/gpu_proof.sh OUT [WHEELS] [REDIS_SERVER] [CLIPS]
#
# WHEELS: Python 3.12 wheels of what the machine lacks (Keras, librosa, shap, lime, Celery, FastAPI…);
# REDIS_SERVER: a redis-server binary (libraries beside it in lib/); CLIPS: a folder of 30 s WAV clips
# holding CLIP (default jazz.00004.wav), the clip the engine benchmarks explain and the job benchmark
# warms up with. DEVICE=cpu and NUM_SAMPLES rehearse it all on a CPU; BUDGET_S (default 560) caps
# the whole run: a step never gets more than what is left of it.
set -uo pipefail
out=${1:?usage: gpu_proof.sh OUT [WHEELS] [REDIS_SERVER] [CLIPS]}
wheels=${2:-.gpu/whl}
redis=${3:-.gpu/redis/redis-server}
clips=${4:-.gpu/clips}
device=${DEVICE:-gpu}
samples=${NUM_SAMPLES:-1000}
budget=${BUDGET_S:-560}
mkdir -p "$out"
logs=$(mktemp -d)
if [ -d "$wheels" ]; then
  python3 -m pip install -q --no-index --no-deps --no-compile --no-cache-dir --target /tmp/site "$wheels"/*.whl || exit 1
  export PYTHONPATH=/tmp/site:$PWD
fi
export KERAS_BACKEND=jax XLA_PYTHON_CLIENT_PREALLOCATE=false PYTHONUNBUFFERED=1 TF_CPP_MIN_LOG_LEVEL=3
nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv >"$out/gpu.txt" 2>&1 || echo "no nvidia-smi" >"$out/gpu.txt"
clip=$clips/${CLIP:-jazz.00004.wav}
mapfile -t others < <(ls "$clips"/*.wav | grep -v -F "$clip" | sort)

step() {  # step NAME SECONDS COMMAND...: run with a limit, keep going on failure
  local name=$1 limit=$2 left=$((budget - SECONDS))
  shift 2
  ((limit > left)) && limit=$left
  if ((limit < 20)); then
    echo "=== $name: skipped, ${left} s of the budget left"
    return
  fi
  echo "=== $name ($(date +%T), limit $limit s)"
  local t0=$SECONDS
  timeout "$limit" "$@" >"$logs/$name.log" 2>&1
  local rc=$?
  echo "=== $name: exit $rc after $((SECONDS - t0)) s"
  { echo "=== $name: exit $rc"; cat "$logs/$name.log"; } >>"$out/steps.log"
  grep -v -i "warning\|^I0000\|absl\|it/s\|regular matrix\|turn up\|group features" "$logs/$name.log" | tail -n 25
}

common=(--backend jax --device "$device" --num-samples "$samples" --repeats 3)
step cnn 300 python3 benchmarks/explain_speed.py --bundle models/demo --clip "$clip" "${common[@]}" \
  --batch-size 2048 --max-batch-windows 2048 --out "$out/explain_speed_gpu_cnn.json"
step jobs 240 python3 benchmarks/job_latency.py --backend jax --batch-size 2048 --model demo \
  --games clip --num-samples "$samples" --redis-server "$redis" --clips "$clip" "${others[@]}" --out "$out/job_latency_gpu_cnn.json"
step vgg16_bundle 120 python3 benchmarks/untrained_bundle.py --like models/demo --arch vgg16 \
  --out /tmp/models/vgg16-untrained
step vgg16 300 python3 benchmarks/explain_speed.py --bundle /tmp/models/vgg16-untrained --clip "$clip" \
  "${common[@]}" --skip-recipe --segmentations time_frequency --batch-size 512 --max-batch-windows 512 \
  --out "$out/explain_speed_gpu_vgg16.json"
step transfer 240 python3 benchmarks/explain_speed.py --bundle models/demo-transfer --clip "$clip" \
  "${common[@]}" --skip-recipe --segmentations time_frequency superpixel --batch-size 2048 \
  --max-batch-windows 2048 --out "$out/explain_speed_gpu_transfer.json"
echo "=== done ($(date +%T))"

"""The OpenAPI document is the contract: schemathesis (every check, its examples, coverage, fuzzing
and stateful phases, a fixed seed and a bounded number of examples) finds no server error and no
answer the document does not declare, against the real embedded service, with API keys off (a first
run) and on (a public deployment, the key sent on every request)."""

import subprocess
import sys
from pathlib import Path

import pytest

from musicxai.service.access import hash_key
from tests.support.data import ROOT
from tests.support.services import running_api, service_env

SEED = 20261203
MAX_EXAMPLES = 20  # per operation and phase: ~3 minutes on 2 cores


KEY = "contract-test-key"
WITH_KEYS = {  # one key; limits far above what the run sends, so a refusal is the contract's, not a quota's
    "api_keys": f"fuzzer:{hash_key(KEY)}",
    "rate_limit": "100000/minute",
    "upload_rate_limit": "100000/minute",
    "max_queued_jobs_per_key": "1000",
}


@pytest.mark.parametrize("keys", [False, True], ids=["keys-off", "keys-on"])
def test_schemathesis_finds_no_contract_failure(tiny_bundle, tmp_path, keys):
    settings = WITH_KEYS if keys else {}
    env = service_env(tiny_bundle, tmp_path / "data", max_upload_bytes=str(2 * 1024 * 1024), **settings)
    auth = ["--header", f"Authorization: Bearer {KEY}"] if keys else []
    with running_api(env, tmp_path) as service:
        run = subprocess.run(
            [
                str(Path(sys.executable).with_name("schemathesis")),
                "run",
                f"{service.url}/openapi.json",
                "--checks",
                "all",
                "--phases",
                "examples,coverage,fuzzing,stateful",
                "--max-examples",
                str(MAX_EXAMPLES),
                "--seed",
                str(SEED),
                "--generation-deterministic",
                "--request-timeout",
                "60",
                "--no-color",
                *auth,
            ],
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=900,
        )
    assert run.returncode == 0, run.stdout[-6000:] + run.stderr[-2000:]

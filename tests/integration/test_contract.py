"""The OpenAPI document is the contract: schemathesis (every check, its examples, coverage, fuzzing
and stateful phases, a fixed seed and a bounded number of examples) finds no server error and no
answer the document does not declare, against the real embedded service."""

import subprocess
import sys
from pathlib import Path

from tests.conftest import ROOT
from tests.integration.conftest import running_api, service_env

SEED = 20261203
MAX_EXAMPLES = 20  # per operation and phase: ~3 minutes on 2 cores


def test_schemathesis_finds_no_contract_failure(tiny_bundle, tmp_path):
    env = service_env(tiny_bundle, tmp_path / "data", max_upload_bytes=str(2 * 1024 * 1024))
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
            ],
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=900,
        )
    assert run.returncode == 0, run.stdout[-6000:] + run.stderr[-2000:]

# The two commands of the README, plus the ones that rebuild the demo model.
.PHONY: setup serve test lint demo-corpus demo-model

setup:
	./scripts/setup.sh

serve: setup
	.venv/bin/musicxai serve --host $${HOST:-127.0.0.1} --port $${PORT:-8000}

test: setup
	./scripts/test.sh

lint: setup
	.venv/bin/ruff check .
	.venv/bin/ruff format --check .

demo-corpus: setup
	.venv/bin/musicxai corpus --out data/demo-corpus --clips-per-genre 100 --seconds 30 --seed 0

demo-model: demo-corpus
	.venv/bin/musicxai train --data data/demo-corpus --out models/demo --arch cnn --seed 0

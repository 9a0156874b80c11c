# The two commands of the README, plus the ones that rebuild the demo model.
.PHONY: setup serve test lint demo-corpus demo-model demo-transfer-model

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
	.venv/bin/musicxai ale --bundle models/demo --data data/demo-corpus

demo-transfer-model: demo-corpus
	.venv/bin/musicxai train --data data/demo-corpus --out models/demo-transfer --arch music-vgg --backbone MSD_vgg --seed 0
	.venv/bin/musicxai ale --bundle models/demo-transfer --data data/demo-corpus

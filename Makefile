# The two commands of the README, plus the ones that rebuild the demo models (ALE plots and per-genre maps included).
.PHONY: setup serve test test-fast lint docs demo-corpus realset demo-model demo-transfer-model demo-tags-model demo-student-model detector

setup:
	./scripts/setup.sh

serve: setup
	.venv/bin/musicxai serve --host $${HOST:-127.0.0.1} --port $${PORT:-8000}

test: setup
	./scripts/test.sh

# The unit and in-process app tests that take under half a second each: a check while you work
test-fast: setup
	.venv/bin/python -m pytest -m "(unit or app) and not slow" -q

lint: setup
	.venv/bin/ruff check .
	.venv/bin/ruff format --check .

# The documentation site (mkdocs.yml, docs/) into site/; regenerate its tables first with
# .venv/bin/python scripts/docs_tables.py when a benchmark, the routes or the modules changed.
docs: setup
	NO_MKDOCS_2_WARNING=1 .venv/bin/mkdocs build --strict --site-dir site

demo-corpus: setup
	.venv/bin/musicxai corpus --out data/demo-corpus --clips-per-genre 100 --seconds 30 --seed 0

demo-model: demo-corpus
	.venv/bin/musicxai train --data data/demo-corpus --out models/demo --arch cnn --seed 0
	.venv/bin/musicxai ale --bundle models/demo --data data/demo-corpus
	.venv/bin/musicxai genre-maps --bundle models/demo --data data/demo-corpus --per-genre 8

demo-transfer-model: demo-corpus
	.venv/bin/musicxai train --data data/demo-corpus --out models/demo-transfer --arch music-vgg --backbone MSD_vgg --seed 0
	.venv/bin/musicxai ale --bundle models/demo-transfer --data data/demo-corpus
	.venv/bin/musicxai genre-maps --bundle models/demo-transfer --data data/demo-corpus --per-genre 8

realset: setup
	.venv/bin/musicxai realset --out data/realset

demo-tags-model: demo-corpus realset
	.venv/bin/musicxai train --data data/demo-corpus --out models/demo-tags-emb --arch music-tags --tag-head tags+embeddings --realset data/realset --seed 0
	.venv/bin/musicxai ale --bundle models/demo-tags-emb --data data/demo-corpus --bins 8 --max-clips 40
	.venv/bin/musicxai genre-maps --bundle models/demo-tags-emb --data data/demo-corpus --per-genre 4

demo-student-model: demo-tags-model
	.venv/bin/musicxai train --data data/demo-corpus --out models/demo-student --arch cnn-student --teacher models/demo-tags-emb --realset data/realset --seed 0 --epochs 8 --patience 2 --batch-size 128
	.venv/bin/musicxai ale --bundle models/demo-student --data data/demo-corpus --bins 8 --max-clips 40
	.venv/bin/musicxai genre-maps --bundle models/demo-student --data data/demo-corpus --per-genre 8

detector: demo-corpus realset
	.venv/bin/musicxai detector --realset data/realset --corpus data/demo-corpus --out models/detector

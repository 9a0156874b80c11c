# The two commands of the README, plus the ones that rebuild the demo models (ALE plots and per-genre maps included).
.PHONY: setup serve test test-fast lint docs demo-corpus realset demo-model demo-transfer-model demo-tags-model demo-student-model detector tagger-bundles

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

# The two musicnn taggers as bundles of their own: 16 kHz audio in 2.992 s chunks (187 frames of their log-mel),
# 50 independent tags, explained on the audio; a VGG window costs ~100x our student's, so their default
# explanation plays smaller games (4 bands, 32 samples a window) and draws shorter faithfulness curves
TAGGER_FLAGS = --input filterbank --sample-rate 16000 --chunk-seconds 2.992 --fbank-extractor logmel-log10 \
	--fbank-mels 96 --fbank-n-fft 512 --fbank-hop 256 --fbank-frames 187 --fbank-channel --output tags \
	--explanation-defaults '{"n_bands": 4, "num_samples": 32, "faithfulness_points": 16, "random_orders": 2}'
tagger-bundles: setup
	for t in MSD MTT; do \
	  name=musicnn-$$(echo $$t | tr A-Z a-z); rm -rf models/$$name; \
	  .venv/bin/musicxai bundle create --model models/pretrained/$${t}_vgg/backbone.keras $(TAGGER_FLAGS) \
	    --labels-file models/pretrained/$${t}_vgg/tags.json --provenance models/pretrained/$${t}_vgg/source.json \
	    --description "$$(.venv/bin/python -c "import json; print(json.load(open('models/pretrained/$${t}_vgg/source.json'))['trained_on'])")" \
	    --out models/$$name || exit 1; \
	  cp models/pretrained/$${t}_vgg/LICENSE models/$$name/; \
	done

# Helpline Intake: `make run` starts the assistant, `make test` checks everything.
SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := help

VENV := .venv
BIN := $(VENV)/bin
PY := $(BIN)/python
RASA := $(BIN)/rasa
INSTALLED := $(VENV)/.installed
# One model per language (README, "One model or one per language"): data/*.yml trains the English
# NLU and the dialogue, data/es/ the Spanish NLU; both read data/switch_language.yml and the FAQ
# answers. The Spanish archive sits beside the English one (helpline_rasa/nlu_router.py finds it).
MODEL := models/current.tar.gz
MODEL_ES := models/current-es.tar.gz
DATA_EN := $(wildcard data/*.yml)
DATA_ES := data/es data/switch_language.yml data/faq_responses.yml
# Retrain when the content of the training inputs (with the crisis corpus and model code) changes (not their dates,
# which git checkouts and editors change freely).
FINGERPRINT := $(shell cat config.yml domain.yml data/*.yml data/es/*.yml corpus/crisis/*.yml helpline/safety/crisis_model.py helpline_rasa/crisis_detector.py | sha256sum | cut -c1-16)
MODEL_STAMP := models/.trained-$(FINGERPRINT)
UV_VERSION := 0.13.9

# Quiet TensorFlow's start-up chatter; it says nothing we act on.
export TF_CPP_MIN_LOG_LEVEL ?= 2
export SQLALCHEMY_SILENCE_UBER_WARNING ?= 1

.PHONY: help install train run test lint test-unit test-data test-model nlu-report safety-report blind-round language-round faq-round faq-calibrate crisis-report bench bench-load clean

help:
	@echo "make run          install if needed, train if data changed, start the assistant (Ctrl-C stops)"
	@echo "make test         every check: lint, pytest, rasa data validate, rasa test, end-to-end"
	@echo "make lint         ruff (style, imports, likely bugs) and mypy (types); settings in pyproject.toml"
	@echo "make train        train a model if config, domain or data changed"
	@echo "make nlu-report   train and measure NLU on the held-out set (tests/nlu_test.yml)"
	@echo "make safety-report  crisis-detection recall and false-positive rate"
	@echo "make blind-round ROUND=file.yml  first-run figures of a blind crisis round (scripts/blind_round.py)"
	@echo "make faq-round ROUND=file.yml  first-run figures of a blind FAQ round (scripts/faq_round.py)"
	@echo "make language-round ROUND=file.yml  language identification figures on a probe (scripts/language_round.py)"
	@echo "make faq-calibrate  when the FAQ asks instead of answering: the trade-off on held-out data"
	@echo "make crisis-report  cross-validated figures of the crisis model and lexicon, with threshold trade-offs"
	@echo "make bench        start-up, reply latency and shutdown of the running assistant"
	@echo "make bench-load   latency and throughput under concurrent load: one stack, scaled out, rasa init floor"
	@echo "make clean        remove models, reports and local data (var/)"

# The environment is rebuilt only when the lock or the project metadata change.
$(INSTALLED): requirements.lock pyproject.toml
	@if [ ! -x $(PY) ]; then \
	  python310="$${PYTHON310:-$$(scripts/find-python310.sh)}"; \
	  echo "Creating $(VENV) with $$python310"; \
	  "$$python310" -m venv $(VENV); \
	fi
	@$(PY) -m pip install --quiet --disable-pip-version-check "uv==$(UV_VERSION)"
	$(BIN)/uv pip sync --python $(PY) requirements.lock
	$(BIN)/uv pip install --python $(PY) --no-deps --editable .
	@touch $@

install: $(INSTALLED)

$(MODEL_STAMP): $(INSTALLED)
	mkdir -p models
	rm -f models/.trained-*
	# The two trainings run side by side (each its own cache: one SQLite file would be written by both).
	RASA_CACHE_DIRECTORY=.rasa/cache-es $(RASA) train --config config.yml --domain domain.yml --data $(DATA_ES) --out models --fixed-model-name current-es > models/train-es.log 2>&1 & es=$$!; \
	  $(RASA) train --config config.yml --domain domain.yml --data $(DATA_EN) --out models --fixed-model-name current || { kill $$es; exit 1; }; \
	  wait $$es || { echo "Spanish model training failed:"; tail -40 models/train-es.log; exit 1; }
	@touch $@

train: $(MODEL_STAMP)

run: $(MODEL_STAMP)
	$(BIN)/helpline run --model $(MODEL)

test: lint test-unit test-data test-model

# Static checks, before anything runs; both read their settings from pyproject.toml.
lint: $(INSTALLED)
	$(BIN)/ruff check .
	$(BIN)/mypy

# Plain-Python core and adapters; needs no model.
test-unit: $(INSTALLED)
	$(PY) -m pytest -m "not model and not e2e" -q

test-data: $(INSTALLED)
	$(RASA) data validate --config config.yml --domain domain.yml --data data --fail-on-warnings

# Everything that needs the trained model: test stories, held-out NLU, end-to-end.
test-model: $(MODEL_STAMP)
	$(RASA) test core --model $(MODEL) --stories tests/stories --out reports/core --fail-on-prediction-errors --no-plot
	$(PY) -m pytest -m "model or e2e" -q

nlu-report: $(INSTALLED)
	$(PY) scripts/nlu_report.py --trainings $(or $(TRAININGS),1)

safety-report: $(MODEL_STAMP)
	$(PY) scripts/safety_report.py --model $(MODEL)

# A blind round is scored before it is folded into corpus/crisis/ (README, "Blind rounds").
blind-round: $(MODEL_STAMP)
	@test -n "$(ROUND)" || { echo "usage: make blind-round ROUND=path/to/round.yml"; exit 2; }
	$(PY) scripts/blind_round.py $(ROUND) --model $(MODEL)

language-round: $(INSTALLED)
	@test -n "$(ROUND)" || { echo "usage: make language-round ROUND=corpus/language/round.yml"; exit 2; }
	$(PY) scripts/language_round.py $(ROUND)

faq-round: $(MODEL_STAMP)
	@test -n "$(ROUND)" || { echo "usage: make faq-round ROUND=path/to/questions.yml"; exit 2; }
	$(PY) scripts/faq_round.py $(ROUND) --model $(MODEL)

faq-calibrate: $(MODEL_STAMP)
	$(PY) scripts/faq_calibrate.py --model $(MODEL)

crisis-report: $(INSTALLED)
	$(PY) scripts/crisis_model_report.py

bench: $(MODEL_STAMP)
	$(PY) scripts/bench_startup.py --model $(MODEL)

# Needs PostgreSQL, Redis and HAProxy for the scaled-out stack; about 10-15 minutes.
bench-load: $(MODEL_STAMP)
	scripts/ensure-services.sh
	$(PY) scripts/bench_load.py --model $(MODEL)

clean:
	rm -rf models reports results var .pytest_cache .mypy_cache .ruff_cache

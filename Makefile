# Msaidizi — the front door. `make` lists the targets.
SHELL := /bin/bash
.DEFAULT_GOAL := help

VENV      := .venv
BIN       := $(VENV)/bin
PY        := $(BIN)/python
STAMP     := $(VENV)/.installed-stamp
MODEL     := models/msaidizi.tar.gz
# The chat widget's one npm dependency (socket.io-client), installed from the lock.
WEB_STAMP := web/node_modules/.npm-ci-stamp
CHROMIUM  := /usr/bin/chromium
export TF_CPP_MIN_LOG_LEVEL ?= 2
export PYTHONDONTWRITEBYTECODE := 1
# No usage telemetry leaves an officer-facing deployment unless an operator opts in.
export RASA_TELEMETRY_ENABLED ?= false
export SQLALCHEMY_SILENCE_UBER_WARNING ?= 1

# What a trained model depends on; a change to any of these retrains (and Rasa's
# own fingerprint then retrains only the parts that changed).
TRAIN_INPUTS := config.yml bot/language.py $(shell find domain data/nlu data/rules data/stories bot/nlu bot/dialogue bot/lexicon -type f \( -name '*.yml' -o -name '*.py' -o -name '*.txt' \) 2>/dev/null)

.PHONY: help
help: ## show this help
	@echo "Msaidizi — bilingual helpdesk bot for public officers' digital-skills training"
	@echo
	@awk 'BEGIN {FS = ":.*## "} /^[a-zA-Z_-]+:.*## / {printf "  make %-10s %s\n", $$1, $$2}' $(MAKEFILE_LIST)

$(STAMP): requirements.lock pyproject.toml
	@python=$$(scripts/find-python) || exit 1; \
	  echo "==> creating $(VENV) with $$python"; \
	  [ -x $(PY) ] && $(PY) -c 'import sys; sys.exit(sys.version_info[:2] != (3, 10))' 2>/dev/null \
	    || { rm -rf $(VENV); "$$python" -m venv $(VENV); }
	$(PY) -m pip install --quiet --disable-pip-version-check "pip==24.3.1"
	$(PY) -m pip install --quiet --disable-pip-version-check -r requirements.lock
	$(PY) -m pip install --quiet --disable-pip-version-check --no-deps --no-build-isolation -e .
	@touch $@

.PHONY: install
install: $(STAMP) ## create .venv and install the locked dependencies (only when the lock changed)

$(WEB_STAMP): web/package.json web/package-lock.json
	@command -v npm >/dev/null || { echo "npm is needed for the chat widget: install Node.js 18+ (e.g. apt-get install nodejs npm)" >&2; exit 1; }
	cd web && npm ci --ignore-scripts --no-audit --no-fund
	@touch $@

.PHONY: web
web: $(WEB_STAMP) ## install the chat widget's npm dependency (only when web/package-lock.json changed)

.PHONY: chromium
chromium: ## install the system Chromium the browser tests drive (apt), unless present
	@if [ ! -x $(CHROMIUM) ]; then \
	  sudo=$$([ "$$(id -u)" = 0 ] || echo sudo); \
	  echo "==> installing chromium (for the browser tests)"; \
	  $$sudo apt-get install -y chromium || { $$sudo apt-get update && $$sudo apt-get install -y chromium; }; \
	fi

.PHONY: nginx
nginx: ## install Debian's nginx-light (run-prod and its reliability tests), unless nginx is present
	@if ! command -v nginx >/dev/null && [ ! -x /usr/sbin/nginx ]; then \
	  sudo=$$([ "$$(id -u)" = 0 ] || echo sudo); \
	  echo "==> installing nginx-light (for make run-prod and its tests)"; \
	  $$sudo apt-get install -y nginx-light || { $$sudo apt-get update && $$sudo apt-get install -y nginx-light; }; \
	fi

.PHONY: lock
lock: ## re-resolve pyproject.toml into requirements.lock
	scripts/lock.sh

$(MODEL): $(STAMP) $(TRAIN_INPUTS)
	@echo "==> training (data or config changed)"
	@touch models/.training-started
	@# Rasa's training cache knows a component by its configuration, not its code:
	@# when our components' code changed, nothing cached may be reused.
	$(BIN)/rasa train --domain domain --fixed-model-name msaidizi --out models --num-threads 2 \
	  $(if $(filter %.py,$?),--force)
	@# The model is as new as the inputs it was trained on: an edit made during
	@# training leaves it older than that file, so the next make retrains.
	@touch -r models/.training-started $@ && rm -f models/.training-started

.PHONY: train
train: $(MODEL) ## train the model if data, domain or config changed

.PHONY: db
db: $(STAMP) ## migrate and seed the enrolment database (DATABASE_URL, default var/msaidizi.db)
	$(PY) -m bot.db setup

.PHONY: run
run: $(STAMP) $(WEB_STAMP) $(MODEL) db ## set up, then start Rasa (5005), the action server (5055) and the chat page (8000); Ctrl-C stops all
	$(PY) -m bot.serve

.PHONY: run-prod
run-prod: $(STAMP) $(WEB_STAMP) $(MODEL) nginx ## production profile: PostgreSQL, Redis, 2 Rasa replicas and 2 action servers behind nginx on :8080 (docs/deploying.md)
	$(PY) -m bot.serve_prod

.PHONY: validate
validate: $(STAMP) ## check training data and domain (rasa data validate --fail-on-warnings)
	$(BIN)/rasa data validate --domain domain --fail-on-warnings

.PHONY: lint
lint: $(STAMP) ## ruff lint and format check
	$(BIN)/ruff check bot actions tests
	$(BIN)/ruff format --check bot actions tests

.PHONY: test
test: $(STAMP) $(WEB_STAMP) chromium nginx $(MODEL) lint validate ## every test: unit, integration against real servers, browser, conversation tests
	$(BIN)/pytest -ra
	$(BIN)/rasa test core --model $(MODEL) --stories tests/conversations \
	  --fail-on-prediction-errors --out results/conversations

.PHONY: evaluate
evaluate: $(STAMP) $(MODEL) ## train from scratch, score the held-out sets, compare, write docs/evaluation.md
	$(PY) -m bot.evaluate --report docs/evaluation.md
	$(BIN)/rasa test core --model $(MODEL) --stories tests/conversations --out results/conversations

.PHONY: bench
bench: $(STAMP) $(MODEL) ## load benchmark: 50 concurrent conversations for 2 min against Msaidizi and a bare Rasa bot (bench/README.md)
	$(PY) bench/load.py $(BENCH_ARGS)

.PHONY: clean
clean: ## remove trained models, test results and caches (keeps .venv and var/)
	rm -rf models/*.tar.gz results .pytest_cache .ruff_cache .rasa test-artifacts
	find . -name __pycache__ -type d -not -path './$(VENV)/*' -prune -exec rm -rf {} +

.PHONY: distclean
distclean: clean ## also remove .venv, web/node_modules and the local databases in var/
	rm -rf $(VENV) var web/node_modules

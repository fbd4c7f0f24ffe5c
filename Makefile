# Maillage — two commands set everything up on a fresh machine:
#   make demo   virtualenv + install + demo sources through the real harvesters + index + site on :8000
#   make test   the whole suite (SQLite, then the store tests again on a throwaway PostgreSQL)
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp
NPM_STAMP := node_modules/.installed-stamp
HOST ?= 127.0.0.1
PORT ?= 8000
DEMO_DIR ?= var/demo
PYTEST_WORKERS ?= 2
MAILLAGE := $(BIN)/maillage

.PHONY: install test test-sqlite test-postgres demo demo-data serve bench clean

DI_REFERENTIELS := schemas/referentiels/thematiques.csv

install: $(STAMP) $(NPM_STAMP) $(DI_REFERENTIELS)

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -e '.[dev]'
	touch $@

# The data·inclusion v1 referentiels, from the official package's enums (not tracked in git).
$(DI_REFERENTIELS): $(STAMP)
	$(BIN)/python -m schemas.sync --referentiels

# DSFR assets and the official COG / postal-code data, pinned by package-lock.json.
# --ignore-scripts: nothing from the registry runs on this machine at install time.
$(NPM_STAMP): package.json package-lock.json
	npm ci --ignore-scripts --no-audit --no-fund --loglevel=error
	touch $@

test: test-sqlite test-postgres

test-sqlite: install
	$(BIN)/pytest -n $(PYTEST_WORKERS)

# The store tests again, on PostgreSQL (installed from Debian packages if missing and root).
test-postgres: install
	@url=$$(.ci/postgres.sh start) || { echo "PostgreSQL indisponible : tests PostgreSQL non lancés."; exit 0; }; \
	echo "Tests du stockage sur PostgreSQL ($$url)"; \
	MAILLAGE_TEST_DATABASE_URL=$$url $(BIN)/pytest -n $(PYTEST_WORKERS) -m store; rc=$$?; \
	.ci/postgres.sh stop; exit $$rc

# The demo catalog: official territories, every demo/*/sources.json harvested, index rebuilt.
demo-data: install
	rm -rf $(DEMO_DIR)
	# The catalog is still empty here: communes are placed from its records after the harvest.
	MAILLAGE_DATA_DIR=$(DEMO_DIR) $(MAILLAGE) territories load --from node_modules --no-from-records
	MAILLAGE_DATA_DIR=$(DEMO_DIR) $(MAILLAGE) demo load demo
	# Offline, communes are placed from the records' own coordinates (see README, territoires).
	MAILLAGE_DATA_DIR=$(DEMO_DIR) $(MAILLAGE) territories positions
	MAILLAGE_DATA_DIR=$(DEMO_DIR) $(MAILLAGE) index rebuild

demo: demo-data
	MAILLAGE_DATA_DIR=$(DEMO_DIR) $(MAILLAGE) serve --host $(HOST) --port $(PORT)

serve: install
	$(MAILLAGE) serve --host $(HOST) --port $(PORT)

bench: install
	$(BIN)/python bench/harvest.py --rows 100000

clean:
	rm -rf $(VENV) var node_modules *.egg-info

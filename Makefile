# Makefile: the entry points. `make help` lists them.
.DEFAULT_GOAL := help
SHELL := /bin/bash
VENV := .venv
CLI := $(VENV)/bin/cli-app
ENV := set -a; . .pg/env; set +a;
DEMO_PORT ?= 8000
ANSWERS := open_orders top_dates pending_items top_customers

.PHONY: help setup up down clean deploy demo test bench psql-source psql-warehouse docs

help: ## List the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-16s %s\n", $$1, $$2}'

setup: ## Install PostgreSQL 15 + pg_cron (as root) and the project into .venv
	@scripts/setup.sh

up: ## Start the embedded source (55432) and warehouse (55433) clusters; writes .pg/env
	@scripts/pg.sh up

down: ## Stop both clusters (data kept)
	@scripts/pg.sh down

clean: ## Stop both clusters and delete their data
	@scripts/pg.sh clean

deploy: setup up ## Apply migrations, object files and replication on both clusters
	@$(CLI) deploy

demo: deploy ## Bring everything up, start live traffic, show the health and the answers, serve the dashboard
	@$(CLI) traffic tick --scale 5
	@$(CLI) traffic start
	@$(CLI) watch --seconds 16 --every 4
	@# The answers follow whatever the health says: a newcomer should see the numbers either way.
	-@$(CLI) status
	@for q in $(ANSWERS); do echo; echo "== cli-app --query $$q"; $(CLI) --query $$q || exit 1; done
	@echo; echo "== cli-app --query open_orders --export"; $(CLI) --query open_orders --export
	@echo; echo "== cli-app serve: Ctrl-C stops it; the clusters and the traffic keep running (make down stops them)"
	@$(CLI) serve --port $(DEMO_PORT)

test: setup ## Run the test suite against its own clusters (started and stopped here)
	@scripts/test.sh

bench: setup ## Run the benchmarks (SCALE=1m|10m orders; BENCH=peers ARGS="--minutes 1": one, with options); see bench/README.md
	@scripts/bench.sh $(ARGS)

docs: setup ## Regenerate the CLI reference in README.md from the code
	@$(VENV)/bin/python scripts/cli_reference.py

psql-source: up ## Open psql on the source
	@$(ENV) psql "$$SOURCE_DSN"

psql-warehouse: up ## Open psql on the warehouse
	@$(ENV) psql "$$WAREHOUSE_DSN"

# mallbots developer and CI entry points. `make help` lists the targets.
#
# Configuration reaches the binary through MALLBOTS_* environment variables,
# which make passes through untouched, e.g.
#   MALLBOTS_HTTP_ADDR=:9090 make run
#   make run ARGS=--service=orders,payments

.DEFAULT_GOAL := help
SHELL := /bin/bash

GO ?= go
BIN := bin/mallbots
ARGS ?=

.PHONY: help services build run test bench fmt clean

help: ## Show this list of targets
	@echo "Usage: make <target>"
	@awk 'BEGIN { FS = ":.*## " } /^[a-zA-Z_-]+:.*## / { printf "  %-9s %s\n", $$1, $$2 }' $(MAKEFILE_LIST)

services: ## Install/start PostgreSQL and RabbitMQ locally if needed (scripts/services.sh)
	./scripts/services.sh

build: ## Build the binary into bin/mallbots
	$(GO) build -o $(BIN) .

# exec so that Ctrl-C / SIGTERM reach mallbots directly and it can drain gracefully.
run: services build ## Migrate the database, then serve every service (ARGS=... adds serve flags)
	./$(BIN) migrate
	exec ./$(BIN) serve $(ARGS)

# CI defaults to true here: integration tests then fail, instead of skipping,
# when PostgreSQL or RabbitMQ is unreachable. Set CI=false to allow skips.
test: services ## Check gofmt, run go vet, then all tests against the local servers
	@unformatted="$$(gofmt -l .)"; \
	if [ -n "$$unformatted" ]; then \
		echo "gofmt: these files are not formatted (run 'make fmt'):"; \
		echo "$$unformatted"; \
		exit 1; \
	fi
	$(GO) vet ./...
	CI=$${CI:-true} $(GO) test -count=1 -timeout 20m ./...

bench: services ## Run the benchmarks in ./bench once each
	@[ -d bench ] || { echo "bench: there is no ./bench package yet"; exit 1; }
	$(GO) test -run '^$$' -bench . -benchtime 1x ./bench/...

fmt: ## Format all Go files in place
	gofmt -w .

clean: ## Remove build output
	rm -rf bin

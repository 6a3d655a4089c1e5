# wasp — top-level make targets. Each area owns one file under mk/ and appends
# its targets to TEST_TARGETS / BENCH_TARGETS / FUZZ_TARGETS; this file only
# wires them together. `make help` lists the targets.
SHELL := /bin/bash
.SHELLFLAGS := -euo pipefail -c
.DEFAULT_GOAL := help

GO ?= go
# Tools and test assets built by make (kube-apiserver, etcd, helm, ...) are
# cached here, outside the repository, so a clean clone rebuilds nothing twice.
WASP_CACHE ?= $(HOME)/.cache/wasp
export WASP_CACHE

TEST_TARGETS :=
BENCH_TARGETS :=
FUZZ_TARGETS :=
BUILD_TARGETS :=

include $(sort $(wildcard mk/*.mk))

.PHONY: help build test bench fuzz lint clean
help: ## list targets
	@grep -hE '^[a-zA-Z0-9_-]+:.*## ' $(MAKEFILE_LIST) | sort | awk -F':.*## ' '{printf "  %-22s %s\n", $$1, $$2}'

build: $(BUILD_TARGETS) ## build everything (wasm filters, the wasp binary)

test: lint $(TEST_TARGETS) ## run every test (what CI runs)

bench: $(BENCH_TARGETS) ## run every benchmark and print the figures

fuzz: $(FUZZ_TARGETS) ## run every fuzz target for FUZZTIME (default 30s each)

lint: ## gofmt + go vet over every module
	@out=$$(gofmt -l $$(git ls-files '*.go')); if [ -n "$$out" ]; then echo "gofmt needed:"; echo "$$out"; exit 1; fi
	$(GO) vet $(addsuffix /...,$(shell $(GO) list -m -f '{{.Dir}}' | sed "s|^$(CURDIR)|.|"))

clean: ## remove build outputs (not the tool cache in $(WASP_CACHE))
	rm -rf filters/dist bin

# Filter author kit: `make filter-new` scaffolds a custom Go proxy-wasm filter
# (tools/filterkit); `make test-filter-kit` proves a scaffolded filter builds
# and passes its own tests, the way docs/custom-filters.md tells users to run
# them, and runs the tests of the custom filters kept in this repository.

# Where scaffolded filters go by default. Each is a Go module of its own (with
# its own go.work), not part of wasp's workspace: the same files work inside
# and outside this checkout.
CUSTOM_FILTERS_DIR := filters/custom

.PHONY: filter-new test-filter-kit
TEST_TARGETS += test-filter-kit

filter-new: ## scaffold a Go filter: NAME=<name> [DIR=<dir>] (default DIR: filters/custom/<name>)
	@if [ -z "$(NAME)" ]; then echo "usage: make filter-new NAME=<name> [DIR=<dir>]" >&2; exit 2; fi
	$(GO) run ./tools/filterkit -name "$(NAME)" -dir "$(or $(DIR),$(CUSTOM_FILTERS_DIR)/$(NAME))" -wasp "$(CURDIR)"

# The commands run on each scaffold are the ones docs/custom-filters.md and
# the scaffold's README show (the go mod edit line fixes moved replace paths),
# in a shell without this make's variables, as a user types them. TMPDIR
# points into the outside scaffold so that the .wasm files wasmtest.Build
# leaves in the temp directory go away with it.
# Two scaffolds: outside the checkout (absolute replace paths, as a user's own
# repository has them) and inside it (relative paths, under wasp's go.work;
# a dot-directory, which no ./... pattern of wasp's modules matches, removed
# on exit like the other).
test-filter-kit: ## scaffold a filter (outside and inside the checkout), build it to .wasm, run its tests; test filters/custom/*
	$(GO) test ./tools/filterkit/...
	@outside=$$(mktemp -d); mkdir -p $(CUSTOM_FILTERS_DIR); inside=$$(mktemp -d $(CUSTOM_FILTERS_DIR)/.kit-test-XXXXXX); \
	trap 'rm -rf "$$outside" "$$inside"; rmdir $(CUSTOM_FILTERS_DIR) 2>/dev/null || true' EXIT; \
	for dir in "$$outside/demo" "$(CURDIR)/$$inside/demo"; do \
		echo "== filter kit: scaffold in $$dir"; \
		$(MAKE) --no-print-directory filter-new NAME=demo DIR="$$dir"; \
		(unset MAKEFLAGS MFLAGS MAKELEVEL; export TMPDIR="$$outside"; set -x; cd "$$dir" && \
			$(GO) test ./... && \
			$(GO) test -run Wasm -v ./... && \
			make test && \
			make wasm && \
			test -s dist/demo.wasm && \
			sha256sum dist/demo.wasm && \
			$(GO) test -run '^$$' -bench . -benchtime 100x ./... && \
			$(GO) mod edit -replace wasp.dev/filters=$(CURDIR)/filters \
				-replace github.com/tetratelabs/proxy-wasm-go-sdk/proxywasm/waspabi=$(CURDIR)/filters/abi && \
			$(GO) vet . && \
			gofmt -l . | (! grep .)); \
	done
	@for dir in $(CUSTOM_FILTERS_DIR)/*/; do \
		if [ -f "$$dir/Makefile" ]; then echo "== custom filter $$dir"; $(MAKE) --no-print-directory -C "$$dir" test; fi; \
	done

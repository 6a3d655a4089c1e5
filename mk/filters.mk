# filters module: Go proxy-wasm filters (standard toolchain, wasip1 c-shared),
# the bridge module (filters/abi) and the wazero test host (filters/wasmtest).
#
# `make wasm` builds every main package under filters/ (go list skips
# testdata/) to filters/dist/<dir name>.wasm, so a new filter is picked up
# without editing this file.
FILTERS_DIST := filters/dist
FILTERS_BENCHTIME ?= 1s
# Fuzz targets run this long each in `make fuzz-filters`; `make test-filters`
# runs their seed corpora plus FILTERS_FUZZ_SMOKE iterations each.
FUZZTIME ?= 30s
FILTERS_FUZZ_SMOKE ?= 200x
WASM_ENV := GOOS=wasip1 GOARCH=wasm CGO_ENABLED=0
# -ldflags="-s -w" drops the wasm name section and DWARF (0.12 MB of the
# built-in module); Go's own panic traces read pclntab and keep their
# function names. wasmtest.Build uses the same flags, so tests run the bytes
# that ship.
WASM_BUILDFLAGS := -buildmode=c-shared -trimpath -ldflags="-s -w"

.PHONY: wasm test-filters bench-filters bench-builtin soak-builtin fuzz-filters
BUILD_TARGETS += wasm
TEST_TARGETS += test-filters
BENCH_TARGETS += bench-filters
FUZZ_TARGETS += fuzz-filters

# filter_mains prints "<import path> <dir>" for every main package of the
# filters module.
define filter_mains
cd filters && $(WASM_ENV) $(GO) list -f '{{if eq .Name "main"}}{{.ImportPath}} {{.Dir}}{{end}}' ./...
endef

# fuzz_targets prints "<package dir> <FuzzName>" for every fuzz target under
# filters/ (grep finds the candidate packages; go test -list confirms).
define fuzz_targets
for dir in $$(grep -rl --include='*_test.go' '^func Fuzz' filters | xargs -r -n1 dirname | sort -u); do \
	for fz in $$(cd "$$dir" && $(GO) test -list '^Fuzz' . | grep '^Fuzz' || true); do echo "$$dir $$fz"; done; \
done
endef

wasm: ## build every filter under filters/ to filters/dist/<name>.wasm
	@mkdir -p $(FILTERS_DIST)
	@rm -f $(FILTERS_DIST)/*.wasm # a module that is gone must not be embedded
	@$(filter_mains) | while read -r pkg dir; do \
		name=$$(basename "$$dir"); \
		echo "wasm  $(FILTERS_DIST)/$$name.wasm  <- $$pkg"; \
		$(WASM_ENV) $(GO) build $(WASM_BUILDFLAGS) -o "dist/$$name.wasm" "$$pkg"; \
	done

test-filters: wasm ## test the filters (natively and as compiled wasm), the bridge and the wasm host
	cd filters && $(GO) test ./...
	cd filters/abi && $(GO) test ./... && $(WASM_ENV) $(GO) vet ./...
	@$(fuzz_targets) | while read -r dir fz; do \
		echo "fuzz smoke $$fz ($$dir, $(FILTERS_FUZZ_SMOKE))"; \
		(cd "$$dir" && $(GO) test -run '^$$' -fuzz "^$$fz\$$" -fuzztime $(FILTERS_FUZZ_SMOKE) .); \
	done

bench-filters: wasm ## the built-in filters' table (floor, each feature, seeds, allocations, memory, size; ratios to the floor), then every filter benchmark
	cd filters && $(GO) test -count=1 -run '^TestBuiltinTable$$' -v ./builtin -builtin.table -test.benchtime $(FILTERS_BENCHTIME) | grep -v '^=== RUN\|^--- PASS\|^PASS'
	cd filters && $(GO) test -run '^$$' -bench . -benchmem -benchtime $(FILTERS_BENCHTIME) ./...

soak-builtin: ## 1M requests through the built-in module (access log + rate limit): guest memory and allocations flat after warm-up (make test runs 200k)
	cd filters && WASP_SOAK_REQUESTS=1000000 $(GO) test -count=1 -timeout 30m -run '^TestBuiltinSoak$$' -v ./builtin

bench-builtin: ## only the BenchmarkBuiltin* benchmarks (one package, guest-allocs/op and linear-MiB)
	cd filters && $(GO) test -run '^$$' -bench BenchmarkBuiltin -benchmem -benchtime $(FILTERS_BENCHTIME) ./builtin

fuzz-filters: ## fuzz every Fuzz* target under filters/ for FUZZTIME each
	@$(fuzz_targets) | while read -r dir fz; do \
		echo "fuzz $$fz ($$dir, $(FUZZTIME))"; \
		(cd "$$dir" && $(GO) test -run '^$$' -fuzz "^$$fz\$$" -fuzztime $(FUZZTIME) .); \
	done

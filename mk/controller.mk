# controller module: policy CRDs (controller-gen), the pure Kubernetes -> IR
# translation (golden tests), the reconciler (envtest against a real
# kube-apiserver + etcd from `make envtest-assets`), and the wasp binary.
#
# The controller module is built with GOWORK=off: it is self-contained
# (go.mod replaces ../xds and ../filters), so its go.sum is what a clean
# clone uses, whatever state the workspace file is in.
CONTROLLER_GO := cd controller && GOWORK=off $(GO)
CONTROLLER_BENCHTIME ?= 1s
# The built-in filters embedded in the wasp binary (served to proxies by hash).
WASP_EMBED_DIR := controller/internal/wasmserver/dist

# FuzzIsolation (arbitrary manifests through translate + xDS translate +
# validate; user input may fail only its own object) runs its seed corpus in
# every `go test`; test-controller adds CONTROLLER_FUZZ_SMOKE new inputs,
# `make fuzz-controller` fuzzes it for FUZZTIME. Minimising is capped: the
# instrumented binary is large and minimising a manifest takes minutes.
CONTROLLER_FUZZ_SMOKE ?= 200x
CONTROLLER_FUZZ := $(CONTROLLER_GO) test ./internal/translate -run '^$$' -fuzz '^FuzzIsolation$$' -fuzzminimizetime 10x

.PHONY: wasm-embed test-controller bench-controller fuzz-controller generate verify-generate update-controller-golden build-wasp
TEST_TARGETS += test-controller
BENCH_TARGETS += bench-controller
FUZZ_TARGETS += fuzz-controller
BUILD_TARGETS += build-wasp

test-controller: envtest-assets wasm-embed ## test the controller: translate goldens, CLI, deploy objects, envtest suites
	$(CONTROLLER_GO) test -count=1 ./...
	$(CONTROLLER_FUZZ) -fuzztime $(CONTROLLER_FUZZ_SMOKE)

fuzz-controller: ## fuzz the controller's translate path (arbitrary manifests must never fail a whole proxy) for FUZZTIME
	$(CONTROLLER_FUZZ) -fuzztime $(or $(FUZZTIME),30s)

bench-controller: ## BenchmarkGatewayAPIToXDS/{small,medium,large}: Kubernetes objects -> IR -> validated Envoy resources
	$(CONTROLLER_GO) test -run '^$$' -bench BenchmarkGatewayAPIToXDS -benchmem -benchtime $(CONTROLLER_BENCHTIME) ./internal/translate

generate: ## regenerate deep copies, CRD YAML (config/crd/bases) and RBAC (config/rbac) with controller-gen
	$(CONTROLLER_GO) tool controller-gen object paths=./api/... crd:crdVersions=v1 output:crd:artifacts:config=config/crd/bases
	$(CONTROLLER_GO) tool controller-gen rbac:roleName=wasp-controller paths=./internal/controller/... output:rbac:artifacts:config=config/rbac

verify-generate: generate ## fail if generated files are stale
	@git diff --exit-code -- controller/api controller/config || { echo "run make generate and commit the result"; exit 1; }

update-controller-golden: ## rewrite controller/internal/translate/testdata/*.out.yaml (review the diff!)
	$(CONTROLLER_GO) test ./internal/translate -run 'Golden' -update

# wasm-embed copies the built filters where the wasp binary embeds them; the
# controller's tests also serve and fetch these real modules.
wasm-embed: wasm
	rm -f $(WASP_EMBED_DIR)/*.wasm
	cp filters/dist/*.wasm $(WASP_EMBED_DIR)/

build-wasp: wasm-embed ## build bin/wasp with the built-in filters embedded
	mkdir -p bin
	$(CONTROLLER_GO) build -trimpath -ldflags="-s -w" -o ../bin/wasp ./cmd/wasp

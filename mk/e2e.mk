# e2e module: the seeds end to end (real kube-apiserver + etcd, the Helm
# chart, the wasp controller process, a gRPC ADS client, the filters in
# wazero through wasp.dev/e2e/envoysim), `make demo`, and helm lint.
#
# Needs the envtest assets and helm (built and cached by mk/tools.mk) and
# bin/wasp with the filters embedded (mk/controller.mk's build-wasp).
# Recursive (=): ENVTEST_ASSETS and HELM come from mk/tools.mk, included later.
E2E_ENV = KUBEBUILDER_ASSETS=$(ENVTEST_ASSETS) HELM=$(HELM) WASP_BIN=$(CURDIR)/bin/wasp
# Each BenchmarkPropagation iteration is one policy change (3 <-> 5).
E2E_BENCHTIME ?= 20x

.PHONY: test-e2e bench-e2e demo helm-lint
TEST_TARGETS += test-e2e helm-lint
BENCH_TARGETS += bench-e2e

test-e2e: envtest-assets helm build-wasp ## seeds end to end: chart, controller process, ADS client, filters in wazero (+ envoysim unit tests)
	cd e2e && $(E2E_ENV) $(GO) test -count=1 -timeout 20m ./...

bench-e2e: envtest-assets helm build-wasp ## BenchmarkPropagation: policy change (maxTokens 3 <-> 5) to the proxy's ADS client
	cd e2e && $(E2E_ENV) $(GO) test -count=1 -run '^$$' -bench BenchmarkPropagation -benchtime $(E2E_BENCHTIME) .

demo: envtest-assets helm build-wasp ## the whole system on this machine, no cluster (DEMO_ONCE=1: exit when done)
	cd e2e && $(E2E_ENV) $(GO) run ./cmd/demo

helm-lint: helm ## helm lint --strict charts/wasp (defaults and the seeds' values)
	@tmp=$$(mktemp -d) && trap 'rm -rf "$$tmp"' EXIT && \
	  export HELM_CACHE_HOME=$$tmp/cache HELM_CONFIG_HOME=$$tmp/config HELM_DATA_HOME=$$tmp/data && \
	  $(HELM) lint --strict charts/wasp && \
	  $(HELM) lint --strict charts/wasp --set gatewayClasses.waypoint.name=kgateway-waypoint

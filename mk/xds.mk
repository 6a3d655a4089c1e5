# xds module: IR, translator (golden tests), ADS server (real gRPC clients).
XDS_BENCHTIME ?= 1s

.PHONY: test-xds bench-xds fuzz-xds update-xds-golden
TEST_TARGETS += test-xds
BENCH_TARGETS += bench-xds
FUZZ_TARGETS += fuzz-xds

test-xds: ## run the xds module's tests (goldens, ADS SotW + delta over loopback gRPC)
	cd xds && $(GO) test ./...

bench-xds: ## print BenchmarkTranslate (design b and a) and BenchmarkSetSnapshot
	cd xds && $(GO) test -run '^$$' -bench . -benchmem -benchtime $(XDS_BENCHTIME) ./translator ./server

fuzz-xds: ## fuzz the translator (arbitrary IR must give valid, consistent resources or an error) for FUZZTIME
	cd xds && $(GO) test ./translator -run '^$$' -fuzz '^FuzzTranslate$$' -fuzztime $(or $(FUZZTIME),30s)

update-xds-golden: ## rewrite xds/translator/testdata/*.out.yaml (review the diff!)
	cd xds && $(GO) test ./translator -run TestGolden -update

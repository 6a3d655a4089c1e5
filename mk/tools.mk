# Developer tools and test assets, built from the Go module proxy (the only
# source of binaries these machines can reach) and cached in $(WASP_CACHE),
# outside the repository. Every target here is a file target: present means
# done, so a second `make envtest-assets` or `make helm` does nothing.

# --- Pinned versions: the one place to change them ---------------------------
# kube-apiserver (and kubectl) of the release matching the k8s.io/* v0.37
# libraries that controller-runtime v0.25 and our modules link, so envtest
# serves exactly the API the client code is written against.
KUBERNETES_VERSION := v1.37.0
# etcd for envtest: the maintained 3.6 line, which Kubernetes 1.37 supports.
# (Kubernetes 1.37 itself links the v3.7.0 etcd client and kubeadm defaults to
# etcd 3.7.0; moving to v3.7.x is a one-line change here.)
ETCD_VERSION := v3.6.16
# Helm 3.22: the Helm 3 release built on the same k8s.io v0.37 libraries
# (client-go v0.37.0), so `helm template`/`lint` assume Kubernetes 1.37.
HELM_VERSION := v3.22.0

# --- Where things land --------------------------------------------------------
# One directory per version pair; envtest finds kube-apiserver, etcd and
# kubectl there through KUBEBUILDER_ASSETS (exported to every recipe). The
# paths are absolute because recipes cd into module directories.
ENVTEST_ASSETS ?= $(abspath $(WASP_CACHE))/envtest/kube-$(KUBERNETES_VERSION)-etcd-$(ETCD_VERSION)
export KUBEBUILDER_ASSETS := $(ENVTEST_ASSETS)
# envtest waits 20 s by default for each of etcd and kube-apiserver to come
# up; a first start on two shared cores can take longer, so every suite gets
# more room (an envtest.Environment field set in code still wins).
export KUBEBUILDER_CONTROLPLANE_START_TIMEOUT ?= 2m
export KUBEBUILDER_CONTROLPLANE_STOP_TIMEOUT ?= 1m
KUBECTL ?= $(ENVTEST_ASSETS)/kubectl
HELM ?= $(abspath $(WASP_CACHE))/bin/helm-$(HELM_VERSION)

.PHONY: envtest-assets kubectl helm print-kubebuilder-assets print-kubectl print-helm test-envtest-assets
envtest-assets: $(ENVTEST_ASSETS)/kube-apiserver $(ENVTEST_ASSETS)/etcd ## build kube-apiserver + etcd for envtest from the Go module proxy (cached)

kubectl: $(KUBECTL) ## build kubectl from the Go module proxy (cached; for the demo and docs)

helm: $(HELM) ## build helm from the Go module proxy (cached; path: make -s print-helm)

print-kubebuilder-assets: ## print the directory to use as KUBEBUILDER_ASSETS
	@echo $(ENVTEST_ASSETS)

print-kubectl: ## print the path of the cached kubectl
	@echo $(KUBECTL)

print-helm: ## print the path of the cached helm
	@echo $(HELM)

# No prerequisites on purpose: the binaries depend on pinned versions only,
# which are part of their paths, so an existing file is always up to date.
$(ENVTEST_ASSETS)/kube-apiserver:
	@echo "building kube-apiserver $(KUBERNETES_VERSION) from the Go module proxy (cold: ~800 CPU-seconds, ~10 min on 2 idle cores)"
	tools/envtest/build-kubernetes.sh $(KUBERNETES_VERSION) $(@D) kube-apiserver

$(ENVTEST_ASSETS)/kubectl:
	@echo "building kubectl $(KUBERNETES_VERSION) from the Go module proxy"
	tools/envtest/build-kubernetes.sh $(KUBERNETES_VERSION) $(@D) kubectl

$(ENVTEST_ASSETS)/etcd:
	@echo "building etcd $(ETCD_VERSION) from the Go module proxy"
	tools/envtest/build-etcd.sh $(ETCD_VERSION) $(@D)

$(HELM):
	@echo "building helm $(HELM_VERSION) from the Go module proxy"
	tools/helm/build-helm.sh $(HELM_VERSION) $@

# Proves the cached assets start the way controller-runtime's envtest starts
# them (its flags, its etcd), before any suite depends on them. GOWORK=off:
# tools/go.mod and go.sum alone decide the build, whatever go.work holds.
TEST_TARGETS += test-envtest-assets
test-envtest-assets: envtest-assets ## start envtest from the cached assets; read and write through the API server
	cd tools && GOWORK=off $(GO) test -count=1 ./envtest/...

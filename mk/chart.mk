# Helm chart: charts/wasp. Its CRDs are copies of controller-gen's output
# (controller/config/crd/bases), kept in sync by `make chart-crds` and checked
# by `make test-chart`.
CHART_DIR := charts/wasp
CHART_CRDS := $(CHART_DIR)/files/crds
CONTROLLER_CRDS := controller/config/crd/bases
# The CRDs the controller serves: kgateway's policies and wasp.dev's
# WasmFilter. Only served CRDs ship: a CRD nothing acts on would accept
# objects that silently do nothing.
CHART_CRD_FILES := $(wildcard $(CONTROLLER_CRDS)/gateway.kgateway.dev_*.yaml $(CONTROLLER_CRDS)/wasp.dev_*.yaml)
# The seed's Istio values (the render checked by test-chart) and the API the
# GatewayParameters template asks the cluster about.
CHART_ISTIO_SETS := --set istio.enabled=true --set istio.discoveryAddress=istiod-1-21.istio-system.svc:15012 \
	--set istio.clusterId=mycluster --set istio.meshId=mymesh --set istio.autoMtls=false \
	--set istio.proxyImage.repository=registry.example/istio/proxyv2 --set istio.proxyImage.tag=1.22.0
CHART_GWP_API := gateway.kgateway.dev/v1alpha1/GatewayParameters

.PHONY: chart-crds test-chart
TEST_TARGETS += test-chart

chart-crds: ## copy the generated CRDs into the chart
	rm -f $(CHART_CRDS)/*.yaml
	cp $(CHART_CRD_FILES) $(CHART_CRDS)/

test-chart: helm ## helm lint --strict, CRDs in the chart match the generated ones, templates render with default, seed and Istio values
	$(HELM) lint --strict $(CHART_DIR)
	@for f in $(CHART_CRD_FILES); do cmp -s $$f $(CHART_CRDS)/$$(basename $$f) || { echo "chart CRD $$(basename $$f) is stale: run make chart-crds"; exit 1; }; done
	@[ "$$(ls $(CHART_CRDS) | wc -l)" = "$(words $(CHART_CRD_FILES))" ] || { echo "chart CRDs differ from $(CHART_CRD_FILES): run make chart-crds"; exit 1; }
	$(HELM) template wasp $(CHART_DIR) -n wasp-system > /dev/null
	@out=$$($(HELM) template wasp $(CHART_DIR) -n wasp-system --set gatewayClasses.waypoint.name=kgateway-waypoint --set controller.replicas=2); \
		grep -q 'name: kgateway-waypoint' <<<"$$out" && grep -q 'kind: PodDisruptionBudget' <<<"$$out" && grep -q -- '--leader-elect=true' <<<"$$out" \
		|| { echo "seed class name / replicas=2 did not render as expected"; exit 1; }
	@! $(HELM) template wasp $(CHART_DIR) --set controller.replicas=0 >/dev/null 2>&1 || { echo "values.schema.json accepted replicas=0"; exit 1; }
	@$(HELM) template wasp $(CHART_DIR) -n wasp-system | grep -q -- '--access-log-dir=/var/log/wasp' || { echo "the controller lacks --access-log-dir"; exit 1; }
	@for bad in accessLog.directory=var/log accessLog.directory=/var/../etc accessLog.directory=/var/log/; do \
		! $(HELM) template wasp $(CHART_DIR) --set "$$bad" >/dev/null 2>&1 || { echo "values.schema.json accepted $$bad"; exit 1; }; \
	done
	@# Istio integration (seed 003): the values land in the GatewayParameters the ingress class refers to.
	@out=$$($(HELM) template wasp $(CHART_DIR) -n wasp-system $(CHART_ISTIO_SETS) --api-versions $(CHART_GWP_API)); \
		gwp=$$(awk '/^kind: GatewayParameters$$/{p=1} /^---/{p=0} p' <<<"$$out"); \
		for want in 'name: wasp$$' 'namespace: wasp-system' 'enabled: true' 'enableAutoMtls: false' \
			'istioDiscoveryAddress: "istiod-1-21.istio-system.svc:15012"' 'istioMetaClusterId: "mycluster"' \
			'istioMetaMeshId: "mymesh"' 'istioProxyImage: "registry.example/istio/proxyv2:1.22.0"'; do \
			grep -q -- "$$want" <<<"$$gwp" || { echo "GatewayParameters lacks '$$want':"; echo "$$gwp"; exit 1; }; \
		done; \
		! grep -q 'helm.sh/hook' <<<"$$gwp" || { echo "GatewayParameters is a hook although the cluster knows the CRD"; exit 1; }; \
		grep -A4 'parametersRef:' <<<"$$out" | grep -q 'name: wasp$$' || { echo "ingress GatewayClass does not refer to GatewayParameters wasp"; exit 1; }
	@$(HELM) template wasp $(CHART_DIR) -n wasp-system | awk '/^kind: GatewayParameters$$/{p=1} /^---/{p=0} p' | grep -q 'helm.sh/hook: post-install' \
		|| { echo "without the CRD in the cluster, GatewayParameters must be a post-install hook"; exit 1; }
	@for bad in istio.discoveryAddress=istiod.istio-system.svc istio.discoveryAddress=istiod:0 istio.discoveryAddress= istio.proxyImage.tag= istio.clusterId='my cluster'; do \
		! $(HELM) template wasp $(CHART_DIR) --set istio.enabled=true --set "$$bad" >/dev/null 2>&1 || { echo "values.schema.json accepted $$bad"; exit 1; }; \
	done
	@# Security values (docs/security.md): metrics on loopback unless exposed; https module URL.
	@out=$$($(HELM) template wasp $(CHART_DIR) -n wasp-system); \
		grep -q -- '--metrics-bind-address=127.0.0.1:8080' <<<"$$out" && grep -q -- '--wasm-base-url=https://' <<<"$$out" \
		&& ! grep -q 'kind: NetworkPolicy' <<<"$$out" && grep -q 'kind: ClusterRoleBinding' <<<"$$out" \
		|| { echo "default render: metrics not on loopback, http module URL, a NetworkPolicy, or no proxies ClusterRoleBinding"; exit 1; }
	@out=$$($(HELM) template wasp $(CHART_DIR) -n wasp-system --set controller.metrics.expose=true); \
		grep -q -- '--metrics-bind-address=:8080' <<<"$$out" && grep -q -- '--metrics-secure' <<<"$$out" \
		&& grep -q 'tokenreviews' <<<"$$out" && grep -q 'name: wasp-metrics-reader' <<<"$$out" \
		|| { echo "controller.metrics.expose=true: not on all interfaces behind --metrics-secure with TokenReview RBAC and a metrics-reader role"; exit 1; }
	@# rbac.proxyNamespaces: proxy writes bound by a RoleBinding in each namespace, not cluster-wide.
	@out=$$($(HELM) template wasp $(CHART_DIR) -n wasp-system --set 'rbac.proxyNamespaces={team-a,team-b}'); \
		[ "$$(grep -c 'name: wasp-proxies' <<<"$$out")" = 5 ] && grep -q 'namespace: team-a' <<<"$$out" && grep -q 'namespace: team-b' <<<"$$out" \
		&& [ "$$(awk '/^kind: ClusterRoleBinding$$/{n++} END{print n+0}' <<<"$$out")" = 1 ] \
		|| { echo "rbac.proxyNamespaces did not render one RoleBinding per namespace (and no cluster-wide proxies binding):"; echo "$$out" | grep -B3 -A12 'wasp-proxies'; exit 1; }
	@! $(HELM) template wasp $(CHART_DIR) --set 'rbac.proxyNamespaces={Team_A}' >/dev/null 2>&1 || { echo "values.schema.json accepted a bad namespace name"; exit 1; }
	@# networkPolicy: xDS/.wasm only from wasp's proxy pods; metrics from the given peers.
	@out=$$($(HELM) template wasp $(CHART_DIR) -n wasp-system --set networkPolicy.enabled=true \
		--set 'networkPolicy.metricsFrom[0].namespaceSelector.matchLabels.name=monitoring'); \
		np=$$(awk '/^kind: NetworkPolicy$$/{p=1} /^---/{p=0} p' <<<"$$out"); \
		for want in 'app.kubernetes.io/managed-by: wasp' 'key: gateway.networking.k8s.io/gateway-name' 'port: grpc-xds' 'port: http-wasm' 'port: http-metrics' 'name: monitoring'; do \
			grep -q -- "$$want" <<<"$$np" || { echo "NetworkPolicy lacks '$$want':"; echo "$$np"; exit 1; }; \
		done

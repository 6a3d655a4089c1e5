# Helm chart: charts/wasp. Its CRDs are copies of controller-gen's output
# (controller/config/crd/bases), kept in sync by `make chart-crds` and checked
# by `make test-chart`.
CHART_DIR := charts/wasp
CHART_CRDS := $(CHART_DIR)/files/crds
CONTROLLER_CRDS := controller/config/crd/bases

.PHONY: chart-crds test-chart
TEST_TARGETS += test-chart

chart-crds: ## copy the generated CRDs into the chart
	rm -f $(CHART_CRDS)/*.yaml
	cp $(CONTROLLER_CRDS)/*.yaml $(CHART_CRDS)/

test-chart: helm ## helm lint --strict, CRDs in the chart match the generated ones, templates render with default and seed values
	$(HELM) lint --strict $(CHART_DIR)
	@diff -r $(CONTROLLER_CRDS) $(CHART_CRDS) || { echo "chart CRDs are stale: run make chart-crds"; exit 1; }
	$(HELM) template wasp $(CHART_DIR) -n wasp-system > /dev/null
	@out=$$($(HELM) template wasp $(CHART_DIR) -n wasp-system --set gatewayClasses.waypoint.name=kgateway-waypoint --set controller.replicas=2); \
		grep -q 'name: kgateway-waypoint' <<<"$$out" && grep -q 'kind: PodDisruptionBudget' <<<"$$out" && grep -q -- '--leader-elect=true' <<<"$$out" \
		|| { echo "seed class name / replicas=2 did not render as expected"; exit 1; }
	@! $(HELM) template wasp $(CHART_DIR) --set controller.replicas=0 >/dev/null 2>&1 || { echo "values.schema.json accepted replicas=0"; exit 1; }

#!/usr/bin/env bash
# NOT RUNNABLE ON wasp's DEVELOPMENT AND CI MACHINES: they have no Docker
# engine and no internet. This script documents — and, where Docker and
# internet exist, runs — the seed scenarios on a real cluster: kind, Istio
# ambient (ztunnel + istiod), the wasp chart, and real Envoy proxies. It has
# not been run by wasp's CI; `make test-e2e` is what CI runs (real API
# server, controller, ADS client and filters, Envoy simulated in wazero).
#
# Needs: docker, kind (>= 0.27), kubectl, helm 3, istioctl (>= 1.25), curl,
# and this repository (make image builds the wasp image).
#
# Usage: e2e/kind/run-seeds.sh            # create, test, delete the cluster
#        KEEP_CLUSTER=1 e2e/kind/run-seeds.sh
set -euo pipefail

CLUSTER=${CLUSTER:-wasp-seeds}
ISTIO_PROFILE=ambient
GATEWAY_API_VERSION=${GATEWAY_API_VERSION:-v1.3.0}
IMAGE=${IMAGE:-ghcr.io/wasp-dev/wasp:dev}
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
SEEDS=$ROOT/examples/seeds

say() { printf '\n==> %s\n' "$*"; }
fail() { echo "FAIL: $*" >&2; exit 1; }

cleanup() {
  if [[ "${KEEP_CLUSTER:-0}" != 1 ]]; then kind delete cluster --name "$CLUSTER" >/dev/null 2>&1 || true; fi
}
trap cleanup EXIT

# seed_manifests prints a seed file without its EndpointSlices: on a real
# cluster the pods below provide the endpoints, and the hand-written slices
# (made for the API-server-only suite) would add addresses that do not exist.
seed_manifests() {
  awk 'BEGIN{RS="\n---\n"; ORS="\n---\n"} !/kind: EndpointSlice/' "$1"
}

say "kind cluster $CLUSTER (Service range 10.96.0.0/16 holds the seeds' ClusterIPs)"
kind create cluster --name "$CLUSTER" --wait 2m

say "Gateway API $GATEWAY_API_VERSION (standard channel) and Istio ambient"
kubectl apply --server-side -f "https://github.com/kubernetes-sigs/gateway-api/releases/download/$GATEWAY_API_VERSION/standard-install.yaml"
istioctl install -y --set profile=$ISTIO_PROFILE
kubectl -n istio-system rollout status ds/ztunnel --timeout=3m

say "wasp image and chart (classes: kgateway-waypoint as in the seeds, and wasp-waypoint)"
make -C "$ROOT" image IMAGE="$IMAGE"
kind load docker-image "$IMAGE" --name "$CLUSTER"
helm install wasp "$ROOT/charts/wasp" --namespace wasp-system --create-namespace \
  --set controller.image.repository="${IMAGE%:*}" --set controller.image.tag="${IMAGE##*:}" \
  --set gatewayClasses.waypoint.name=kgateway-waypoint \
  --set 'controller.extraArgs={--waypoint-class=wasp-waypoint}' --wait
helm test wasp --namespace wasp-system

say "workloads behind the seeds' Services (stand-ins answering HTTP)"
kubectl apply -f - <<'YAML'
apiVersion: apps/v1
kind: Deployment
metadata: {name: client, namespace: default}
spec:
  selector: {matchLabels: {app: client}}
  template:
    metadata: {labels: {app: client}}
    spec:
      containers:
      - {name: curl, image: curlimages/curl:8.12.1, command: ["sleep", "infinity"]}
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: ollama, namespace: default}
spec:
  selector: {matchLabels: {app: ollama}}
  template:
    metadata: {labels: {app: ollama}}
    spec:
      containers:
      - {name: echo, image: hashicorp/http-echo:1.0, args: ["-listen=:11434", "-text=Ollama is running"]}
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: reviews-v1, namespace: default}
spec:
  selector: {matchLabels: {app: reviews, version: v1}}
  template:
    metadata: {labels: {app: reviews, version: v1}}
    spec:
      containers:
      - {name: echo, image: hashicorp/http-echo:1.0, args: ["-listen=:9080", "-text=reviews-v1"]}
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: reviews-v2, namespace: default}
spec:
  selector: {matchLabels: {app: reviews, version: v2}}
  template:
    metadata: {labels: {app: reviews, version: v2}}
    spec:
      containers:
      - {name: echo, image: hashicorp/http-echo:1.0, args: ["-listen=:9080", "-text=reviews-v2"]}
YAML

say "seed 002: waypoint, 180s timeout, 3/min rate limit, access log"
for f in "$SEEDS"/waypoint-ollama/*.yaml; do seed_manifests "$f" | kubectl apply -f -; done
kubectl wait --for=condition=Programmed gateway/kgateway-waypoint --timeout=3m
kubectl rollout status deploy/kgateway-waypoint --timeout=3m
kubectl rollout status deploy/client deploy/ollama --timeout=3m
# Istio uses the waypoint only once the Gateway has status.addresses.
kubectl get gateway kgateway-waypoint -o jsonpath='{.status.addresses[0].value}' | grep -q . || fail "no status.addresses"

codes=""
for _ in 1 2 3 4; do
  codes+="$(kubectl exec deploy/client -- curl -s -o /dev/null -w '%{http_code}' http://ollama:80/) "
done
[[ "$codes" == "200 200 200 429 " ]] || fail "rate limit: got $codes, want 200 200 200 429"
body=$(kubectl exec deploy/client -- curl -s http://ollama:80/)
[[ "$body" == local_rate_limited ]] || fail "429 body: $body"
kubectl logs deploy/kgateway-waypoint | grep '"response_flags":"RL"' | tail -1 \
  || fail "no access-log line with response_flags RL"

say "seed 000: GAMMA 90/10 split of reviews through the waypoint"
for f in "$SEEDS"/gamma-reviews/*.yaml; do seed_manifests "$f" | kubectl apply -f -; done
sleep 5
v1=0
for _ in $(seq 100); do
  [[ "$(kubectl exec deploy/client -- curl -s http://reviews:9080/)" == reviews-v1 ]] && v1=$((v1 + 1))
done
(( v1 >= 80 && v1 <= 98 )) || fail "90/10 split: $v1 of 100 to reviews-v1"

say "all seed checks passed on kind + Istio ambient + Envoy"

#!/usr/bin/env bash
# Builds the helm CLI of one release from the Go module proxy alone.
# helm.sh/helm/v3 has no replace directives, so `go install pkg@version` can
# build it directly; no wrapper module is needed.
#
# usage: build-helm.sh VERSION OUTFILE   (e.g. v3.22.0 ~/.cache/wasp/bin/helm-v3.22.0)
set -euo pipefail

version=$1 out=$2
# Our workspace and the caller's GOFLAGS must not leak into this build; a
# static binary (no cgo), as helm's own Makefile builds it.
export GOWORK=off GOFLAGS=-buildvcs=false CGO_ENABLED=0

module=helm.sh/helm/v3
gomod=$(go mod download -json "$module@$version" |
	sed -n 's/^[[:space:]]*"GoMod": "\(.*\)",$/\1/p')

# The same stamps as helm's Makefile: its version, and the Kubernetes version
# `helm template` and `helm lint` assume, taken from the client-go it links
# (client-go v0.37.x -> Kubernetes 1.37).
client_go=$(sed -n 's|^[[:space:]]*k8s\.io/client-go v0\.\([0-9]*\)\..*$|\1|p' "$gomod")
: "${client_go:?no k8s.io/client-go requirement in $gomod}"
ldflags="-s -w -X $module/internal/version.version=$version -X $module/internal/version.metadata="
for pkg in pkg/lint/rules pkg/chartutil; do
	ldflags+=" -X $module/$pkg.k8sVersionMajor=1 -X $module/$pkg.k8sVersionMinor=$client_go"
done

# Absolute paths: GOBIN must be one.
mkdir -p "$(dirname "$out")"
out="$(cd "$(dirname "$out")" && pwd)/$(basename "$out")"
# Install into a scratch dir and move, so an interrupted build leaves no
# half-written binary that make would take as done.
scratch=$(mktemp -d "$(dirname "$out")/.build.XXXXXX")
trap 'rm -rf "$scratch"' EXIT
GOBIN=$scratch go install -trimpath -ldflags "$ldflags" "$module/cmd/helm@$version"
mv -f "$scratch/helm" "$out"

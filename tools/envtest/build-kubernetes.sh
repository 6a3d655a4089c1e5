#!/usr/bin/env bash
# Builds Kubernetes commands (kube-apiserver, kubectl, ...) of one release
# from the Go module proxy alone: no release tarballs, no git clone.
#
# Why a generated wrapper module: k8s.io/kubernetes replaces every k8s.io/*
# staging module with ./staging/src/..., a path that is not in the module zip,
# so `go install k8s.io/kubernetes/cmd/...@v1.X.Y` refuses it. A wrapper main
# module that requires k8s.io/kubernetes and replaces each staging module with
# its published twin (k8s.io/api v0.X.Y for v1.X.Y) builds the same source.
# The replace list is read from the release's own go.mod, so a version bump in
# mk/tools.mk is the only edit needed. The wrapper lives in the cache, not in
# the repository, so go.work never sees it.
#
# usage: build-kubernetes.sh VERSION OUTDIR COMMAND...   (e.g. v1.37.0 /x kube-apiserver)
set -euo pipefail

version=$1 outdir=$2
shift 2
: "${WASP_CACHE:?set by the root Makefile}"

# Our workspace and the caller's GOFLAGS must not leak into this build; no VCS
# stamping, since the wrapper may sit inside some git work tree; static
# binaries (no cgo), as the upstream releases are built.
export GOWORK=off GOFLAGS="-mod=mod -buildvcs=false" CGO_ENABLED=0

staging_version="v0.${version#v1.}"
src="$WASP_CACHE/src/kubernetes-$version"
mkdir -p "$src" "$outdir"
# Absolute paths: the build below runs from inside $src.
src=$(cd "$src" && pwd) outdir=$(cd "$outdir" && pwd)

upstream_gomod=$(cd "$src" && go mod download -json "k8s.io/kubernetes@$version" |
	sed -n 's/^[[:space:]]*"GoMod": "\(.*\)",$/\1/p')

if [[ ! -f "$src/go.mod" ]]; then
	tmp=$(mktemp -d "$src/.gomod.XXXXXX")
	(
		cd "$tmp"
		go mod init wasp.dev/cache/kubernetes >/dev/null 2>&1
		# Same language version and GODEBUG defaults as the upstream main module,
		# so the binary behaves as the released one does.
		go mod edit -go="$(sed -n 's/^go \(.*\)$/\1/p' "$upstream_gomod")"
		while read -r setting; do
			go mod edit -godebug="$setting"
		done < <(sed -n 's/^godebug \(.*\)$/\1/p' "$upstream_gomod")
		go mod edit -require="k8s.io/kubernetes@$version"
		while read -r module; do
			go mod edit -replace="$module=$module@$staging_version"
		done < <(sed -n 's|^[[:space:]]*\(k8s\.io/[^[:space:]]*\) => \./staging/.*$|\1|p' "$upstream_gomod")
		mv go.mod "$src/go.mod"
	)
	rmdir "$tmp"
fi

# The same version stamps as Kubernetes' hack/lib/version.sh, so
# `kube-apiserver --version` and /version report the release.
minor=${version#v1.}
minor=${minor%%.*}
ldflags="-s -w"
for pkg in k8s.io/component-base/version k8s.io/client-go/pkg/version; do
	ldflags+=" -X $pkg.gitVersion=$version -X $pkg.gitMajor=1 -X $pkg.gitMinor=$minor"
	ldflags+=" -X $pkg.gitTreeState=clean"
done

packages=()
for cmd in "$@"; do packages+=("k8s.io/kubernetes/cmd/$cmd"); done

# Build into a scratch dir and move, so an interrupted build leaves no
# half-written binary that make would take as done.
scratch=$(mktemp -d "$outdir/.build.XXXXXX")
trap 'rm -rf "$scratch"' EXIT
(cd "$src" && go build -trimpath -ldflags "$ldflags" -o "$scratch/" "${packages[@]}")
for cmd in "$@"; do mv -f "$scratch/$cmd" "$outdir/$cmd"; done

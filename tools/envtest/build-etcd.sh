#!/usr/bin/env bash
# Builds the etcd server of one release from the Go module proxy alone.
#
# Why a generated wrapper module: etcd's own main modules replace their
# sibling modules with relative paths (../api, ../client/v3, ...), so
# `go install go.etcd.io/etcd/server/v3@vX` refuses them. As a dependency of a
# wrapper main module those replaces are ignored and the published sibling
# versions named in server/v3's go.mod are used: the same source as the
# release. The wrapper lives in the cache, so go.work never sees it.
#
# usage: build-etcd.sh VERSION OUTDIR   (e.g. v3.6.16 /x) -> OUTDIR/etcd
set -euo pipefail

version=$1 outdir=$2
: "${WASP_CACHE:?set by the root Makefile}"

# Our workspace and the caller's GOFLAGS must not leak into this build; no VCS
# stamping, since the wrapper may sit inside some git work tree; static
# binaries (no cgo), as the upstream releases are built.
export GOWORK=off GOFLAGS="-mod=mod -buildvcs=false" CGO_ENABLED=0

module=go.etcd.io/etcd/server/v3
src="$WASP_CACHE/src/etcd-$version"
mkdir -p "$src" "$outdir"
# Absolute paths: the build below runs from inside $src.
src=$(cd "$src" && pwd) outdir=$(cd "$outdir" && pwd)

upstream_gomod=$(cd "$src" && go mod download -json "$module@$version" |
	sed -n 's/^[[:space:]]*"GoMod": "\(.*\)",$/\1/p')

if [[ ! -f "$src/go.mod" ]]; then
	tmp=$(mktemp -d "$src/.gomod.XXXXXX")
	(
		cd "$tmp"
		go mod init wasp.dev/cache/etcd >/dev/null 2>&1
		# The upstream language version, not this toolchain's, so any Go that
		# can build the release can build the wrapper.
		go mod edit -go="$(sed -n 's/^go \(.*\)$/\1/p' "$upstream_gomod")"
		go mod edit -require="$module@$version"
		mv go.mod "$src/go.mod"
	)
	rmdir "$tmp"
fi

# Build into a scratch dir and move, so an interrupted build leaves no
# half-written binary that make would take as done. The server module's root
# package is etcd's main (server/main.go).
scratch=$(mktemp -d "$outdir/.build.XXXXXX")
trap 'rm -rf "$scratch"' EXIT
(cd "$src" && go build -trimpath -ldflags "-s -w" -o "$scratch/etcd" "$module")
mv -f "$scratch/etcd" "$outdir/etcd"

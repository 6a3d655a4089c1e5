// Command wasp is wasp's one binary:
//
//	wasp controller   run the control plane (reconcilers, xDS server, wasm server)
//	wasp translate    translate manifests offline and print IR, Envoy config or status
//	wasp sds          serve Istio workload certificates to the proxy over SDS (sidecar container)
//	wasp filter       push a filter's .wasm to an OCI registry, inspect a pushed one
package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"
)

const usage = `wasp: an Envoy waypoint and ingress gateway with Go proxy-wasm filters.

Usage:
  wasp controller [flags]   run the controller (see wasp controller -h)
  wasp translate  [flags]   translate manifests offline (see wasp translate -h)
  wasp sds        [flags]   serve istio-proxy's certificates to Envoy (ingress pods with the Istio integration)
  wasp filter push|inspect  publish a Go filter's .wasm as an OCI artifact (see wasp filter -h)
`

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

func run(args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		fmt.Fprint(stderr, usage)
		return 2
	}
	switch args[0] {
	case "translate":
		return runTranslate(args[1:], stdout, stderr)
	case "filter":
		return runFilter(args[1:], stdout, stderr)
	case "controller", "sds":
		// SIGTERM (pod shutdown) or Ctrl-C ends the servers gracefully.
		ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
		defer stop()
		if args[0] == "sds" {
			return runSDS(ctx, args[1:], stderr)
		}
		return runController(ctx, args[1:], stderr)
	case "-h", "--help", "help":
		fmt.Fprint(stdout, usage)
		return 0
	}
	fmt.Fprintf(stderr, "wasp: unknown command %q\n\n%s", args[0], usage)
	return 2
}

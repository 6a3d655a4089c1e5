package main

import (
	"context"
	"flag"
	"fmt"
	"io"

	"wasp.dev/xds/sds"
)

// runSDS is `wasp sds`: the third container of an ingress pod with the
// Istio integration, serving istio-proxy's certificate files to Envoy over
// SDS on loopback (docs/istio-sidecar.md).
func runSDS(ctx context.Context, args []string, stderr io.Writer) int {
	fs := flag.NewFlagSet("sds", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var o sds.Options
	o.RegisterFlags(fs)
	var lf logFlags
	lf.register(fs)
	if err := fs.Parse(args); err != nil {
		return 2
	}
	logger, err := lf.logger(stderr)
	if err != nil {
		fmt.Fprintf(stderr, "wasp sds: %v\n", err)
		return 2
	}
	o.Logger = logger
	if err := sds.Run(ctx, o); err != nil && ctx.Err() == nil {
		fmt.Fprintf(stderr, "wasp sds: %v\n", err)
		return 1
	}
	return 0
}

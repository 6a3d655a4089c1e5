// Command demo is `make demo`: wasp end to end on a machine with no
// cluster. It starts a real kube-apiserver + etcd, installs the Helm chart,
// runs the wasp controller process, applies examples/seeds/, prints each
// Gateway's status and a summary of the Envoy config each proxy receives
// over xDS, then sends requests through the xDS-configured Wasm filter
// chain (in wazero, since Envoy cannot run here) and prints what a client
// sees and the access-log lines.
//
// Everything it writes goes under one temp dir, removed on exit. With
// DEMO_ONCE=1 it exits when done; otherwise it keeps the control plane up
// until Ctrl-C.
package main

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"path/filepath"
	"syscall"
)

func main() {
	os.Exit(run())
}

func run() int {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	tmp, err := os.MkdirTemp("", "wasp-demo-")
	if err != nil {
		fmt.Fprintln(os.Stderr, "demo:", err)
		return 1
	}
	defer os.RemoveAll(tmp)
	// etcd's data, the API server's certificates and everything else that
	// asks for a temp dir land under ours.
	os.Setenv("TMPDIR", tmp)

	d := &demo{ctx: ctx, tmp: tmp, out: os.Stdout, once: os.Getenv("DEMO_ONCE") == "1"}
	err = d.run()
	if d.in != nil {
		if cerr := d.in.Close(); cerr != nil && err == nil {
			err = cerr
		}
	}
	if ctx.Err() != nil {
		fmt.Fprintln(os.Stdout, "\ninterrupted: stopped the controller, kube-apiserver and etcd; removed", tmp)
		return 130
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "demo:", err)
		return 1
	}
	return 0
}

// seedOrder is the order the seed scenarios are applied in: the waypoint
// (and the namespace label) before the GAMMA route that rides on it.
var seedOrder = []string{"gatewayclasses.yaml", "waypoint-ollama", "gamma-reviews", "gamma-bookinfo", "ingress-httpbin", "ingress-canary"}

func seedFiles(root string) ([]string, error) {
	var files []string
	for _, s := range seedOrder {
		p := filepath.Join(root, "examples", "seeds", s)
		st, err := os.Stat(p)
		if err != nil {
			return nil, err
		}
		if !st.IsDir() {
			files = append(files, p)
			continue
		}
		m, _ := filepath.Glob(filepath.Join(p, "*.yaml"))
		files = append(files, m...)
	}
	return files, nil
}

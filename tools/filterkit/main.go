// Command filterkit scaffolds a custom proxy-wasm filter for wasp: a Go
// module with an example filter, tests that run it natively and compiled to
// wasm on wazero, a Makefile and a README. `make filter-new` runs it:
//
//	go run ./tools/filterkit -name demo -dir filters/custom/demo -wasp .
package main

import (
	"flag"
	"fmt"
	"os"
	"os/exec"
)

func main() {
	var opts Options
	var tidy bool
	flag.StringVar(&opts.Name, "name", "", "filter name: lowercase letters, digits and '-', starting with a letter")
	flag.StringVar(&opts.Dir, "dir", "", "directory to create (default: <wasp>/filters/custom/<name>)")
	flag.StringVar(&opts.Module, "module", "", "Go module path of the new filter (default: example.com/filters/<name>)")
	flag.StringVar(&opts.WaspDir, "wasp", ".", "path of the wasp checkout whose bridge and wasmtest the filter uses")
	flag.BoolVar(&tidy, "tidy", true, "run `go mod tidy` in the new module (fills go.sum from the module cache or proxy)")
	flag.Parse()

	dir, err := Scaffold(opts)
	if err != nil {
		fmt.Fprintln(os.Stderr, "filterkit:", err)
		os.Exit(1)
	}
	if tidy {
		if err := goModTidy(dir); err != nil {
			fmt.Fprintf(os.Stderr, "filterkit: %s was written, but go mod tidy failed: %v\n", dir, err)
			os.Exit(1)
		}
	}
	fmt.Printf("filter %q scaffolded in %s\nnext: cd %s && go test ./... && make wasm\n", opts.Name, dir, dir)
}

// goModTidy resolves the SDK and wazero versions through the wasp modules the
// replace lines point at, and writes go.sum.
func goModTidy(dir string) error {
	cmd := exec.Command("go", "mod", "tidy")
	cmd.Dir = dir
	cmd.Stdout, cmd.Stderr = os.Stderr, os.Stderr
	return cmd.Run()
}

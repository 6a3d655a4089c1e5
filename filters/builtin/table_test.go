package main

import (
	"flag"
	"fmt"
	"os"
	"strings"
	"testing"
	"text/tabwriter"
)

var table = flag.Bool("builtin.table", false, "run every BenchmarkBuiltin* scenario and print one table with ratios to the floor (make bench-filters)")

// tableRequests is how many requests the memory row sends through all three
// filters before reading the guest's linear memory.
const tableRequests = 100_000

// TestBuiltinTable prints, from one run: the time and guest allocations per
// request of every scenario, the linear memory after 100k requests through
// all three filters, and the module size, each with its ratio to the floor
// (the hello module through the same harness).
func TestBuiltinTable(t *testing.T) {
	if !*table {
		t.Skip("a benchmark table: make bench-filters (-builtin.table)")
	}
	load, _ := os.ReadFile("/proc/loadavg")
	type row struct {
		name   string
		ns     float64
		allocs float64
	}
	var rows []row
	for _, s := range scenarios {
		r := testing.Benchmark(func(b *testing.B) { benchScenario(b, s.name) })
		if r.N == 0 {
			t.Fatalf("%s: benchmark failed", s.name)
		}
		rows = append(rows, row{s.name, float64(r.T.Nanoseconds()) / float64(r.N), r.Extra["guest-allocs/op"]})
	}
	floorMem, allMem := memoryAfter(t, "Floor"), memoryAfter(t, "AllThree")
	floorSize, size := moduleSize(t, true), moduleSize(t, false)

	var out strings.Builder
	fmt.Fprintf(&out, "built-in filters, compiled module in wazero (load %s)\n", strings.TrimSpace(string(load)))
	w := tabwriter.NewWriter(&out, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(w, "scenario\tµs/request\t× floor\tguest allocs/request\t")
	floor := rows[0].ns
	for _, r := range rows {
		fmt.Fprintf(w, "%s\t%.1f\t%.2f\t%.1f\t\n", r.name, r.ns/1e3, r.ns/floor, r.allocs)
	}
	fmt.Fprintf(w, "linear memory after %dk requests, all three (MiB)\t%.2f\t%.2f\t\t\n", tableRequests/1000, mib(allMem), float64(allMem)/float64(floorMem))
	fmt.Fprintf(w, "linear memory after %dk requests, floor (MiB)\t%.2f\t1.00\t\t\n", tableRequests/1000, mib(floorMem))
	fmt.Fprintf(w, "module size, builtin.wasm (MB)\t%.2f\t%.2f\t\t\n", float64(size)/1e6, float64(size)/float64(floorSize))
	fmt.Fprintf(w, "module size, floor hello.wasm (MB)\t%.2f\t1.00\t\t\n", float64(floorSize)/1e6)
	w.Flush()
	fmt.Print(out.String())
}

// memoryAfter runs tableRequests requests of a scenario on a fresh VM and
// returns its linear memory size.
func memoryAfter(t *testing.T, name string) uint32 {
	r := start(t, scenarioNamed(name))
	for i := 0; i < tableRequests; i++ {
		if res := r.do(); res.Status() != 200 {
			t.Fatalf("%s request %d: status %d", name, i, res.Status())
		}
	}
	return r.vm.MemorySize()
}

func mib(n uint32) float64 { return float64(n) / (1 << 20) }

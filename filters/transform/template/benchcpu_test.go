//go:build linux

package template

import (
	"syscall"
	"testing"
	"time"
)

// cpuClock reports the process's CPU time per operation (cpu-ns/op) next
// to the wall time: on a shared, loaded machine the wall time mostly
// measures the wait for a core, the CPU time what the code costs.
type cpuClock struct{ start time.Duration }

func processCPU() time.Duration {
	var ru syscall.Rusage
	_ = syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

func startCPU() cpuClock { return cpuClock{start: processCPU()} }

func (c cpuClock) report(b *testing.B) {
	b.ReportMetric(float64(processCPU()-c.start)/float64(b.N), "cpu-ns/op")
}

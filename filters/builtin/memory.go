package main

import "runtime/debug"

// setGuestMemory runs the guest's garbage collector at GOGC=25 instead of
// Go's default 100: each module instance is a Go runtime per Envoy worker,
// and its heap goal is what the worker's linear memory grows to. Measured
// (docs/benchmarks.md): all three filters, 20k requests, 9.06 -> 6.56 MiB
// linear memory, per-request time unchanged within the noise; a 4 MiB soft
// limit (debug.SetMemoryLimit) gave the same memory but ran the collector
// far more often (the live heap sits above the limit).
func setGuestMemory() { debug.SetGCPercent(guestGOGC) }

// guestGOGC is the guest's GOGC.
const guestGOGC = 25

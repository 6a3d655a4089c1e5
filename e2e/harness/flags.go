package harness

import (
	"context"
	"os/exec"
	"regexp"
	"sort"
	"strings"
)

// flagNamePattern finds flag names in Go flag package usage output.
var flagNamePattern = regexp.MustCompile(`(?m)^\s+-{1,2}([a-zA-Z0-9][a-zA-Z0-9_.-]*)`)

// ControllerFlags lists the flags `wasp controller -h` documents.
func ControllerFlags(ctx context.Context, bin string) (map[string]bool, error) {
	out, _ := exec.CommandContext(ctx, bin, "controller", "-h").CombinedOutput() // -h exits non-zero
	flags := map[string]bool{}
	for _, m := range flagNamePattern.FindAllStringSubmatch(string(out), -1) {
		flags[m[1]] = true
	}
	return flags, nil
}

// UnknownFlags returns the flags of args that the binary does not define.
func UnknownFlags(args []string, known map[string]bool) []string {
	var out []string
	for _, a := range args {
		if !strings.HasPrefix(a, "-") {
			continue
		}
		name, _, _ := strings.Cut(strings.TrimLeft(a, "-"), "=")
		if !known[name] {
			out = append(out, name)
		}
	}
	sort.Strings(out)
	return out
}

// Reconcile drops the args whose flag the binary does not define (the
// controller would refuse to start), so that the rest of a run still shows
// everything else; it returns what it dropped, for the report.
// TestChartFlagsMatchController fails on any such flag.
func Reconcile(args []string, known map[string]bool) (out []string, dropped []string) {
	for _, a := range args {
		name, _, _ := strings.Cut(strings.TrimLeft(a, "-"), "=")
		if !strings.HasPrefix(a, "-") || known[name] {
			out = append(out, a)
			continue
		}
		dropped = append(dropped, a)
	}
	return out, dropped
}

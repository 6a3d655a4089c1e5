package template

import (
	"runtime"
	"strings"
	"testing"
)

// Adversarial templates: each must stop with a limit error, and all of them
// together must allocate a bounded amount of memory. That the test returns at
// all proves that none loops forever.
func TestLimitsStopRunawayTemplates(t *testing.T) {
	body := `{"s":"` + strings.Repeat("a", 1024) + `","l":[` + strings.Repeat("1,", 999) + `1]}`
	cases := []struct {
		name, src, err string
	}{
		{"triple nested loops", "{% for a in l %}{% for b in l %}{% for c in l %}x{% endfor %}{% endfor %}{% endfor %}", "evaluation steps"},
		{"huge range", "{% for i in range(1000000000) %}{% endfor %}", "evaluation steps left"},
		{"nested ranges", "{% for i in range(50000) %}{% for j in range(50000) %}{% endfor %}{% endfor %}", "evaluation steps"},
		{"doubling string", "{% set s = s %}{% for i in range(64) %}{% set s = s ~ s %}{% endfor %}{{ s }}", "built more than"},
		{"doubling list", "{% set l = l %}{% for i in range(64) %}{% set l = l + l %}{% endfor %}", "built more than"},
		{"output flood", "{% for a in l %}{% for b in l %}{{ s }}{% endfor %}{% endfor %}", "output is larger than"},
		{"replace blowup", `{% set t = s ~ s ~ s ~ s %}{% for i in range(10) %}{% set t = replace_with_string(t, "a", s) %}{% endfor %}`, "larger than"},
		{"join blowup", `{% set big = s ~ s ~ s ~ s ~ s ~ s ~ s ~ s %}{% for i in range(2000) %}{% set x = join([big, big, big, big], big) %}{% endfor %}`, "larger than"},
	}
	in := renderCaseInput(t, body)
	lim := Limits{MaxOutputBytes: 1 << 20, MaxWorkBytes: 8 << 20, MaxSteps: 100_000}

	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	for _, c := range cases {
		out, err := renderString(c.src, in, lim)
		if err == nil {
			t.Errorf("%s: rendered %d bytes without hitting a limit", c.name, len(out))
			continue
		}
		if !strings.Contains(err.Error(), c.err) {
			t.Errorf("%s: error %q does not mention %q", c.name, err, c.err)
		}
	}
	runtime.ReadMemStats(&after)
	// Every case may build up to MaxWorkBytes, plus bookkeeping (loop maps,
	// one per step). 3x the work budget per case bounds all of it.
	bound := uint64(len(cases)) * 3 * uint64(lim.MaxWorkBytes)
	if got := after.TotalAlloc - before.TotalAlloc; got > bound {
		t.Errorf("runaway templates allocated %d bytes in total, bound %d", got, bound)
	}
}

func TestDefaultLimitsApply(t *testing.T) {
	_, err := renderString("{% for i in range(200000) %}{% endfor %}", nil, Limits{})
	if err == nil || !strings.Contains(err.Error(), "evaluation steps left") {
		t.Fatalf("default step limit not applied: %v", err)
	}
}

func TestTemplateSizeLimit(t *testing.T) {
	_, err := Parse(strings.Repeat("x", MaxTemplateBytes+1))
	if err == nil || !strings.Contains(err.Error(), "more than the limit") {
		t.Fatalf("oversized template accepted: %v", err)
	}
}

func TestOutputExactlyAtLimit(t *testing.T) {
	out, err := renderString(`{{ s }}`, renderCaseInput(t, `{"s":"abcd"}`), Limits{MaxOutputBytes: 4})
	if err != nil || out != "abcd" {
		t.Fatalf("got %q, %v", out, err)
	}
	if _, err := renderString(`{{ s }}!`, renderCaseInput(t, `{"s":"abcd"}`), Limits{MaxOutputBytes: 4}); err == nil {
		t.Fatal("5 bytes passed a 4-byte limit")
	}
}

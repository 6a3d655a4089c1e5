package translator

import (
	"bytes"
	"flag"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"sigs.k8s.io/yaml"

	"wasp.dev/xds/ir"
)

var update = flag.Bool("update", false, "rewrite testdata/*.out.yaml from the translator's output and delete stale ones")

// loadCase reads testdata/<name>.in.yaml as an IR proxy, strictly (an
// unknown field is an error, so a typo cannot silently drop a feature).
func loadCase(t testing.TB, path string) *ir.Proxy {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var p ir.Proxy
	if err := yaml.UnmarshalStrict(b, &p); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	return &p
}

func TestGolden(t *testing.T) {
	ins, err := filepath.Glob("testdata/*.in.yaml")
	if err != nil || len(ins) == 0 {
		t.Fatalf("no golden inputs: %v", err)
	}
	want := map[string]bool{}
	for _, in := range ins {
		name := strings.TrimSuffix(filepath.Base(in), ".in.yaml")
		out := filepath.Join("testdata", name+".out.yaml")
		want[out] = true
		t.Run(name, func(t *testing.T) {
			res, err := Translate(loadCase(t, in), Options{})
			if err != nil {
				t.Fatal(err)
			}
			got, err := res.YAML()
			if err != nil {
				t.Fatal(err)
			}
			if *update {
				if err := os.WriteFile(out, got, 0o644); err != nil {
					t.Fatal(err)
				}
				return
			}
			exp, err := os.ReadFile(out)
			if err != nil {
				t.Fatalf("%v (run go test ./translator -run TestGolden -update)", err)
			}
			if !bytes.Equal(got, exp) {
				t.Errorf("%s differs from the translator's output (run with -update and review the diff):\n%s", out, firstDiff(exp, got))
			}
		})
	}
	outs, _ := filepath.Glob("testdata/*.out.yaml")
	for _, out := range staleGoldens(want, outs) {
		if *update {
			if err := os.Remove(out); err != nil {
				t.Fatal(err)
			}
			continue
		}
		t.Errorf("stale golden %s has no .in.yaml (run with -update to delete it)", out)
	}
}

// staleGoldens returns the outputs no input produces.
func staleGoldens(want map[string]bool, outs []string) []string {
	var stale []string
	for _, out := range outs {
		if !want[out] {
			stale = append(stale, out)
		}
	}
	return stale
}

func TestStaleGoldensDetected(t *testing.T) {
	got := staleGoldens(map[string]bool{"testdata/a.out.yaml": true}, []string{"testdata/a.out.yaml", "testdata/gone.out.yaml"})
	if len(got) != 1 || got[0] != "testdata/gone.out.yaml" {
		t.Fatalf("staleGoldens = %v", got)
	}
}

// firstDiff shows the first differing line with a little context.
func firstDiff(want, got []byte) string {
	w, g := strings.Split(string(want), "\n"), strings.Split(string(got), "\n")
	for i := 0; i < len(w) || i < len(g); i++ {
		var wl, gl string
		if i < len(w) {
			wl = w[i]
		}
		if i < len(g) {
			gl = g[i]
		}
		if wl != gl {
			return "line " + strconv.Itoa(i+1) + ":\n  want: " + wl + "\n  got:  " + gl
		}
	}
	return "(no line differs; trailing bytes)"
}

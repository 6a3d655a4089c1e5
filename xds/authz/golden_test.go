package authz

import (
	"bytes"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"
	"sigs.k8s.io/yaml"

	"wasp.dev/xds/ir"
)

var update = flag.Bool("update", false, "rewrite testdata/*.out.yaml from the translation and delete stale ones")

// goldenInput is a testdata/<case>.in.yaml: the waypoint's services and the
// policies the controller resolved for it.
type goldenInput struct {
	Services []struct {
		Namespace string `json:"namespace"`
		Name      string `json:"name"`
		Ports     []struct {
			Port     uint32      `json:"port"`
			Protocol ir.Protocol `json:"protocol"`
		} `json:"ports"`
	} `json:"services"`
	Policies []*ir.AuthorizationPolicy `json:"policies"`
}

// goldenChain is one filter chain of the output: which policies applied,
// the RBAC filters (as Envoy's docs write config) and the findings.
type goldenChain struct {
	Chain    string    `json:"chain"`
	Policies []string  `json:"policies,omitempty"`
	Filters  []any     `json:"filters,omitempty"`
	Findings []Finding `json:"findings,omitempty"`
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
			got := renderGolden(t, in)
			if *update {
				if err := os.WriteFile(out, got, 0o644); err != nil {
					t.Fatal(err)
				}
				return
			}
			exp, err := os.ReadFile(out)
			if err != nil {
				t.Fatalf("%v (run go test ./authz -run TestGolden -update)", err)
			}
			if !bytes.Equal(got, exp) {
				t.Errorf("%s differs from the translation (run with -update and review the diff):\n--- got\n%s", out, got)
			}
		})
	}
	outs, _ := filepath.Glob("testdata/*.out.yaml")
	for _, out := range outs {
		if want[out] {
			continue
		}
		if *update {
			if err := os.Remove(out); err != nil {
				t.Fatal(err)
			}
			continue
		}
		t.Errorf("stale golden %s has no .in.yaml (run with -update to delete it)", out)
	}
}

func renderGolden(t *testing.T, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var in goldenInput
	if err := yaml.UnmarshalStrict(b, &in); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	var chains []goldenChain
	for _, svc := range in.Services {
		applied := ForService(in.Policies, svc.Namespace, svc.Name)
		for _, p := range svc.Ports {
			chain := fmt.Sprintf("%s/%s:%d", svc.Namespace, svc.Name, p.Port)
			c := goldenChain{Chain: chain + " " + string(p.Protocol)}
			for _, ap := range applied {
				c.Policies = append(c.Policies, ap.Namespace+"/"+ap.Name)
			}
			var msgs []proto.Message
			if p.Protocol == ir.ProtocolTCP {
				fs, findings, err := NetworkFilters(applied, chain+".")
				if err != nil {
					t.Fatal(err)
				}
				for _, f := range fs {
					msgs = append(msgs, f)
				}
				c.Findings = findings
			} else {
				fs, findings, err := HTTPFilters(applied)
				if err != nil {
					t.Fatal(err)
				}
				for _, f := range fs {
					msgs = append(msgs, f)
				}
				c.Findings = findings
			}
			for _, m := range msgs {
				c.Filters = append(c.Filters, protoToYAMLValue(t, m))
			}
			chains = append(chains, c)
		}
	}
	out, err := yaml.Marshal(map[string]any{"chains": chains})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// protoToYAMLValue renders m with Envoy's field names and expanded Anys,
// through encoding/json so map keys come out sorted (protojson's own
// output is deliberately unstable).
func protoToYAMLValue(t *testing.T, m proto.Message) any {
	t.Helper()
	b, err := protojson.MarshalOptions{UseProtoNames: true}.Marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	var v any
	if err := json.Unmarshal(b, &v); err != nil {
		t.Fatal(err)
	}
	return v
}

package e2e

import (
	"encoding/json"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"wasp.dev/e2e/harness"
)

// TestChartEnumValuesStartController: every value an enum in
// charts/wasp/values.schema.json allows renders a controller that starts.
// Each value is set on top of the seed values, the rendered Deployment's
// args are run as they are (only listen ports moved to loopback; a flag the
// binary does not define fails the start) against the shared API server,
// and the process must answer /readyz. For controller.logLevel the output
// must also honour the level: info lines at debug and info, none at warn
// and error.
func TestChartEnumValuesStartController(t *testing.T) {
	in := installed(t)
	schema, err := os.ReadFile(filepath.Join(repoRoot, "charts", "wasp", "values.schema.json"))
	if err != nil {
		t.Fatal(err)
	}
	enums, err := schemaEnums(schema)
	if err != nil {
		t.Fatal(err)
	}
	if len(enums["controller.logLevel"]) == 0 {
		t.Fatalf("values.schema.json declares no controller.logLevel enum (found %v)", enums)
	}
	paths := make([]string, 0, len(enums))
	for p := range enums {
		paths = append(paths, p)
	}
	sort.Strings(paths)
	chart := filepath.Join(repoRoot, "charts", "wasp")
	for _, path := range paths {
		for _, v := range enums[path] {
			t.Run(path+"="+v, func(t *testing.T) {
				dir := t.TempDir()
				sets := append(append([]string(nil), harness.SeedValues...), path+"="+v)
				rendered, err := harness.HelmTemplate(t.Context(), in.Helm, dir, chart, harness.ReleaseName, harness.ReleaseNamespace, sets...)
				if err != nil {
					t.Fatal(err)
				}
				p, err := in.StartRendered(t.Context(), rendered, dir)
				if err != nil {
					t.Fatalf("--set %s=%s: %v", path, v, err)
				}
				if err := p.Stop(); err != nil {
					t.Errorf("--set %s=%s: stop: %v\n%s", path, v, err, p.Output())
				}
				if path != "controller.logLevel" {
					return
				}
				infoLogged := strings.Contains(p.Output(), `"level":"INFO"`)
				if want := v == "debug" || v == "info"; infoLogged != want {
					t.Errorf("logLevel=%s: info lines logged = %v, want %v; output:\n%s", v, infoLogged, want, p.Output())
				}
			})
		}
	}
}

// schemaEnums returns every enum of a values schema by dotted value path,
// following "$ref": "#/definitions/<name>".
func schemaEnums(schema []byte) (map[string][]string, error) {
	var root map[string]any
	if err := json.Unmarshal(schema, &root); err != nil {
		return nil, err
	}
	defs, _ := root["definitions"].(map[string]any)
	out := map[string][]string{}
	var walk func(node map[string]any, path string, depth int)
	walk = func(node map[string]any, path string, depth int) {
		if depth > 16 {
			return
		}
		if ref, ok := node["$ref"].(string); ok {
			if d, ok := defs[strings.TrimPrefix(ref, "#/definitions/")].(map[string]any); ok {
				walk(d, path, depth+1)
			}
		}
		if e, ok := node["enum"].([]any); ok {
			for _, v := range e {
				if s, ok := v.(string); ok {
					out[path] = append(out[path], s)
				}
			}
		}
		props, _ := node["properties"].(map[string]any)
		for k, v := range props {
			if child, ok := v.(map[string]any); ok {
				p := k
				if path != "" {
					p = path + "." + k
				}
				walk(child, p, depth+1)
			}
		}
	}
	walk(root, "", 0)
	return out, nil
}

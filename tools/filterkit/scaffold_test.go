package main

import (
	"bytes"
	"go/format"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// waspRoot is this checkout, seen from the package directory.
const waspRoot = "../.."

func TestScaffoldRejectsInvalidNames(t *testing.T) {
	for _, name := range []string{"", "Demo", "1demo", "de_mo", "demo-", "-demo", "a/b", "../x", "dé", strings.Repeat("a", 64)} {
		dir := filepath.Join(t.TempDir(), "out")
		if _, err := Scaffold(Options{Name: name, Dir: dir, WaspDir: waspRoot}); err == nil {
			t.Errorf("name %q: accepted", name)
		}
		if _, err := os.Stat(dir); !os.IsNotExist(err) {
			t.Errorf("name %q: %s was created", name, dir)
		}
	}
	for _, name := range []string{"a", "demo", "auth-header2", strings.Repeat("a", 63)} {
		if _, err := Scaffold(Options{Name: name, Dir: filepath.Join(t.TempDir(), "out"), WaspDir: waspRoot}); err != nil {
			t.Errorf("name %q: %v", name, err)
		}
	}
}

func TestScaffoldRefusesExistingDir(t *testing.T) {
	for _, existing := range []bool{false, true} { // empty dir, dir with a file
		dir := t.TempDir()
		marker := filepath.Join(dir, "main.go")
		if existing {
			if err := os.WriteFile(marker, []byte("mine"), 0o644); err != nil {
				t.Fatal(err)
			}
		}
		_, err := Scaffold(Options{Name: "demo", Dir: dir, WaspDir: waspRoot})
		if err == nil || !strings.Contains(err.Error(), "already exists") {
			t.Fatalf("want an 'already exists' error, got %v", err)
		}
		got, _ := os.ReadFile(marker)
		if existing && string(got) != "mine" {
			t.Errorf("existing file overwritten: %q", got)
		}
		if _, err := os.Stat(dir); err != nil {
			t.Errorf("existing dir removed: %v", err)
		}
	}
}

func TestScaffoldRefusesNonWaspDir(t *testing.T) {
	_, err := Scaffold(Options{Name: "demo", Dir: filepath.Join(t.TempDir(), "demo"), WaspDir: t.TempDir()})
	if err == nil || !strings.Contains(err.Error(), "wasp checkout") {
		t.Fatalf("want a 'wasp checkout' error, got %v", err)
	}
}

// TestScaffoldOutsideCheckout: absolute replace paths, every template
// rendered, Go files gofmt-clean, Makefile recipes tab-indented.
func TestScaffoldOutsideCheckout(t *testing.T) {
	wasp, err := filepath.Abs(waspRoot)
	if err != nil {
		t.Fatal(err)
	}
	dir, err := Scaffold(Options{Name: "my-filter", Dir: filepath.Join(t.TempDir(), "my-filter"), WaspDir: waspRoot})
	if err != nil {
		t.Fatal(err)
	}
	files := readAll(t, dir)
	if len(files) != len(outputs) {
		t.Errorf("wrote %d files, want %d: %v", len(files), len(outputs), slices.Sorted(maps.Keys(files)))
	}
	for name, content := range files {
		if strings.Contains(content, "{%") || strings.Contains(content, "%}") || strings.Contains(content, "<no value>") {
			t.Errorf("%s: unrendered template text", name)
		}
		if strings.HasSuffix(name, ".go") {
			if formatted, err := format.Source([]byte(content)); err != nil || !bytes.Equal(formatted, []byte(content)) {
				t.Errorf("%s is not gofmt-clean (%v)", name, err)
			}
		}
	}
	gomod := files["go.mod"]
	for _, want := range []string{
		"module example.com/filters/my-filter\n",
		"github.com/tetratelabs/proxy-wasm-go-sdk/proxywasm/waspabi => " + filepath.ToSlash(filepath.Join(wasp, "filters", "abi")) + "\n",
		"wasp.dev/filters => " + filepath.ToSlash(filepath.Join(wasp, "filters")) + "\n",
	} {
		if !strings.Contains(gomod, want) {
			t.Errorf("go.mod lacks %q:\n%s", want, gomod)
		}
	}
	waspGo, _ := goDirective(filepath.Join(wasp, "filters", "go.mod"))
	if !strings.Contains(gomod, "\ngo "+waspGo+"\n") || !strings.Contains(files["go.work"], "\ngo "+waspGo+"\n") {
		t.Errorf("go directive is not wasp's (go %s)", waspGo)
	}
	for _, want := range []string{`_ "github.com/tetratelabs/proxy-wasm-go-sdk/proxywasm/waspabi"`, "func init() { proxywasm.SetVMContext(&vmContext{}) }", "func main() {}", `"x-my-filter"`} {
		if !strings.Contains(files["main.go"], want) {
			t.Errorf("main.go lacks %q", want)
		}
	}
	for _, line := range strings.Split(files["Makefile"], "\n") {
		if strings.HasPrefix(line, " ") {
			t.Errorf("Makefile line indented with spaces: %q", line)
		}
	}
	for _, target := range []string{"\nwasm:", "\ntest:"} {
		if !strings.Contains(files["Makefile"], target) {
			t.Errorf("Makefile has no %s target", strings.TrimSpace(target))
		}
	}
}

// TestScaffoldDefaultDirInsideCheckout: the default directory is
// filters/custom/<name> and, inside the checkout, replace paths are relative
// so the checkout can move and the filter can be committed.
func TestScaffoldDefaultDirInsideCheckout(t *testing.T) {
	wasp := fakeWasp(t)
	dir, err := Scaffold(Options{Name: "demo", WaspDir: wasp})
	if err != nil {
		t.Fatal(err)
	}
	if want := filepath.Join(wasp, "filters", "custom", "demo"); dir != want {
		t.Fatalf("dir %s, want %s", dir, want)
	}
	gomod := readAll(t, dir)["go.mod"]
	for _, want := range []string{
		"github.com/tetratelabs/proxy-wasm-go-sdk/proxywasm/waspabi => ../../abi\n",
		"wasp.dev/filters => ../..\n",
		"\ngo 1.99\n",
	} {
		if !strings.Contains(gomod, want) {
			t.Errorf("go.mod lacks %q:\n%s", want, gomod)
		}
	}
}

func TestReplacePath(t *testing.T) {
	for _, c := range []struct{ dir, want string }{
		{"/w/filters/custom/demo", "../../abi"},
		{"/w/demo", "../filters/abi"},
		{"/w/filters/abi/x", "./.."}, // odd but valid: the path must start with ./ or ../
		{"/elsewhere/demo", "/w/filters/abi"},
		{"/w2/demo", "/w/filters/abi"}, // a sibling whose name starts like the checkout's
	} {
		if got := replacePath(filepath.FromSlash(c.dir), filepath.FromSlash("/w"), "filters/abi"); got != c.want {
			t.Errorf("replacePath(%s) = %s, want %s", c.dir, got, c.want)
		}
	}
}

// fakeWasp makes the two files Scaffold checks for, with go 1.99.
func fakeWasp(t *testing.T) string {
	t.Helper()
	wasp := t.TempDir()
	if err := os.MkdirAll(filepath.Join(wasp, "filters", "abi"), 0o755); err != nil {
		t.Fatal(err)
	}
	for _, f := range []string{"filters/go.mod", "filters/abi/go.mod"} {
		if err := os.WriteFile(filepath.Join(wasp, f), []byte("module x\n\ngo 1.99\n"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return wasp
}

func readAll(t *testing.T, dir string) map[string]string {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	files := map[string]string{}
	for _, e := range entries {
		b, err := os.ReadFile(filepath.Join(dir, e.Name()))
		if err != nil {
			t.Fatal(err)
		}
		files[e.Name()] = string(b)
	}
	return files
}

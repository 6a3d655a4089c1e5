package main

import (
	"bufio"
	"bytes"
	"embed"
	"errors"
	"fmt"
	"go/format"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"text/template"
)

// templates holds the files of a new filter module. They use {% %} as
// delimiters because Go composite literals ({{"k", "v"}}) are full of {{.
//
//go:embed templates/*.tmpl
var templates embed.FS

// validName is a DNS label (RFC 1123) that starts with a letter: the name
// becomes the .wasm file, the Envoy plugin name and, with the WasmFilter CRD,
// a Kubernetes object name, so it must be valid as all three.
var validName = regexp.MustCompile(`^[a-z]([a-z0-9-]{0,61}[a-z0-9])?$`)

// Options say what to scaffold and where.
type Options struct {
	Name    string // filter name, see validName
	Dir     string // directory to create; default <WaspDir>/filters/custom/<Name>
	Module  string // Go module path; default example.com/filters/<Name>
	WaspDir string // wasp checkout providing the bridge and wasmtest
}

// templateData is what the templates see.
type templateData struct {
	Name      string
	Module    string
	GoVersion string // the go directive of wasp's filters module
	// FiltersPath and BridgePath are the replace targets for wasp.dev/filters
	// and the bridge module: relative inside the wasp checkout (so the
	// checkout can move and the files can be committed), absolute outside.
	FiltersPath string
	BridgePath  string
}

// outputs maps each template to the file it becomes.
var outputs = map[string]string{
	"main.go.tmpl":       "main.go",
	"main_test.go.tmpl":  "main_test.go",
	"bench_test.go.tmpl": "bench_test.go",
	"go.mod.tmpl":        "go.mod",
	"go.work.tmpl":       "go.work",
	"Makefile.tmpl":      "Makefile",
	"README.md.tmpl":     "README.md",
	"gitignore.tmpl":     ".gitignore",
}

// Scaffold writes a new filter module and returns its absolute directory. It
// never touches an existing directory; on failure it removes what it created.
func Scaffold(opts Options) (dir string, err error) {
	if !validName.MatchString(opts.Name) {
		return "", fmt.Errorf("invalid name %q: use lowercase letters, digits and '-', start with a letter, at most 63 characters", opts.Name)
	}
	if opts.WaspDir == "" {
		opts.WaspDir = "."
	}
	wasp, err := filepath.Abs(opts.WaspDir)
	if err != nil {
		return "", err
	}
	goVersion, err := goDirective(filepath.Join(wasp, "filters", "go.mod"))
	if err != nil {
		return "", fmt.Errorf("%s does not look like a wasp checkout: %w", wasp, err)
	}
	if _, err := os.Stat(filepath.Join(wasp, "filters", "abi", "go.mod")); err != nil {
		return "", fmt.Errorf("%s does not look like a wasp checkout: %w", wasp, err)
	}
	if opts.Dir == "" {
		opts.Dir = filepath.Join(wasp, "filters", "custom", opts.Name)
	}
	if dir, err = filepath.Abs(opts.Dir); err != nil {
		return "", err
	}
	if opts.Module == "" {
		opts.Module = "example.com/filters/" + opts.Name
	}
	data := templateData{
		Name:        opts.Name,
		Module:      opts.Module,
		GoVersion:   goVersion,
		FiltersPath: replacePath(dir, wasp, "filters"),
		BridgePath:  replacePath(dir, wasp, "filters/abi"),
	}

	if err := os.MkdirAll(filepath.Dir(dir), 0o755); err != nil {
		return "", err
	}
	// Mkdir, not MkdirAll: it fails if the directory exists, so an existing
	// filter (or anything else) is never overwritten, even by a racing run.
	if err := os.Mkdir(dir, 0o755); err != nil {
		if errors.Is(err, fs.ErrExist) {
			return "", fmt.Errorf("%s already exists: refusing to overwrite it", dir)
		}
		return "", err
	}
	defer func() {
		if err != nil {
			os.RemoveAll(dir)
		}
	}()
	for tmpl, out := range outputs {
		content, err := render(tmpl, data)
		if err != nil {
			return "", err
		}
		if err := os.WriteFile(filepath.Join(dir, out), content, 0o644); err != nil {
			return "", err
		}
	}
	return dir, nil
}

// render executes one template; Go output is gofmt-ed so that the new module
// passes `gofmt -l` whatever the template's spacing.
func render(name string, data templateData) ([]byte, error) {
	t, err := template.New(name).Delims("{%", "%}").ParseFS(templates, "templates/"+name)
	if err != nil {
		return nil, err
	}
	var buf bytes.Buffer
	if err := t.Execute(&buf, data); err != nil {
		return nil, err
	}
	if !strings.HasSuffix(outputs[name], ".go") {
		return buf.Bytes(), nil
	}
	formatted, err := format.Source(buf.Bytes())
	if err != nil {
		return nil, fmt.Errorf("template %s does not produce valid Go: %w", name, err)
	}
	return formatted, nil
}

// replacePath is the path a replace directive in dir uses to reach sub (a
// slash-separated path inside the wasp checkout at wasp).
func replacePath(dir, wasp, sub string) string {
	target := filepath.Join(wasp, filepath.FromSlash(sub))
	if rel, err := filepath.Rel(wasp, dir); err != nil || rel == ".." || strings.HasPrefix(rel, ".."+string(filepath.Separator)) {
		return filepath.ToSlash(target)
	}
	rel, err := filepath.Rel(dir, target)
	if err != nil {
		return filepath.ToSlash(target)
	}
	rel = filepath.ToSlash(rel)
	if !strings.HasPrefix(rel, "../") {
		// go.mod reads a path as a directory only if it starts with ./ or ../
		rel = "./" + rel
	}
	return rel
}

// goDirective returns the version of the go directive in a go.mod file.
func goDirective(gomod string) (string, error) {
	f, err := os.Open(gomod)
	if err != nil {
		return "", err
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if fields := strings.Fields(sc.Text()); len(fields) == 2 && fields[0] == "go" {
			return fields[1], nil
		}
	}
	if err := sc.Err(); err != nil {
		return "", err
	}
	return "", fmt.Errorf("%s has no go directive", gomod)
}

package main

import (
	"os"
	"regexp"
	"strings"
	"testing"
)

// notRunMarker starts a docs code block whose commands no test runs (the
// publish step, which needs a registry).
const notRunMarker = "# NOT RUN BY TESTS"

// docsDir is the DIR docs/custom-filters.md scaffolds into; test-filter-kit
// scaffolds into a temporary "$dir" instead.
const docsDir = "$HOME/src/demo"

// TestDocsCommandsAreRun keeps docs/custom-filters.md honest: every shell
// command it shows, outside a block marked notRunMarker, must be one that
// `make test-filter-kit` runs (mk/filterkit.mk, or the scaffold's Makefile
// recipes it invokes, with make variables expanded).
func TestDocsCommandsAreRun(t *testing.T) {
	docs := readFile(t, waspRoot+"/docs/custom-filters.md")
	ran := expandMake(readFile(t, waspRoot+"/mk/filterkit.mk")) + "\n" +
		expandMake(strings.ReplaceAll(readFile(t, "templates/Makefile.tmpl"), "{% .Name %}", "demo"))
	cmds := shellCommands(docs)
	if len(cmds) < 5 {
		t.Fatalf("found only %d commands in the docs: %q", len(cmds), cmds)
	}
	for _, cmd := range cmds {
		want := strings.ReplaceAll(cmd, docsDir, `"$dir"`)
		if !strings.Contains(ran, want) {
			t.Errorf("docs command %q is not run by make test-filter-kit (looked for %q)", cmd, want)
		}
	}
}

// shellCommands returns the commands of the ```sh blocks, continuation lines
// joined, comments dropped, blocks marked notRunMarker skipped.
func shellCommands(markdown string) []string {
	var cmds []string
	in, skip := false, false
	pending := ""
	for _, line := range strings.Split(markdown, "\n") {
		trimmed := strings.TrimSpace(line)
		switch {
		case !in && trimmed == "```sh":
			in, skip = true, false
			continue
		case in && trimmed == "```":
			in = false
			continue
		case !in:
			continue
		}
		if strings.HasPrefix(trimmed, notRunMarker) {
			skip = true
		}
		if skip || trimmed == "" || strings.HasPrefix(trimmed, "#") {
			continue
		}
		if i := strings.Index(trimmed, "  #"); i >= 0 { // trailing comment
			trimmed = strings.TrimSpace(trimmed[:i])
		}
		if cont, ok := strings.CutSuffix(trimmed, `\`); ok {
			pending += strings.TrimSpace(cont) + " "
			continue
		}
		cmds = append(cmds, pending+trimmed)
		pending = ""
	}
	return cmds
}

var (
	makeAssign = regexp.MustCompile(`(?m)^([A-Z_]+) *[:?]?= *(.*)$`)
	makeRef    = regexp.MustCompile(`\$\(([A-Z_]+)\)`)
)

// expandMake turns a makefile into the commands a shell sees: variables set
// in it (and GO, MAKE) expanded, $$ unescaped, continuation lines joined.
func expandMake(mk string) string {
	vars := map[string]string{"GO": "go", "MAKE": "make", "CURDIR": "$wasp"}
	for _, m := range makeAssign.FindAllStringSubmatch(mk, -1) {
		vars[m[1]] = m[2]
	}
	mk = regexp.MustCompile(`\\\n\s*`).ReplaceAllString(mk, "")
	for range 3 { // variables may refer to variables
		mk = makeRef.ReplaceAllStringFunc(mk, func(ref string) string {
			if v, ok := vars[ref[2:len(ref)-1]]; ok {
				return v
			}
			return ref
		})
	}
	mk = strings.ReplaceAll(mk, "make --no-print-directory", "make")
	return strings.ReplaceAll(mk, "$$", "$")
}

func readFile(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

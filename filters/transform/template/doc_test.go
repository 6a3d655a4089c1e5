package template

import (
	"fmt"
	"testing"
)

// The filter's path (a reused JSONDoc, header lists) renders every table
// case exactly as the Go-values path (Input.JSON, header maps) does.
func TestDocInputMatchesGoValues(t *testing.T) {
	t.Setenv("WASP_TEMPLATE_TEST", "from-env")
	var doc JSONDoc // one doc for all cases: Decode must reset it fully
	list := func(m map[string]string) [][2]string {
		var l [][2]string
		for k, v := range m {
			l = append(l, [2]string{k, v})
		}
		return l
	}
	for _, tc := range renderCases {
		tmpl, err := Parse(tc.src)
		if err != nil || tc.name == "replace_with_random" {
			continue
		}
		want, wantErr := tmpl.Render(renderCaseInput(t, tc.body), Limits{})
		in := &Input{HeaderList: list(headers), RequestHeaderList: list(requestHeaders), Body: tc.body}
		if tc.body != "" {
			if err := doc.Decode(tc.body); err != nil {
				t.Fatalf("%s: %v", tc.name, err)
			}
			in.Doc = &doc
		}
		got, gotErr := tmpl.Render(in, Limits{})
		if got != want || (gotErr == nil) != (wantErr == nil) || gotErr != nil && gotErr.Error() != wantErr.Error() {
			t.Errorf("%s: doc path %q, %v; Go values %q, %v", tc.name, got, gotErr, want, wantErr)
		}
	}
}

// A failed Decode leaves the doc empty: paths are undefined, not the last
// body's values.
func TestDocDecodeErrorClears(t *testing.T) {
	var doc JSONDoc
	if err := doc.Decode(`{"a":"old"}`); err != nil {
		t.Fatal(err)
	}
	if err := doc.Decode(`{"a":`); err == nil {
		t.Fatal("truncated JSON accepted")
	}
	out, err := renderString(`[{{ a }}]`, &Input{Doc: &doc}, Limits{})
	if err != nil || out != "[]" {
		t.Fatalf("got %q, %v after a failed decode", out, err)
	}
}

// Strings built in one render are not overwritten by the next: the output
// is copied out of the renderer's arena.
func TestRenderOutputsSurviveTheNextRender(t *testing.T) {
	tmpl, err := Parse(`{{ upper(header("x")) ~ "-" ~ base64_encode(header("x")) }}`)
	if err != nil {
		t.Fatal(err)
	}
	first, _ := tmpl.Render(&Input{HeaderList: [][2]string{{"x", "abc"}}}, Limits{})
	second, _ := tmpl.Render(&Input{HeaderList: [][2]string{{"x", "xyz"}}}, Limits{})
	if first != "ABC-YWJj" || second != "XYZ-eHl6" {
		t.Fatalf("got %q then %q", first, second)
	}
}

// A Template is safe for concurrent renders: each render takes its own
// scratch from the pool (run with -race).
func TestConcurrentRenders(t *testing.T) {
	tmpl, err := Parse(`{% for x in range(50) %}{{ upper(header("x")) ~ x }}{% endfor %}`)
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 8)
	for g := 0; g < 8; g++ {
		go func() {
			in := &Input{HeaderList: [][2]string{{"x", "ab"}}}
			want, _ := tmpl.Render(in, Limits{})
			for i := 0; i < 200; i++ {
				if got, err := tmpl.Render(in, Limits{}); err != nil || got != want {
					done <- fmt.Errorf("render %d: %q, %v", i, got, err)
					return
				}
			}
			done <- nil
		}()
	}
	for g := 0; g < 8; g++ {
		if err := <-done; err != nil {
			t.Fatal(err)
		}
	}
}

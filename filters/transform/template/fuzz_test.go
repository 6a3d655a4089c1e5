package template

import (
	"testing"
)

// Seeds: every table case, so that `go test` (which runs the seed corpus)
// covers them and `go test -fuzz` starts from real templates.
func addSeeds(f *testing.F, withBody bool) {
	for _, c := range renderCases {
		if withBody {
			f.Add(c.src, c.body)
		} else {
			f.Add(c.src)
		}
	}
}

// FuzzParse: parsing never panics, and a parse error always has a position.
func FuzzParse(f *testing.F) {
	addSeeds(f, false)
	f.Fuzz(func(t *testing.T, src string) {
		tmpl, err := Parse(src)
		if err != nil {
			e, ok := err.(*Error)
			if !ok || e.Line < 1 || e.Column < 1 {
				t.Fatalf("error without a position: %#v", err)
			}
			return
		}
		if tmpl.Source() != src {
			t.Fatal("Source() differs from the parsed text")
		}
	})
}

// FuzzRender: rendering any template on any body never panics, ends, and
// keeps the output within the limit.
func FuzzRender(f *testing.F) {
	addSeeds(f, true)
	lim := Limits{MaxOutputBytes: 4096, MaxWorkBytes: 64 << 10, MaxSteps: 5000}
	f.Fuzz(func(t *testing.T, src, body string) {
		tmpl, err := Parse(src)
		if err != nil {
			return
		}
		in := &Input{Headers: headers, RequestHeaders: requestHeaders, Body: body}
		if v, err := DecodeJSON([]byte(body)); err == nil {
			in.JSON = v
		}
		out, err := tmpl.Render(in, lim)
		if err != nil {
			if _, ok := err.(*Error); !ok {
				t.Fatalf("render error is not a *Error: %v", err)
			}
			return
		}
		if len(out) > lim.MaxOutputBytes {
			t.Fatalf("output of %d bytes passed the %d-byte limit", len(out), lim.MaxOutputBytes)
		}
	})
}

package format

import (
	"strings"
	"testing"
)

// TestRedactedWhetherPresentOrNot: a sensitive header's operator prints
// Redacted with and without the header, and never asks the Source for it.
func TestRedactedWhetherPresentOrNot(t *testing.T) {
	f, err := ParseText("%REQ(AUTHORIZATION)% %REQ(PROXY-AUTHORIZATION)% %REQ(X-NONE?COOKIE)% %RESP(SET-COOKIE):3% %TRAILER(COOKIE)%", Options{})
	if err != nil {
		t.Fatal(err)
	}
	for _, src := range []*fakeSource{rateLimitedGet(), {}} {
		if got := string(f.Append(nil, src)); got != "[REDACTED] [REDACTED] [REDACTED] [REDACTED] [REDACTED]" {
			t.Errorf("got %q", got)
		}
		if src.requests != 0 {
			t.Errorf("%d header lookups for redacted operators", src.requests)
		}
	}
	j, err := ParseJSON([]byte(`{"auth":"%REQ(AUTHORIZATION)%","mixed":"a=%REQ(authorization)%"}`), Options{})
	if err != nil {
		t.Fatal(err)
	}
	if got := string(j.Append(nil, &fakeSource{})); got != `{"auth":"[REDACTED]","mixed":"a=[REDACTED]"}` {
		t.Errorf("JSON: %s", got)
	}
}

func TestRedactFormat(t *testing.T) {
	for _, c := range []struct {
		format, want string
		o            Options
	}{
		{"%REQ(AUTHORIZATION)% %REQ(:PATH)%", "[REDACTED] %REQ(:PATH)%", Options{}},
		{"a=%REQ(Cookie):10% b=%RESP(SET-COOKIE)% c=%REQ(X-A?PROXY-AUTHORIZATION)%\n", "a=[REDACTED] b=[REDACTED] c=[REDACTED]\n", Options{}},
		{"%TRAILER(AUTHORIZATION)%%REQ(USER-AGENT)%", "[REDACTED]%REQ(USER-AGENT)%", Options{}},
		{"%REQ(AUTHORIZATION)% %REQ(COOKIE)%", "%REQ(AUTHORIZATION)% [REDACTED]", Options{Unredacted: []string{"Authorization"}}},
		{"%START_TIME(%Y/%m/%d)% %REQ(X-REQUEST-ID)% plain", "%START_TIME(%Y/%m/%d)% %REQ(X-REQUEST-ID)% plain", Options{}},
		{"", "", Options{}},
	} {
		got, err := RedactFormat(c.format, c.o)
		if err != nil || got != c.want {
			t.Errorf("RedactFormat(%q) = %q, %v; want %q", c.format, got, err, c.want)
		}
	}
	if _, err := RedactFormat("%REQ(AUTHORIZATION", Options{}); err == nil {
		t.Error("a malformed format was rewritten")
	}
}

// TestRedactFormatRendersAlike: the rewritten format rendered with nothing
// redacted (as Envoy's native formatter renders it) prints what the
// original prints under the rule, header present or not.
func TestRedactFormatRendersAlike(t *testing.T) {
	formats := []string{
		mixedFormat,
		"%REQ(AUTHORIZATION):4% %REQ(X-NONE?COOKIE)% %REQ(COOKIE?X-NONE)% %RESP(SET-COOKIE)% %TRAILER(PROXY-AUTHORIZATION)%",
	}
	everything := Options{Unredacted: SensitiveHeaders}
	for _, s := range formats {
		for _, o := range []Options{{}, {Unredacted: []string{"cookie"}}} {
			wasm, err := ParseText(s, o)
			if err != nil {
				t.Fatal(err)
			}
			rewritten, err := RedactFormat(s, o)
			if err != nil {
				t.Fatal(err)
			}
			native, err := ParseText(rewritten, everything)
			if err != nil {
				t.Fatal(err)
			}
			for _, src := range []func() *fakeSource{rateLimitedGet, func() *fakeSource { return &fakeSource{} }} {
				w, n := string(wasm.Append(nil, src())), string(native.Append(nil, src()))
				if w != n {
					t.Errorf("%q %+v:\n filter %q\n native %q", s, o, w, n)
				}
				if strings.Contains(n, "secret") { // the Authorization value
					t.Errorf("%q: the credential is printed: %q", s, n)
				}
			}
		}
	}
}

// mixedFormat mixes sensitive and ordinary headers.
const mixedFormat = `"%REQ(:METHOD)% %REQ(:PATH)%" auth=%REQ(AUTHORIZATION)% cookie=%REQ(COOKIE)% rid=%REQ(X-REQUEST-ID)%`

// FuzzRedactFormat: whatever text format parses is rewritten, and the
// rewrite rendered with nothing redacted (as Envoy renders it) prints what
// the original prints under the rule.
func FuzzRedactFormat(f *testing.F) {
	for _, s := range []string{mixedFormat, "%REQ(X?AUTHORIZATION):2% %RESP(set-cookie)%", "%%", "%REQ(", "a%REQ(COOKIE)%b", "%START_TIME(%s)%"} {
		f.Add(s)
	}
	everything := Options{Unredacted: SensitiveHeaders}
	f.Fuzz(func(t *testing.T, s string) {
		orig, err := ParseText(s, Options{})
		rewritten, rerr := RedactFormat(s, Options{})
		if (err == nil) != (rerr == nil) {
			t.Fatalf("%q: ParseText error %v, RedactFormat error %v", s, err, rerr)
		}
		if err != nil {
			return
		}
		native, err := ParseText(rewritten, everything)
		if err != nil {
			t.Fatalf("%q rewritten to %q, which does not parse: %v", s, rewritten, err)
		}
		if w, n := string(orig.Append(nil, rateLimitedGet())), string(native.Append(nil, rateLimitedGet())); w != n {
			t.Fatalf("%q: filter %q, native %q", s, w, n)
		}
	})
}

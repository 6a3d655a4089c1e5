package transform

import (
	"fmt"
	"testing"
)

// TestHeaderCalls: the edits as host calls, for the cases a host's replace
// or add semantics could change (repeated names, content-length).
func TestHeaderCalls(t *testing.T) {
	arrived := [][2]string{{":path", "/a"}, {"x-one", "1"}, {"x-two", "a"}, {"x-two", "b"}, {"content-length", "3"}}
	for _, c := range []struct {
		name string
		e    edits
		want string
	}{
		{"set a single name: replace", edits{set: [][2]string{{"x-one", "v"}}}, "[{1 x-one v}]"},
		{"set a repeated name: remove, add", edits{set: [][2]string{{"x-two", "v"}}}, "[{0 x-two } {2 x-two v}]"},
		{"set after remove: replace", edits{remove: []string{"x-two"}, set: [][2]string{{"x-two", "v"}}}, "[{0 x-two } {1 x-two v}]"},
		{"empty set removes a header", edits{set: [][2]string{{"x-one", ""}}}, "[{0 x-one }]"},
		{"empty set keeps a pseudo-header", edits{set: [][2]string{{":path", ""}}}, "[]"},
		{"add adds", edits{add: [][2]string{{"x-one", "2"}}}, "[{2 x-one 2}]"},
		{"replaced body: content-length", edits{body: []byte("hello"), replaceBody: true}, "[{1 content-length 5}]"},
		{"replaced body, content-length removed", edits{remove: []string{"content-length"}, body: []byte("hello"), replaceBody: true}, "[{0 content-length }]"},
		{"replaced body, content-length added twice", edits{add: [][2]string{{"content-length", "9"}}, body: []byte("hello"), replaceBody: true},
			"[{2 content-length 9} {0 content-length } {2 content-length 5}]"},
	} {
		if got := fmt.Sprint(c.e.headerCalls(arrived)); got != c.want {
			t.Errorf("%s: %s, want %s", c.name, got, c.want)
		}
	}
	noCL := arrived[:4]
	e := edits{body: []byte("hello"), replaceBody: true}
	if got := e.headerCalls(noCL); len(got) != 0 {
		t.Errorf("no content-length arrived: %v, want no call", got)
	}
}

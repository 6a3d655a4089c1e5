package template

import (
	"bytes"
	"encoding/json"
	"testing"
	"unicode/utf8"
)

var encodeSeeds = append([]string{
	sampleBody, `{"s":"<a href=\"x\">&amp;</a>\u2028\u2029\u0001\u001f\b\f\t"}`, `[1e-7,1E+2,2.50,-0,12345678901234567890]`,
	`{"b":1,"a":{"d":[],"c":{}},"a":2}`,
}, jsonSeeds...)

// appendJSON writes what encoding/json's Encoder (SetEscapeHTML(false))
// writes for the same document decoded with UseNumber, and raw_string's
// escaping is json.Marshal's.
func checkEncodeSameAsStd(t *testing.T, data string) {
	var doc JSONDoc
	if doc.Decode(data) != nil || !utf8.ValidString(data) {
		return
	}
	v, err := stdDecode([]byte(data))
	if err != nil {
		t.Fatalf("%q: encoding/json rejects what DecodeJSON accepts: %v", data, err)
	}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		t.Fatal(err)
	}
	if got, want := string(appendJSON(nil, doc.root)), string(bytes.TrimRight(buf.Bytes(), "\n")); got != want {
		t.Fatalf("%q:\n got %s\nwant %s", data, got, want)
	}
	if s, ok := v.(string); ok {
		m, _ := json.Marshal(s)
		if got := string(appendJSONString(nil, s, true)); got != string(m) {
			t.Fatalf("%q: html escaping %s, json.Marshal %s", s, got, m)
		}
	}
}

func TestAppendJSONMatchesEncodingJSON(t *testing.T) {
	for _, s := range encodeSeeds {
		checkEncodeSameAsStd(t, s)
	}
}

func TestAppendJSONFloatMatchesEncodingJSON(t *testing.T) {
	for _, f := range []float64{0, 1, -2.5, 1e-6, 9.99e-7, 1e20, 1e21, 123456789.125, 5e-324, 1.7976931348623157e308} {
		want, _ := json.Marshal(f)
		if got := string(appendJSONFloat(nil, f)); got != string(want) {
			t.Errorf("%v: got %s, want %s", f, got, want)
		}
	}
}

func FuzzAppendJSON(f *testing.F) {
	for _, s := range encodeSeeds {
		f.Add(s)
	}
	f.Fuzz(checkEncodeSameAsStd)
}

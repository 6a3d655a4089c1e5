package template

import (
	"bytes"
	"encoding/json"
	"reflect"
	"strings"
	"testing"
	"unicode/utf8"
)

var jsonSeeds = []string{
	`{}`, `[]`, `null`, `true`, `false`, `0`, `-0`, `1.5e-3`, `-12E+2`, `"x"`,
	`{"a":[1,{"b":null}],"c":"d\"e\\f\/g\b\f\n\r\t\u00e9\ud83d\ude00"}`,
	` {"a" : 1 , "a": 2} `, `"\ud800"`, `"\ud800\u0041"`, `[1,]`, `{"a":1,}`, `01`, `1.`, `.5`, `-`, `1e`,
	`"unterminated`, "\"tab\tinside\"", `{"a"}`, `{1:2}`, `[1 2]`, `nul`, `{"a":1} x`, ``, `  `,
	`"\x"`, `"\u12G4"`, strings.Repeat("[", 20) + strings.Repeat("]", 20),
}

func stdDecode(data []byte) (any, error) {
	if !json.Valid(data) {
		return nil, &json.SyntaxError{}
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	var v any
	err := dec.Decode(&v)
	return v, err
}

// DecodeJSON accepts exactly what encoding/json accepts, and decodes it to
// the same values.
func checkSameAsStd(t *testing.T, data []byte) {
	want, stdErr := stdDecode(data)
	got, err := DecodeJSON(data)
	if (err == nil) != (stdErr == nil) {
		t.Fatalf("%q: DecodeJSON error %v, encoding/json error %v", data, err, stdErr)
	}
	if err == nil && utf8.Valid(data) && !reflect.DeepEqual(got, want) {
		t.Fatalf("%q: DecodeJSON %#v, encoding/json %#v", data, got, want)
	}
}

func TestDecodeJSONMatchesEncodingJSON(t *testing.T) {
	for _, s := range jsonSeeds {
		checkSameAsStd(t, []byte(s))
	}
}

func TestDecodeJSONDepthLimit(t *testing.T) {
	deep := strings.Repeat("[", maxJSONDepth+2) + strings.Repeat("]", maxJSONDepth+2)
	if _, err := DecodeJSON([]byte(deep)); err == nil {
		t.Fatal("a document nested beyond the limit was accepted")
	}
}

func FuzzDecodeJSON(f *testing.F) {
	for _, s := range jsonSeeds {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) { checkSameAsStd(t, data) })
}
